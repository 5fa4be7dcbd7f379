//! What an input file is and what it is for, decided once: the format from
//! the file's ending (case-insensitively), the role from where it lies.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The kinds of file the tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// `.csv`, `.txt`, `.tsv`: text in UTF-8, UTF-16 or Windows-1251.
    Csv,
    /// `.parquet`, `.pq`.
    Parquet,
    /// `.xlsx`, `.xlsm`, `.xls`, `.ods`.
    Workbook,
}

impl InputFormat {
    /// The format of `path` by its ending; None for a file the tool does not
    /// read.
    pub fn of(path: &Path) -> Option<Self> {
        let ending = path.extension()?.to_str()?.to_lowercase();
        match ending.as_str() {
            "csv" | "txt" | "tsv" => Some(Self::Csv),
            "parquet" | "pq" => Some(Self::Parquet),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Self::Workbook),
            _ => None,
        }
    }

    /// How `shnor check` names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Parquet => "Parquet",
            Self::Workbook => "книга Excel/ODS",
        }
    }
}

/// What an input table is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    Schools,
    Results,
    Survey,
    PreviousList,
}

impl InputRole {
    /// How `shnor check` and the run name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Schools => "реестр школ",
            Self::Results => "результаты",
            Self::Survey => "анкета",
            Self::PreviousList => "прежний список",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ending_decides_the_format_in_any_case() {
        assert_eq!(
            InputFormat::of(Path::new("a/X.PARQUET")),
            Some(InputFormat::Parquet)
        );
        assert_eq!(InputFormat::of(Path::new("b.Csv")), Some(InputFormat::Csv));
        assert_eq!(
            InputFormat::of(Path::new("c.XLSX")),
            Some(InputFormat::Workbook)
        );
        assert_eq!(InputFormat::of(Path::new("d.pdf")), None);
        assert_eq!(InputFormat::of(Path::new("noending")), None);
    }
}
