//! End-to-end on real public data: the Moscow ЕГЭ 2015/16 open-data export in
//! ../shared/real-data/, read through the shipped adapters.

mod common;

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use common::repo;
use tempfile::TempDir;

fn moscow_file() -> PathBuf {
    repo().join("../shared/real-data/mos-ege-2016/data-9722-2016-10-31.csv")
}

/// Splits a `;`-separated line of fully quoted fields.
fn fields(line: &str) -> Vec<String> {
    line.trim_end_matches(['\r', '\n'])
        .split("\";\"")
        .map(|f| f.trim_matches(|c| c == '"' || c == ';').to_string())
        .collect()
}

/// The list computed without shnor: ≥ 20 graduates and ≥ 80 % below 160,
/// where the count below 160 is PASSED_NUMBER_FULL − PASSER_UNDER_160.
fn independent_list() -> Vec<String> {
    let text = fs::read_to_string(moscow_file()).unwrap();
    let mut lines = text.lines();
    let header = fields(lines.next().unwrap());
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, full, at_least_160) = (at("ID"), at("PASSED_NUMBER_FULL"), at("PASSER_UNDER_160"));
    let mut listed: Vec<String> = lines
        .filter(|l| !l.trim().is_empty())
        .map(fields)
        .filter(|f| {
            let graduates: i64 = f[full].parse().unwrap();
            let below: i64 = graduates - f[at_least_160].parse::<i64>().unwrap();
            graduates >= 20 && below * 100 >= 80 * graduates
        })
        .map(|f| f[id].clone())
        .collect();
    listed.sort();
    listed
}

#[test]
fn moscow_ege_list_matches_an_independent_count() {
    assert!(
        moscow_file().is_file(),
        "{} is missing: the real data sits in ../shared beside the clone",
        moscow_file().display()
    );
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("mos");
    fs::create_dir_all(data.join("results")).unwrap();
    fs::copy(moscow_file(), data.join("schools.csv")).unwrap();
    fs::copy(moscow_file(), data.join("results/data-9722-2016-10-31.csv")).unwrap();
    fs::copy(
        repo().join("examples/mos-ege-2016/adapters.toml"),
        data.join("adapters.toml"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .arg("run")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .args(["--methodology", "examples/mos-ege-2016/methodology.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let shnor = fs::read_to_string(out.join("shnor.csv")).unwrap();
    let mut listed: Vec<String> = shnor
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    listed.sort();
    let expected = independent_list();
    assert!(
        expected.len() > 10,
        "the independent count found {}",
        expected.len()
    );
    assert_eq!(listed, expected);
    // Every one of the 626 schools became one procedure; nothing was set aside.
    let procedures = fs::read_to_string(out.join("procedures.csv")).unwrap();
    assert_eq!(procedures.lines().count() - 1, 626);
    assert_eq!(
        fs::read_to_string(out.join("rejected.csv"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    assert!(
        stderr.contains("адаптер builtin:mos-ege-2016-results.sql"),
        "{stderr}"
    );
}
