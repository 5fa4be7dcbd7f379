//! The coded columns of the outputs as typed values. The queries return the
//! codes; their Russian labels live in one table, `[codes.COLUMN]` of
//! `reference/outputs.toml`, so that no Rust logic matches label text and a
//! reworded label changes only what people read.

use anyhow::{Result, bail};
use polars::prelude::*;

use crate::outputs::declared;

/// A column whose values are a closed set of codes.
pub trait Code: Copy + Sized + 'static {
    /// The output column holding the codes.
    const COLUMN: &'static str;
    /// Every code, in the order people read them.
    const ALL: &'static [Self];

    /// The code a query returns.
    fn code(self) -> &'static str;

    /// The Russian label of the code, from the declaration.
    fn label(self) -> &'static str {
        declared().codes[Self::COLUMN][self.code()].as_str()
    }

    /// The code `text` stands for, if any.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code() == text)
    }
}

macro_rules! codes {
    ($(#[$doc:meta])* $name:ident in $column:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl Code for $name {
            const COLUMN: &'static str = $column;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }
        }
    };
}

codes! {
    /// Why a procedure counts toward ШНОР or not (`procedure_counts.sql`).
    CountStatus in "count_status" {
        Counts = "counts",
        OutOfScope = "out_of_scope",
        FewParticipants = "few_participants",
        BelowThreshold = "below_threshold",
    }
}

codes! {
    /// A school's place between results and conditions (`context.sql`).
    ContextGroup in "context_group" {
        Both = "both",
        ShnorOnly = "shnor_only",
        ShnsuOnly = "shnsu_only",
        Resilient = "resilient",
        Neither = "neither",
    }
}

codes! {
    /// A school's move against the earlier list (`history.sql`).
    Transition in "transition" {
        Entered = "entered",
        Stayed = "stayed",
        Left = "left",
    }
}

codes! {
    /// The two lists.
    List in "list" {
        Shnor = "shnor",
        Shnsu = "shnsu",
    }
}

codes! {
    /// The level of a risk factor in a school's profile.
    RiskLevel in "risk_level" {
        High = "high",
        Medium = "medium",
        Low = "low",
    }
}

codes! {
    /// Which way an indicator of the index points.
    IndexDirection in "direction" {
        Risk = "risk",
        Protective = "protective",
    }
}

codes! {
    /// Where a school on an earlier ШНОР list stands now (`follow_up.sql`).
    FollowUpStatus in "follow_up_status" {
        Stays = "stays",
        Entered = "entered",
        Left = "left",
        Held = "held",
    }
}

codes! {
    /// Why a school of an earlier ШНОР list is not on this run's list.
    LeaveReason in "leave_reason" {
        Improved = "improved",
        TooFewParticipants = "too_few_participants",
        NoResults = "no_results",
        ExcludedKind = "excluded_kind",
        NotInRegistry = "not_in_registry",
    }
}

codes! {
    /// A level of general education (`levels.sql`).
    LevelOfEducation in "level_of_education" {
        Noo = "noo",
        Ooo = "ooo",
        Soo = "soo",
    }
}

codes! {
    /// Which way a target of the road map points (`targets.sql`).
    TargetKind in "target_kind" {
        AtMost = "at_most",
        AtLeast = "at_least",
    }
}

codes! {
    /// A sign of biased assessment (`objectivity`).
    Sign in "sign" {
        InflatedMean = "inflated_mean",
        ContradictsMarks = "contradicts_marks",
        CohortFall = "cohort_fall",
        CohortRise = "cohort_rise",
        JournalHigher = "journal_higher",
        FailureFall = "failure_fall",
        MarkBands = "mark_bands",
    }
}

codes! {
    /// Where a school stands between a published list and a run (`compare`).
    Agreement in "status" {
        Both = "both",
        OnlyPublished = "only_published",
        OnlyComputed = "only_computed",
    }
}

impl CountStatus {
    /// The label the outputs write, with the methodology's minimum number of
    /// participants put in.
    pub fn label_for(self, min_participants: u32) -> String {
        self.label()
            .replace("{min_participants}", &min_participants.to_string())
    }

    /// The status a finished run wrote as `label` (its outputs carry labels).
    pub fn from_label(label: &str, min_participants: u32) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.label_for(min_participants) == label)
    }
}

/// Refuses codes in column `C::COLUMN` of a query's result that `C` does not
/// know, naming the query.
pub fn known<C: Code>(frame: &DataFrame, query: &str) -> Result<()> {
    let found = frame.column(C::COLUMN)?.unique_stable()?;
    let unknown: Vec<String> = found
        .str()?
        .iter()
        .map(|c| c.unwrap_or("").to_string())
        .filter(|c| C::parse(c).is_none())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "запрос {query}: в столбце {} неизвестные коды {}; допустимы: {} \
             (подписи к ним — в reference/outputs.toml)",
            C::COLUMN,
            unknown.join(", "),
            C::ALL
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// The code of column `C::COLUMN` in `row` of `frame`, if it is one.
/// As [`known`], for a column that may be empty (no code is then written).
pub fn known_where_set<C: Code>(frame: &DataFrame, query: &str) -> Result<()> {
    let set = frame
        .clone()
        .lazy()
        .filter(col(C::COLUMN).is_not_null())
        .collect()?;
    known::<C>(&set, query)
}

pub fn at<C: Code>(frame: &DataFrame, row: usize) -> Option<C> {
    let column = frame.column(C::COLUMN).ok()?;
    C::parse(column.str().ok()?.get(row)?)
}

/// How many rows of `frame` carry `code`.
pub fn count<C: Code + PartialEq>(frame: &DataFrame, code: C) -> usize {
    (0..frame.height())
        .filter(|&r| at::<C>(frame, r) == Some(code))
        .count()
}

/// `count_status` codes as their labels.
/// `frame` with every coded column (`[codes.COLUMN]` of
/// reference/outputs.toml) written as its labels, for people: report.xlsx
/// and the report. A value that is not a code is kept (count_status is
/// written as its label already).
pub fn labelled(frame: &DataFrame) -> Result<DataFrame> {
    let relabel: Vec<Expr> = declared()
        .codes
        .iter()
        .filter(|(column, _)| frame.schema().get(column.as_str()) == Some(&DataType::String))
        .map(|(column, labels)| {
            labels
                .iter()
                .fold(col(column.as_str()), |rest, (code, label)| {
                    when(col(column.as_str()).eq(lit(code.as_str())))
                        .then(lit(label.as_str()))
                        .otherwise(rest)
                })
                .alias(column.as_str())
        })
        .collect();
    Ok(frame.clone().lazy().with_columns(relabel).collect()?)
}

/// The column of codes `C` as their labels.
pub fn labels<C: Code>() -> Expr {
    C::ALL.iter().fold(col(C::COLUMN), |rest, c| {
        when(col(C::COLUMN).eq(lit(c.code())))
            .then(lit(c.label()))
            .otherwise(rest)
    })
}

pub fn count_status_labels(min_participants: u32) -> Expr {
    CountStatus::ALL
        .iter()
        .fold(col("count_status"), |rest, status| {
            when(col("count_status").eq(lit(status.code())))
                .then(lit(status.label_for(min_participants)))
                .otherwise(rest)
        })
        .alias("count_status")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exactly<C: Code + std::fmt::Debug>() {
        let labels = &declared().codes[C::COLUMN];
        assert_eq!(labels.len(), C::ALL.len(), "{}", C::COLUMN);
        for c in C::ALL {
            assert!(labels.contains_key(c.code()), "{c:?}");
            assert_eq!(C::parse(c.code()).map(|p| p.code()), Some(c.code()));
        }
    }

    #[test]
    fn every_code_has_a_label_and_nothing_else_does() {
        exactly::<CountStatus>();
        exactly::<ContextGroup>();
        exactly::<Transition>();
        exactly::<List>();
        exactly::<Agreement>();
        exactly::<RiskLevel>();
        exactly::<IndexDirection>();
        exactly::<Sign>();
        exactly::<FollowUpStatus>();
        exactly::<LeaveReason>();
        exactly::<TargetKind>();
        exactly::<LevelOfEducation>();
        assert_eq!(declared().codes.len(), 12, "a [codes.X] table with no type");
        for column in declared().codes.keys() {
            assert!(declared().columns.contains_key(column), "{column}");
        }
        assert_eq!(
            CountStatus::FewParticipants.label_for(10),
            "участников меньше 10"
        );
    }

    #[test]
    fn a_query_returning_an_unknown_code_is_named() {
        let frame = df!("count_status" => ["counts", "не учитывается методикой"]).unwrap();
        let err = known::<CountStatus>(&frame, "my_counts.sql")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("запрос my_counts.sql: в столбце count_status неизвестные коды не учитывается методикой;"),
            "{err}"
        );
        let good = df!("count_status" => ["counts", "out_of_scope"]).unwrap();
        assert!(known::<CountStatus>(&good, "q").is_ok());
        let moved = df!("transition" => ["stayed", "moved"]).unwrap();
        assert!(known::<Transition>(&moved, "history.sql").is_err());
    }

    #[test]
    fn codes_are_read_back_from_a_table() {
        let frame = df!("context_group" => ["both", "resilient", "both", "other"]).unwrap();
        assert_eq!(count(&frame, ContextGroup::Both), 2);
        assert_eq!(at::<ContextGroup>(&frame, 1), Some(ContextGroup::Resilient));
        assert_eq!(at::<ContextGroup>(&frame, 3), None);
        assert_eq!(
            CountStatus::from_label("участников меньше 7", 7),
            Some(CountStatus::FewParticipants)
        );
    }
}
