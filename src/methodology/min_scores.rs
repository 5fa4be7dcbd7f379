//! Minimum test scores (the pass line where a result has a score but no mark),
//! per assessment, subject and year. The table lists the year from which a
//! minimum applies; a later year uses the latest entry not after it.

use anyhow::{Context, Result, bail};

use crate::ingest::normalize::{normalize_assessment, normalize_subject};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    assessment: &'static str,
    subject: String,
    from_year: i32,
    min_score: f64,
}

/// The minimum-score table of a run.
#[derive(Debug, Clone, Default)]
pub struct MinScores {
    entries: Vec<Entry>,
}

impl MinScores {
    /// Parses `assessment,subject,from_year,min_score` CSV text; `origin`
    /// names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let mut lines = text.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, h)| h.trim_start_matches('\u{feff}').trim().to_lowercase())
            .unwrap_or_default();
        if header != "assessment,subject,from_year,min_score" {
            bail!(
                "{origin}: таблица минимальных баллов должна начинаться с заголовка \
                 `assessment,subject,from_year,min_score` (а начинается с `{header}`)"
            );
        }
        let mut entries = Vec::new();
        for (index, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{origin}, line {}", index + 1);
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [assessment, subject, from_year, min_score] = fields.as_slice() else {
                bail!("{}: нужны 4 поля через запятую", at());
            };
            let assessment = normalize_assessment(assessment)
                .with_context(|| format!("{}: неизвестная процедура `{assessment}`", at()))?;
            let from_year = from_year
                .parse()
                .with_context(|| format!("{}: from_year `{from_year}` — не год", at()))?;
            let min_score: f64 = min_score
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m >= 0.0)
                .with_context(|| {
                    format!(
                        "{}: min_score `{min_score}` — не неотрицательное число",
                        at()
                    )
                })?;
            entries.push(Entry {
                assessment,
                subject: normalize_subject(subject),
                from_year,
                min_score,
            });
        }
        Ok(Self { entries })
    }

    /// The minimum score for a result of `year`, if the table has one.
    pub fn lookup(&self, assessment: &str, subject: &str, year: i32) -> Option<f64> {
        self.entries
            .iter()
            .filter(|e| e.assessment == assessment && e.subject == subject && e.from_year <= year)
            .max_by_key(|e| e.from_year)
            .map(|e| e.min_score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methodology::BUILTIN_MIN_SCORES;

    #[test]
    fn builtin_table_has_the_attestat_minimums() {
        let t = MinScores::parse(BUILTIN_MIN_SCORES, "builtin").unwrap();
        assert_eq!(t.lookup("ЕГЭ", "русский язык", 2025), Some(24.0));
        assert_eq!(t.lookup("ЕГЭ", "математика (профильная)", 2025), Some(27.0));
        assert_eq!(t.lookup("ЕГЭ", "обществознание", 2020), Some(42.0));
        assert_eq!(t.lookup("ЕГЭ", "русский язык", 2010), None);
        assert_eq!(t.lookup("ОГЭ", "русский язык", 2025), None);
    }

    #[test]
    fn later_entries_apply_from_their_year() {
        let t = MinScores::parse(
            "assessment,subject,from_year,min_score\nЕГЭ,физика,2015,36\nEGE,Физика,2024,39\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.lookup("ЕГЭ", "физика", 2023), Some(36.0));
        assert_eq!(t.lookup("ЕГЭ", "физика", 2024), Some(39.0));
        assert_eq!(t.lookup("ЕГЭ", "физика", 2026), Some(39.0));
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = MinScores::parse(
            "assessment,subject,from_year,min_score\nЕГЭ,физика,20x5,36\n",
            "t",
        )
        .unwrap_err();
        assert!(err.to_string().contains("t, line 2"), "{err}");
    }
}
