//! Numbers as a Russian reader writes them: a decimal comma, percentages
//! with one decimal, «да»/«нет».

/// A share 0–1 as a percentage with one decimal: 0.3 → «30,0».
pub fn percent(share: f64) -> String {
    decimal(100.0 * share, 1)
}

/// A number with `digits` decimals and a decimal comma.
pub fn decimal(x: f64, digits: usize) -> String {
    format!("{x:.digits$}").replace('.', ",")
}

/// A number as short as it is written (30 → «30», 27.5 → «27,5»).
pub fn plain(x: f64) -> String {
    format!("{x}").replace('.', ",")
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "да" } else { "нет" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_a_decimal_comma() {
        assert_eq!(percent(0.3), "30,0");
        assert_eq!(decimal(2.345, 2), "2,35");
        assert_eq!(plain(30.0), "30");
        assert_eq!(plain(27.5), "27,5");
        assert_eq!(yes_no(true), "да");
    }
}

/// Sorted line numbers as ranges: `[5, 6, 7, 9]` → «5–7, 9».
pub fn line_ranges(lines: &[i64]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        parts.push(if sorted[i] == start {
            start.to_string()
        } else {
            format!("{start}–{}", sorted[i])
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod line_tests {
    #[test]
    fn lines_read_as_ranges() {
        assert_eq!(super::line_ranges(&[9, 5, 6, 7]), "5–7, 9");
        assert_eq!(super::line_ranges(&[3]), "3");
    }
}
