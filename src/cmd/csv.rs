//! How CSV inputs are read: the options `run` and `check` share.

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use shnor::ingest::CsvOverrides;
use shnor::ingest::table::TextEncoding;
use shnor::resources::Fit;

/// How CSV inputs are read; detected per file unless given.
#[derive(Debug, Args, Default)]
pub struct CsvArgs {
    /// Кодировка всех входных CSV (по умолчанию определяется для каждого файла).
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// Разделитель полей всех входных CSV: `;`, `,` или `tab`.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Десятичная запятая в числах (по умолчанию да, если разделитель не `,`).
    #[arg(long)]
    pub decimal_comma: Option<bool>,
    /// Предел памяти, например `4GB` или `512MB`: файл, для чтения которого
    /// нужно больше, отклоняется с сообщением, а не исчерпывает память машины.
    #[arg(long, value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Проверять каждую ячейку файлов участников как текст, даже когда
    /// типизированное чтение показывает, что файл чист (медленнее; списки те же).
    #[arg(long)]
    pub full_checks: bool,
}

/// `4GB`, `512MB`, `100KB` or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_uppercase();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t.as_str(), ""),
    };
    let factor: u64 = match unit {
        "" | "B" => 1,
        "K" | "KB" => 1 << 10,
        "M" | "MB" => 1 << 20,
        "G" | "GB" => 1 << 30,
        other => {
            return Err(format!(
                "неизвестная единица `{other}`: укажите KB, MB или GB"
            ));
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` — не размер вида 4GB"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("`{text}`: размер должен быть больше нуля"));
    }
    Ok((value * factor as f64) as u64)
}

impl CsvArgs {
    /// The options as the library takes them; under a cap on virtual
    /// memory, reading is capped below it unless `--max-memory` says otherwise.
    pub fn overrides(&self, fit: Option<Fit>) -> Result<CsvOverrides> {
        let delimiter = match self.delimiter.as_deref() {
            None => None,
            Some(";") => Some(b';'),
            Some(",") => Some(b','),
            Some("tab") | Some("\\t") | Some("\t") => Some(b'\t'),
            Some(other) => {
                bail!("--delimiter `{other}` не поддерживается; укажите `;`, `,` или `tab`")
            }
        };
        Ok(CsvOverrides {
            encoding: self.encoding.map(Into::into),
            delimiter,
            decimal_comma: self.decimal_comma,
            max_memory: self.max_memory.or(fit.map(|f| f.memory)),
            full_checks: self.full_checks,
        })
    }
}

/// `--encoding`, as the command line spells [`TextEncoding`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    Utf8,
    #[value(name = "utf8-bom")]
    Utf8Bom,
    #[value(name = "cp1251", alias = "windows-1251")]
    Windows1251,
    /// «Текст Юникод» Excel: UTF-16 с меткой BOM (без неё — little-endian).
    #[value(name = "utf16", alias = "utf-16")]
    Utf16,
}

impl From<EncodingArg> for TextEncoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Utf8 => TextEncoding::Utf8,
            EncodingArg::Utf8Bom => TextEncoding::Utf8Bom,
            EncodingArg::Windows1251 => TextEncoding::Windows1251,
            EncodingArg::Utf16 => TextEncoding::Utf16,
        }
    }
}
