//! The command line: `shnor run` and `shnor sample`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::codes::List;
use crate::ingest::CsvOverrides;
use crate::ingest::table::TextEncoding;
use crate::sample::SampleFormat;
use crate::write::CsvOutput;
use crate::write::partition::PartitionKey;

#[derive(Debug, Parser)]
#[command(
    name = "shnor",
    version,
    about = "Выявление ШНОР (школ с низкими образовательными результатами) и ШНСУ (школ, функционирующих в неблагоприятных социальных условиях)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Прочитать папку данных и записать списки ШНОР и ШНСУ.
    Run(RunArgs),
    /// Записать учебный (синтетический) регион — генератор sample-data/.
    Sample(SampleArgs),
    /// Проверить папку данных, не составляя списков: как читается каждый
    /// файл и какие строки будут отложены (код выхода 1, если такие есть).
    Check(CheckArgs),
    /// Записать OUT/report.html: методика, цифры, графики и списки.
    Report(ReportArgs),
    /// Повторить запуск по manifest.json, проверив, что входные данные не менялись.
    Rerun(RerunArgs),
    /// Сравнить опубликованный список (CSV или XLSX) со списком запуска.
    Compare(CompareArgs),
    /// Перечислить готовые методики, поставляемые с программой.
    Methodologies,
    /// Объяснить, почему школа есть или нет в каждом списке готового запуска.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Папка с schools.csv, results/ и survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Методика (от неё зависит, например, какие показатели анкеты нужны).
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Показать все замечания, а не первые 20 на файл.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// manifest.json запуска, который нужно повторить.
    pub manifest: PathBuf,
    /// Папка результатов (по умолчанию OUT-rerun рядом с папкой запуска;
    /// сам запуск не перезаписывается, если его папка не названа здесь).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Опубликованный список: school_id или school_name с municipality.
    #[arg(long)]
    pub published: PathBuf,
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
    /// Какой список: shnor или shnsu.
    #[arg(long, value_enum, default_value = "shnor")]
    pub list: ListArg,
    /// Куда записать таблицу сравнения (по умолчанию RUN/compare.csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Школа, которую нужно объяснить.
    pub school_id: String,
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Папка с schools.csv, results/ и survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Методика: имя готовой (см. `shnor methodologies`) или файл TOML;
    /// без неё — federal-2025.
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Папка прежних опубликованных списков (CSV: school_id, year и
    /// необязательный list = ШНОР/ШНСУ) — для повторных попаданий и переходов.
    #[arg(long)]
    pub previous_lists: Option<PathBuf>,
    /// Папка результатов; заменяется только при успешном запуске.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// CSV на выходе: `standard` (UTF-8, запятая, snake_case — для программ)
    /// или `excel-ru` (BOM, `;`, десятичная запятая, русские заголовки — для Excel).
    #[arg(long, value_enum, default_value = "standard")]
    pub csv_dialect: CsvOutputArg,
    /// Записать также Parquet, разбитый по папкам в стиле Hive, в OUT/partitioned/:
    /// по `region` (столбец реестра) и/или `year`, например `region,year`.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub partition_by: Vec<PartitionArg>,
    /// Записать также OUT/report.html (как `shnor report`).
    #[arg(long)]
    pub report: bool,
    /// Без хода работы, списка входных файлов и итога: только предупреждения
    /// и ошибки (в stderr). Ход работы — полоса в терминале, иначе строки журнала.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

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
    pub fn overrides(&self) -> Result<CsvOverrides> {
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
            max_memory: self.max_memory,
            full_checks: self.full_checks,
        })
    }
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Число обычных школ (к ним добавляются заложенные пограничные случаи).
    #[arg(long, default_value_t = 200)]
    pub schools: usize,
    /// Годы результатов через запятую.
    #[arg(long, value_delimiter = ',', default_value = "2023,2024,2025")]
    pub years: Vec<i32>,
    /// Зерно генератора: одно зерно — одни и те же файлы.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Папка для записи (заменяется).
    #[arg(long, default_value = "sample-data")]
    pub out: PathBuf,
    /// Все результаты строками участников в одном простом формате — для
    /// замеров объёма и скорости (без пограничных школ и испорченных строк).
    #[arg(long)]
    pub student_level: bool,
    /// Вместе с --student-level: CSV (UTF-8, запятая) или Parquet.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: SampleFormatArg,
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

/// `--csv-dialect`, as the command line spells [`CsvOutput`].
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum CsvOutputArg {
    /// UTF-8, запятая, заголовки snake_case: для программ и BI.
    #[default]
    Standard,
    /// UTF-8 с BOM, `;`, десятичная запятая, русские заголовки: русский Excel
    /// открывает таблицу двойным щелчком.
    ExcelRu,
}

impl From<CsvOutputArg> for CsvOutput {
    fn from(c: CsvOutputArg) -> Self {
        match c {
            CsvOutputArg::Standard => CsvOutput::Standard,
            CsvOutputArg::ExcelRu => CsvOutput::ExcelRu,
        }
    }
}

/// `--partition-by`, as the command line spells [`PartitionKey`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartitionArg {
    /// Столбец `region` реестра школ.
    Region,
    /// Год таблицы (для списков — текущий год).
    Year,
}

impl From<PartitionArg> for PartitionKey {
    fn from(p: PartitionArg) -> Self {
        match p {
            PartitionArg::Region => PartitionKey::Region,
            PartitionArg::Year => PartitionKey::Year,
        }
    }
}

/// `shnor sample --format`, as the command line spells [`SampleFormat`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SampleFormatArg {
    Csv,
    Parquet,
}

impl From<SampleFormatArg> for SampleFormat {
    fn from(f: SampleFormatArg) -> Self {
        match f {
            SampleFormatArg::Csv => SampleFormat::Csv,
            SampleFormatArg::Parquet => SampleFormat::Parquet,
        }
    }
}

/// `shnor compare --list`, as the command line spells [`List`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListArg {
    Shnor,
    Shnsu,
}

impl From<ListArg> for List {
    fn from(l: ListArg) -> Self {
        match l {
            ListArg::Shnor => List::Shnor,
            ListArg::Shnsu => List::Shnsu,
        }
    }
}
