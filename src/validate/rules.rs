//! The row rules of result files, each stated once. The full checks
//! ([`crate::validate::results`]) set aside a row that breaks one and say
//! why; the fast path ([`crate::measure::clean_students`]) proves that no
//! row of a file breaks any before it counts the file without them.

use polars::prelude::*;

/// An inclusive range of whole numbers a cell must fall in.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub low: i32,
    pub high: i32,
}

/// Years of results (a cell outside is a typo or an Excel date).
pub const YEARS: Range = Range {
    low: 2000,
    high: 2100,
};
/// School grades.
pub const GRADES: Range = Range { low: 1, high: 11 };
/// Marks of the five-point scale (1 is not given in assessments).
pub const MARKS: Range = Range { low: 2, high: 5 };

impl Range {
    /// True where `value` is below or above the range (null stays null).
    pub fn outside(self, value: Expr) -> Expr {
        value.clone().lt(lit(self.low)).or(value.gt(lit(self.high)))
    }

    /// True where `value` is in the range.
    pub fn contains(self, value: f64) -> bool {
        (f64::from(self.low)..=f64::from(self.high)).contains(&value)
    }

    /// The range as the messages write it: `1–11`.
    pub fn words(self) -> String {
        format!("{}–{}", self.low, self.high)
    }
}

/// What protocols write for a participant who did not sit the work: in the
/// variant, mark or score cell (compared in lower case, trimmed).
pub const ABSENCE_MARKERS: [&str; 8] = [
    "отсутствовал",
    "отсутствовала",
    "отсутствует",
    "не явился",
    "не явилась",
    "неявка",
    "н/я",
    "не участвовал",
];

/// True where any of `cells` (text) holds an absence marker.
pub fn absent(cells: Vec<Expr>) -> Expr {
    let markers = Series::new("markers".into(), ABSENCE_MARKERS);
    cells
        .into_iter()
        .map(|c| {
            c.str()
                .strip_chars(lit(NULL))
                .str()
                .to_lowercase()
                .is_in(lit(markers.clone()).implode(false), false)
                .fill_null(false)
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// True where a number has a fractional part.
pub fn not_whole(value: Expr) -> Expr {
    value.clone().floor().neq(value)
}

/// True where a score is below zero.
pub fn negative(score: Expr) -> Expr {
    score.lt(lit(0.0))
}

/// True where a participant's row has neither a mark nor a score: nothing
/// says whether the participant failed.
pub fn neither_mark_nor_score(mark: Expr, score: Expr) -> Expr {
    mark.is_null().and(score.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_bound_both_ends_and_keep_null() {
        let frame = df!("x" => [Some(0.0), Some(1.0), Some(11.0), Some(12.0), None])
            .unwrap()
            .lazy()
            .select([GRADES.outside(col("x"))])
            .collect()
            .unwrap();
        let flags: Vec<Option<bool>> = frame.column("x").unwrap().bool().unwrap().iter().collect();
        assert_eq!(
            flags,
            [Some(true), Some(false), Some(false), Some(true), None]
        );
        assert!(YEARS.contains(2025.0) && !YEARS.contains(1999.0));
        assert_eq!(MARKS.words(), "2–5");
    }
}
