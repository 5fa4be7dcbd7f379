//! The outputs in other hands: Parquet read back by the reference Apache
//! implementation (the `parquet` crate) equals the CSV, the XLSX report opens
//! with the expected sheets and values, and the Excel dialect of CSV.

mod common;

use std::fs::{self, File};
use std::path::Path;

use assert_cmd::Command;
use calamine::{Data, Reader, open_workbook_auto};
use common::{repo, run_sample};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use polars::prelude::*;
use tempfile::TempDir;

/// A Parquet value as the CSV writes it.
fn as_csv_text(field: &Field) -> String {
    match field {
        Field::Null => String::new(),
        Field::Bool(b) => b.to_string(),
        Field::Int(i) => i.to_string(),
        Field::Long(i) => i.to_string(),
        Field::UInt(i) => i.to_string(),
        Field::Double(f) => format!("{f:.6}"),
        Field::Str(s) => s.clone(),
        other => panic!("unexpected Parquet value {other:?}"),
    }
}

fn csv_cells(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap();
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let rows = (0..frame.height())
        .map(|r| {
            frame
                .columns()
                .iter()
                .map(|c| match c.get(r).unwrap() {
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    (names, rows)
}

#[test]
fn parquet_outputs_read_back_with_the_apache_reader_equal_the_csv() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &[]);
    for name in [
        "shnor",
        "shnsu",
        "schools",
        "municipalities",
        "procedures",
        "transitions",
    ] {
        let reader =
            SerializedFileReader::new(File::open(out.join(format!("{name}.parquet"))).unwrap())
                .unwrap();
        let metadata = reader.metadata().file_metadata();
        let kv: Vec<(String, String)> = metadata
            .key_value_metadata()
            .unwrap()
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
            .collect();
        assert!(
            kv.contains(&("shnor_methodology".into(), "federal-2025".into())),
            "{kv:?}"
        );
        assert!(
            kv.contains(&("shnor_version".into(), env!("CARGO_PKG_VERSION").into())),
            "{kv:?}"
        );
        // Repeated strings are dictionary-encoded, every column is zstd.
        let row_group = reader.metadata().row_group(0);
        for column in row_group.columns() {
            assert!(matches!(
                column.compression(),
                parquet::basic::Compression::ZSTD(_)
            ));
            if column.column_path().string() == "methodology" {
                assert!(
                    column
                        .encodings()
                        .any(|e| e == parquet::basic::Encoding::RLE_DICTIONARY),
                    "{name}: methodology is not dictionary-encoded"
                );
            }
        }
        let parquet_names: Vec<String> = metadata
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let (csv_names, csv_rows) = csv_cells(&out.join(format!("{name}.csv")));
        assert_eq!(parquet_names, csv_names, "{name}: columns");
        let rows: Vec<Vec<String>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| as_csv_text(f))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), csv_rows.len(), "{name}: rows");
        assert_eq!(rows, csv_rows, "{name}: values");
    }
}

#[test]
fn xlsx_report_has_the_lists_with_russian_headers() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &[]);
    let mut workbook = open_workbook_auto(out.join("report.xlsx")).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        [
            "ШНОР",
            "ШНСУ",
            "Зона риска",
            "Партнёры",
            "Стабильно высокие",
            "Профили риска",
            "Показатели паспорта",
            "Объективность",
            "Муниципалитеты",
            "Уровни",
            "Школы",
            "Динамика",
            "Сопровождение",
            "Методика"
        ]
    );
    let shnor = workbook.worksheet_range("ШНОР").unwrap();
    let header: Vec<String> = shnor
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "Код ОО");
    assert!(header.contains(&"Основания".to_string()), "{header:?}");
    let listed = fs::read_to_string(out.join("shnor.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(shnor.height() - 1, listed);
    assert!(
        shnor
            .rows()
            .any(|r| r[0] == Data::String("edu990001".into()))
    );
    let municipalities = workbook.worksheet_range("Муниципалитеты").unwrap();
    let row = municipalities.rows().nth(1).unwrap();
    assert_eq!(row[0], Data::String("Город Приморск".into()));
    // Shares are numbers (formatted as percentages), not text.
    assert!(matches!(row[3], Data::Float(_)), "{:?}", row[3]);
    // Codes are written as the words people read, from one table.
    for (sheet, code, label) in [
        ("Школы", "shnor_only", "только ШНОР"),
        ("Динамика", "stayed", "осталась в списке"),
        ("Профили риска", "high", "высокий риск"),
    ] {
        let cells: Vec<Data> = workbook
            .worksheet_range(sheet)
            .unwrap()
            .rows()
            .flat_map(|r| r.to_vec())
            .collect();
        assert!(
            cells.contains(&Data::String(label.into())),
            "{sheet}: {label}"
        );
        assert!(
            !cells.contains(&Data::String(code.into())),
            "{sheet}: {code}"
        );
    }
    let methodology = workbook.worksheet_range("Методика").unwrap();
    assert!(
        methodology
            .rows()
            .any(|r| r[0] == Data::String("shnor.threshold_percent".into())
                && r[1] == Data::String("30.0".into()))
    );
}

#[test]
fn excel_ru_csv_has_bom_semicolons_decimal_commas_and_russian_headers() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run_sample(&out, &["--csv-dialect", "excel-ru"]);
    let bytes = fs::read(out.join("shnsu.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("Код ОО;Наименование ОО;Муниципалитет;Индекс социального риска;"),
        "{header}"
    );
    let first = text.lines().nth(1).unwrap();
    let score = first.split(';').nth(3).unwrap();
    assert!(score.contains(',') && !score.contains('.'), "{first}");
    // Parquet is the same whatever the CSV dialect.
    let standard = tmp.path().join("standard");
    run_sample(&standard, &[]);
    assert_eq!(
        fs::read(out.join("shnsu.parquet")).unwrap(),
        fs::read(standard.join("shnsu.parquet")).unwrap()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn rerun_reproduces_the_outputs_byte_for_byte_and_refuses_changed_inputs() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    copy_dir(&repo().join("sample-data"), &data);
    let out = tmp.path().join("out");
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .arg("run")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .args([
            "--methodology",
            "federal-2025-strict",
            "--csv-dialect",
            "excel-ru",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let again = tmp.path().join("again");
    let rerun = |target: &Path| {
        Command::cargo_bin("shnor")
            .unwrap()
            .current_dir(tmp.path())
            .arg("rerun")
            .arg(out.join("manifest.json"))
            .arg("--out")
            .arg(target)
            .output()
            .unwrap()
    };
    let output = rerun(&again);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for entry in fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name();
        if name == "manifest.json" {
            continue;
        }
        assert!(
            fs::read(out.join(&name)).unwrap() == fs::read(again.join(&name)).unwrap(),
            "{name:?} differs after rerun"
        );
    }
    // A changed input is refused, naming the file.
    let survey = data.join("survey/survey_2025.csv");
    let mut text = fs::read_to_string(&survey).unwrap();
    text.push_str("edu010001,2024,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n");
    fs::write(&survey, text).unwrap();
    let output = rerun(&tmp.path().join("third"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("входной файл survey/survey_2025.csv: SHA-256 был"),
        "{stderr}"
    );
    assert!(!tmp.path().join("third").exists());
}

#[test]
fn partitioned_parquet_is_hive_style_and_needs_a_region_column() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    copy_dir(&repo().join("sample-data"), &data);
    let out = tmp.path().join("out");
    let run = |out: &Path| {
        Command::cargo_bin("shnor")
            .unwrap()
            .current_dir(repo())
            .arg("run")
            .arg(&data)
            .arg("--out")
            .arg(out)
            .args(["--partition-by", "region,year"])
            .output()
            .unwrap()
    };
    let output = run(&out);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--partition-by region: в schools.csv нет столбца `region`"),
        "{stderr}"
    );
    // Two regions: odd and even school numbers.
    let schools = fs::read_to_string(data.join("schools.csv")).unwrap();
    let mut with_region = String::new();
    for (i, line) in schools.lines().enumerate() {
        let region = if i == 0 {
            "region"
        } else if i % 2 == 0 {
            "Кемеровская область"
        } else {
            "Забайкальский край"
        };
        with_region.push_str(&format!("{line},{region}\n"));
    }
    fs::write(data.join("schools.csv"), with_region).unwrap();
    let output = run(&out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let part = out.join("partitioned/shnor/region=Кемеровская область/year=2025/part-0.parquet");
    assert!(part.is_file(), "{}", part.display());
    let mut rows = 0;
    for region in ["Кемеровская область", "Забайкальский край"] {
        let path = out.join(format!(
            "partitioned/shnor/region={region}/year=2025/part-0.parquet"
        ));
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let names: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        assert!(!names.contains(&"region".to_string()), "{names:?}");
        rows += reader.metadata().file_metadata().num_rows();
    }
    let listed = fs::read_to_string(out.join("shnor.csv"))
        .unwrap()
        .lines()
        .count() as i64
        - 1;
    assert_eq!(rows, listed);
    assert!(
        out.join("partitioned/procedures/region=Забайкальский край/year=2023/part-0.parquet")
            .is_file()
    );
}
