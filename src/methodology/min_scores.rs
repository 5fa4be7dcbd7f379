//! Minimum test scores (the pass line where a result has a score but no mark),
//! per assessment, subject and year. The table lists the year from which a
//! minimum applies; a later year uses the latest entry not after it.

use anyhow::{Context, Result, bail};
use polars::prelude::{DataFrame, IntoLazy, JoinArgs, LazyFrame, UniqueKeepStrategy, col};

use crate::ingest::normalize::{normalize_assessment, normalize_subject};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    assessment: &'static str,
    subject: String,
    /// None: every grade.
    grade: Option<i32>,
    from_year: i32,
    min_score: f64,
    /// From a score → mark scale: the highest score of a «3» and of a «4».
    upper: Option<(f64, f64)>,
    /// From a score → mark scale that gives it: the maximum primary score.
    max_score: Option<f64>,
    /// Where the entry was read, for messages: `ORIGIN, строка N`.
    at: String,
}

/// The minimum-score table of a run: the methodology's minimum scores and
/// the pass lines of its score → mark scales.
#[derive(Debug, Clone, Default)]
pub struct MinScores {
    entries: Vec<Entry>,
}

/// The data lines of a table with a fixed header: `#` lines are comments.
fn data_lines<'a>(
    text: &'a str,
    origin: &str,
    headers: &[&str],
) -> Result<(usize, Vec<(usize, &'a str)>)> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#') && !l.trim().is_empty());
    let header = lines
        .next()
        .map(|(_, h)| h.trim_start_matches('\u{feff}').trim().to_lowercase())
        .unwrap_or_default();
    let Some(form) = headers.iter().position(|h| *h == header) else {
        bail!(
            "{origin}: таблица должна начинаться с заголовка `{}` (а начинается с `{header}`)",
            headers.join("` или `")
        );
    };
    Ok((form, lines.map(|(i, l)| (i + 1, l)).collect()))
}

impl MinScores {
    /// Parses `assessment,subject[,grade],from_year,min_score` CSV text;
    /// `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let (form, lines) = data_lines(
            text,
            origin,
            &[
                "assessment,subject,from_year,min_score",
                "assessment,subject,grade,from_year,min_score",
            ],
        )?;
        let mut table = Self::default();
        for (line, text) in lines {
            let at = format!("{origin}, строка {line}");
            let fields: Vec<&str> = text.split(',').map(str::trim).collect();
            let (a, s, g, y, m) = match (form, fields.as_slice()) {
                (0, [a, s, y, m]) => (*a, *s, "", *y, *m),
                (1, [a, s, g, y, m]) => (*a, *s, *g, *y, *m),
                _ => bail!("{at}: нужно {} поля через запятую", 4 + form),
            };
            table.push((a, s, g, y), (number(m, "min_score", &at)?, None, None), at)?;
        }
        Ok(table)
    }

    /// Adds the pass lines of a score → mark scale table
    /// (`assessment,subject,grade,from_year,max_2,max_3,max_4[,max_score],source`):
    /// a score above `max_2` is not a «2»; `max_score`, where given, is the
    /// highest primary score of the work.
    pub fn with_scales(mut self, text: &str, origin: &str) -> Result<Self> {
        let (form, lines) = data_lines(
            text,
            origin,
            &[
                "assessment,subject,grade,from_year,max_2,max_3,max_4,source",
                "assessment,subject,grade,from_year,max_2,max_3,max_4,max_score,source",
            ],
        )?;
        let width = 8 + form;
        for (line, text) in lines {
            let at = format!("{origin}, строка {line}");
            let fields: Vec<&str> = text.splitn(width, ',').map(str::trim).collect();
            if fields.len() != width {
                bail!("{at}: нужно {width} полей через запятую");
            }
            let (a, s, g, y) = (fields[0], fields[1], fields[2], fields[3]);
            let bounds = [
                number(fields[4], "max_2", &at)?,
                number(fields[5], "max_3", &at)?,
                number(fields[6], "max_4", &at)?,
            ];
            if !bounds.windows(2).all(|w| w[0] < w[1]) {
                bail!("{at}: границы отметок должны возрастать: max_2 < max_3 < max_4");
            }
            let max_score = match (form, fields[7]) {
                (1, "") | (0, _) => None,
                (_, m) => Some(number(m, "max_score", &at)?),
            };
            if let Some(m) = max_score.filter(|m| *m <= bounds[2]) {
                bail!(
                    "{at}: max_score {m} не больше max_4 {}: «5» не получить",
                    bounds[2]
                );
            }
            // Primary scores are whole: «2» up to max_2, so max_2 + 1 passes.
            self.push(
                (a, s, g, y),
                (bounds[0] + 1.0, Some((bounds[1], bounds[2])), max_score),
                at,
            )?;
        }
        Ok(self)
    }

    /// [`MinScores::with_scales`] for each `(text, origin)` in turn.
    pub fn with_scales_all(self, tables: &[(String, String)]) -> Result<Self> {
        tables.iter().try_fold(self, |table, (text, origin)| {
            table.with_scales(text, origin)
        })
    }

    fn push(
        &mut self,
        (a, s, g, y): (&str, &str, &str, &str),
        (min, upper, max_score): (f64, Option<(f64, f64)>, Option<f64>),
        at: String,
    ) -> Result<()> {
        let assessment = normalize_assessment(a)
            .with_context(|| format!("{at}: неизвестная процедура `{a}`"))?;
        let grade = match g {
            "" => None,
            g => Some(
                g.parse()
                    .ok()
                    .filter(|g| (1..=11).contains(g))
                    .with_context(|| format!("{at}: класс `{g}` — не число 1–11"))?,
            ),
        };
        let from_year = y
            .parse()
            .with_context(|| format!("{at}: from_year `{y}` — не год"))?;
        let entry = Entry {
            assessment,
            subject: normalize_subject(s),
            grade,
            from_year,
            min_score: min,
            upper,
            max_score,
            at,
        };
        if let Some(same) = self.entries.iter().find(|e| {
            (e.assessment, &e.subject, e.grade, e.from_year)
                == (
                    entry.assessment,
                    &entry.subject,
                    entry.grade,
                    entry.from_year,
                )
        }) {
            bail!(
                "{} и {}: две строки для {} {}{} с {} года; оставьте одну",
                same.at,
                entry.at,
                entry.assessment,
                entry.subject,
                entry.grade.map(|g| format!(" {g} кл.")).unwrap_or_default(),
                entry.from_year
            );
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The minimum score for a result of `year` in `grade`, if the table has
    /// one: an entry for the grade wins over one for every grade.
    pub fn lookup(&self, assessment: &str, subject: &str, grade: i32, year: i32) -> Option<f64> {
        self.entry(assessment, subject, grade, year)
            .map(|e| e.min_score)
    }

    /// The highest score of a «3» and of a «4», when the minimum comes from
    /// a score → mark scale.
    pub fn upper_marks(
        &self,
        assessment: &str,
        subject: &str,
        grade: i32,
        year: i32,
    ) -> Option<(f64, f64)> {
        self.entry(assessment, subject, grade, year)
            .and_then(|e| e.upper)
    }

    /// The maximum primary score of a work, when its scale gives one.
    pub fn max_score(&self, assessment: &str, subject: &str, grade: i32, year: i32) -> Option<f64> {
        self.entry(assessment, subject, grade, year)
            .and_then(|e| e.max_score)
    }

    fn entry(&self, assessment: &str, subject: &str, grade: i32, year: i32) -> Option<&Entry> {
        self.entries
            .iter()
            .filter(|e| {
                e.assessment == assessment
                    && e.subject == subject
                    && e.grade.is_none_or(|g| g == grade)
                    && e.from_year <= year
            })
            .max_by_key(|e| (e.grade.is_some(), e.from_year))
    }
}

/// A work's key for the lookups: assessment, subject, grade, year.
pub type WorkKey = (String, String, i32, i32);

/// The distinct works (assessment, subject, grade, year) of `frame`, and each
/// as a key for the lookups (None where a part is missing): the table is
/// asked once per work, not once per row.
pub fn distinct_works(frame: &DataFrame) -> Result<(DataFrame, Vec<Option<WorkKey>>)> {
    let works = frame
        .select(["assessment", "subject", "grade", "year"])?
        .unique_stable(None, UniqueKeepStrategy::First, None)?;
    let (a, s) = (
        works.column("assessment")?.str()?,
        works.column("subject")?.str()?,
    );
    let (g, y) = (works.column("grade")?.i32()?, works.column("year")?.i32()?);
    let keys = (0..works.height())
        .map(|i| match (a.get(i), s.get(i), g.get(i), y.get(i)) {
            (Some(a), Some(s), Some(g), Some(y)) => Some((a.to_string(), s.to_string(), g, y)),
            _ => None,
        })
        .collect();
    Ok((works, keys))
}

/// `frame` with the columns of `works` joined on the work's key.
pub fn join_works(frame: LazyFrame, works: DataFrame, args: JoinArgs) -> LazyFrame {
    let on = || [col("assessment"), col("subject"), col("grade"), col("year")];
    frame.join(works.lazy(), on(), on(), args)
}

/// A non-negative number, or an error naming the column and line.
fn number(text: &str, column: &str, at: &str) -> Result<f64> {
    text.parse()
        .ok()
        .filter(|m: &f64| m.is_finite() && *m >= 0.0)
        .with_context(|| format!("{at}: {column} `{text}` — не неотрицательное число"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methodology::BUILTIN_MIN_SCORES;

    #[test]
    fn builtin_table_has_the_attestat_minimums() {
        let t = MinScores::parse(BUILTIN_MIN_SCORES, "builtin").unwrap();
        assert_eq!(t.lookup("ЕГЭ", "русский язык", 11, 2025), Some(24.0));
        assert_eq!(
            t.lookup("ЕГЭ", "математика (профильная)", 11, 2025),
            Some(27.0)
        );
        assert_eq!(t.lookup("ЕГЭ", "обществознание", 11, 2020), Some(42.0));
        assert_eq!(t.lookup("ЕГЭ", "русский язык", 11, 2010), None);
        assert_eq!(t.lookup("ОГЭ", "русский язык", 9, 2025), None);
    }

    #[test]
    fn later_entries_apply_from_their_year() {
        let t = MinScores::parse(
            "assessment,subject,from_year,min_score\nЕГЭ,физика,2015,36\nEGE,Физика,2024,39\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.lookup("ЕГЭ", "физика", 11, 2023), Some(36.0));
        assert_eq!(t.lookup("ЕГЭ", "физика", 11, 2024), Some(39.0));
        assert_eq!(t.lookup("ЕГЭ", "физика", 11, 2026), Some(39.0));
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = MinScores::parse(
            "assessment,subject,from_year,min_score\nЕГЭ,физика,20x5,36\n",
            "t",
        )
        .unwrap_err();
        assert!(err.to_string().contains("t, строка 2"), "{err}");
    }

    #[test]
    fn a_scale_gives_each_grade_its_pass_line() {
        let t = MinScores::default()
            .with_scales(crate::methodology::BUILTIN_VPR_SCALES, "scales")
            .unwrap();
        // 2021: maths grade 4 «2» up to 5 points, grade 5 up to 6; Russian
        // grade 4 up to 13, grade 5 up to 17.
        assert_eq!(t.lookup("ВПР", "математика", 4, 2021), Some(6.0));
        assert_eq!(t.lookup("ВПР", "математика", 5, 2021), Some(7.0));
        assert_eq!(t.lookup("ВПР", "русский язык", 4, 2021), Some(14.0));
        assert_eq!(t.lookup("ВПР", "русский язык", 5, 2021), Some(18.0));
        assert_eq!(t.lookup("ВПР", "математика", 4, 2019), None);
        // The maximum where the work's description was checked, else none.
        assert_eq!(t.max_score("ВПР", "русский язык", 4, 2021), Some(38.0));
        assert_eq!(t.max_score("ВПР", "русский язык", 5, 2020), Some(45.0));
        assert_eq!(t.max_score("ВПР", "математика", 5, 2022), Some(20.0));
        assert_eq!(t.max_score("ВПР", "физика", 8, 2021), None);
    }

    #[test]
    fn a_scale_may_leave_out_the_maximum_but_not_give_one_below_a_five() {
        let old = "assessment,subject,grade,from_year,max_2,max_3,max_4,source\n\
                   ВПР,математика,4,2020,5,9,14,x\n";
        let t = MinScores::default().with_scales(old, "old").unwrap();
        assert_eq!(t.max_score("ВПР", "математика", 4, 2021), None);
        assert_eq!(t.lookup("ВПР", "математика", 4, 2021), Some(6.0));
        let header = "assessment,subject,grade,from_year,max_2,max_3,max_4,max_score,source\n";
        let err = MinScores::default()
            .with_scales(&format!("{header}ВПР,математика,4,2020,5,9,14,14,x\n"), "s")
            .unwrap_err()
            .to_string();
        assert!(err.contains("s, строка 2: max_score 14"), "{err}");
    }

    #[test]
    fn two_rows_for_one_key_are_refused_naming_both() {
        let header = "assessment,subject,grade,from_year,min_score\n";
        let err = MinScores::parse(
            &format!("{header}ВПР,математика,4,2021,6\nВПР,Математика,4,2021,7\n"),
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("t, строка 2 и t, строка 3"), "{err}");
        // Another grade is another key; a grade wins over every grade.
        let t = MinScores::parse(
            &format!("{header}ВПР,математика,4,2021,6\nВПР,математика,,2021,9\n"),
            "t",
        )
        .unwrap();
        assert_eq!(t.lookup("ВПР", "математика", 4, 2021), Some(6.0));
        assert_eq!(t.lookup("ВПР", "математика", 5, 2021), Some(9.0));
    }
}
