//! The typed scan of clean student-level files (`measure::clean_students`)
//! must give exactly what the full cell-by-cell checks give, and must hand
//! every file with a doubtful row to the full checks.

mod common;

use std::path::{Path, PathBuf};

use common::{run_ok, student_sample};

const OUTPUTS: [&str; 5] = [
    "procedures.csv",
    "shnor.csv",
    "shnsu.csv",
    "schools.csv",
    "rejected.csv",
];

/// `checks` of every results file in the run's manifest, by file name.
fn checks(out: &Path) -> Vec<(String, String)> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["role"] == "results")
        .map(|i| {
            (
                i["file"].as_str().unwrap().to_string(),
                i["checks"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Runs `data` both ways and asserts identical outputs (the run id and
/// methodology columns included); returns the fast run's `checks` and the
/// number of rows set aside.
fn both_ways_agree(data: &Path) -> (Vec<(String, String)>, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let (fast, full) = (tmp.path().join("fast"), tmp.path().join("full"));
    run_ok(data, &fast, &[]);
    run_ok(data, &full, &["--full-checks"]);
    for file in OUTPUTS {
        let (a, b) = (fast.join(file), full.join(file));
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{file} differs between the typed scan and the full checks ({})",
            data.display()
        );
    }
    assert!(
        checks(&full).iter().all(|(_, c)| c == "every_cell"),
        "--full-checks must check every cell"
    );
    let rejected = std::fs::read_to_string(fast.join("rejected.csv")).unwrap();
    (checks(&fast), rejected.lines().count() - 1)
}

#[test]
fn bundled_sample_is_the_same_both_ways() {
    let (checks, _) = both_ways_agree(&common::repo().join("sample-data"));
    // The ЕГЭ files are student rows in Windows-1251 with `;`; the 2025
    // one has planted broken rows (sample-data/README.md).
    for (file, how) in &checks {
        let expected = match file.as_str() {
            "results/ege_2023.csv" | "results/ege_2024.csv" => "typed_scan",
            _ => "every_cell",
        };
        assert_eq!(how, expected, "{file}");
    }
}

#[test]
fn clean_student_files_take_the_typed_scan_in_csv_and_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    for format in ["csv", "parquet"] {
        let data = student_sample(tmp.path(), format);
        let (checks, rejected) = both_ways_agree(&data);
        assert_eq!(rejected, 0);
        assert!(!checks.is_empty());
        for (file, how) in checks {
            assert_eq!(how, "typed_scan", "{file} ({format})");
        }
    }
}

/// Replaces the first data line of `file` with `edit(line)`, or appends
/// `edit(first data line)` when `append`.
fn edit_first_line(file: &Path, append: bool, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let changed = edit(&lines[1]);
    if append {
        lines.push(changed);
    } else {
        lines[1] = changed;
    }
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

/// Each defect sends its file to the full checks (which name the row), and
/// the outputs stay identical to a run with `--full-checks`.
#[test]
fn a_doubtful_row_sends_the_file_to_the_full_checks() {
    type Defect = (&'static str, bool, fn(&str) -> String);
    // Columns of the generated files:
    // year,assessment,subject,grade,school_id,participant_id,mark,score
    let defects: [Defect; 10] = [
        ("отметка (mark) вне 2–5", false, |l| {
            replace_field(l, 6, "7")
        }),
        ("placeholder mark", false, |l| replace_field(l, 6, "X")),
        ("unknown school", false, |l| {
            replace_field(l, 4, "edu999999")
        }),
        ("participant twice", true, |l| l.to_string()),
        ("participant twice, once with spaces", true, |l| {
            let id = l.split(',').nth(5).unwrap().to_string();
            replace_field(l, 5, &format!(" {id} "))
        }),
        ("grade 12", false, |l| replace_field(l, 3, "12")),
        ("grade 4.5", false, |l| replace_field(l, 3, "4.5")),
        ("mark 3.5", false, |l| replace_field(l, 6, "3.5")),
        ("отрицательный балл (score)", false, |l| {
            replace_field(l, 7, "-1")
        }),
        ("нет ни отметки, ни балла", false, |l| {
            replace_field(&replace_field(l, 6, ""), 7, "")
        }),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let clean = student_sample(tmp.path(), "csv");
    for (what, append, edit) in defects {
        let data = tmp.path().join(what.replace(' ', "_"));
        copy_dir(&clean, &data);
        let file = first_results_file(&data, "vpr");
        edit_first_line(&file, append, edit);
        let (checks, rejected) = both_ways_agree(&data);
        assert_eq!(rejected, 1, "{what}: one row set aside");
        let name = format!("results/{}", file.file_name().unwrap().to_string_lossy());
        for (file, how) in checks {
            let expected = if file == name {
                "every_cell"
            } else {
                "typed_scan"
            };
            assert_eq!(how, expected, "{what}: {file}");
        }
    }
}

fn replace_field(line: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
    fields[index] = value.to_string();
    fields.join(",")
}

fn first_results_file(data: &Path, prefix: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    files.sort();
    files.remove(0)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `--max-memory` refuses what checking every cell would need (8 × the
/// file), not what the typed scan of a clean file needs (about the file).
#[test]
fn the_memory_cap_lets_a_clean_file_through_and_refuses_a_doubtful_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = student_sample(tmp.path(), "csv");
    // Results files are 120–140 KB: 8 × that is above 500 KB, the file is not.
    run_ok(&data, &tmp.path().join("clean"), &["--max-memory", "500KB"]);
    let file = first_results_file(&data, "vpr");
    edit_first_line(&file, false, |l| replace_field(l, 6, "7"));
    let output = common::shnor()
        .arg("run")
        .arg(&data)
        .args(["--out", "unused", "--max-memory", "500KB"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("больше --max-memory"), "{stderr}");
}
