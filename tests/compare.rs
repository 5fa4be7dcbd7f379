//! `shnor compare`: a published list against a run.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{run_sample, shnor};
use tempfile::TempDir;

/// Runs the sample region once and returns the run folder and its ШНОР ids.
fn sample_run(tmp: &Path) -> (PathBuf, Vec<String>) {
    let out = tmp.join("out");
    run_sample(&out, &[]);
    let ids = fs::read_to_string(out.join("shnor.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    (out, ids)
}

fn compare(out: &Path, published: &Path) -> (i32, String, String) {
    let output = shnor()
        .args(["compare", "--run"])
        .arg(out)
        .arg("--published")
        .arg(published)
        .output()
        .unwrap();
    let table = fs::read_to_string(out.join("compare.csv")).unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        table,
    )
}

#[test]
fn an_identical_list_exits_zero() {
    let tmp = TempDir::new().unwrap();
    let (out, ids) = sample_run(tmp.path());
    let published = tmp.path().join("published.csv");
    fs::write(
        &published,
        format!(
            "school_id,year\n{}\n",
            ids.iter()
                .map(|i| format!("{i},2025"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .unwrap();
    let (code, stdout, _) = compare(&out, &published);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "в обоих {}, только в опубликованном 0, только в рассчитанном 0",
            ids.len()
        )),
        "{stdout}"
    );
}

#[test]
fn differences_come_with_the_closest_reason() {
    let tmp = TempDir::new().unwrap();
    let (out, ids) = sample_run(tmp.path());
    // Published: the computed list without edu990001, plus two schools the
    // run did not list and one that is not in the data.
    let mut published: Vec<String> = ids.iter().filter(|i| *i != "edu990001").cloned().collect();
    published.extend(["edu990002".into(), "edu990003".into(), "edu777777".into()]);
    let path = tmp.path().join("published.csv");
    fs::write(&path, format!("school_id\n{}\n", published.join("\n"))).unwrap();
    let (code, stdout, table) = compare(&out, &path);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("только в опубликованном 3, только в рассчитанном 1"),
        "{stdout}"
    );
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap_or_else(|| panic!("{id}: {table}"))
            .to_string()
    };
    assert!(
        row("edu990001").contains("only_computed,в расчёте: две и более процедуры в текущем году"),
        "{}",
        row("edu990001")
    );
    assert!(
        row("edu990002").contains("доля 28,6 % в ВПР математика 5 кл. 2025, ниже порога 30 %"),
        "{}",
        row("edu990002")
    );
    assert!(
        row("edu990003").contains("9 участников в ВПР математика 5 кл. 2025, меньше минимума 10"),
        "{}",
        row("edu990003")
    );
    assert!(
        row("edu777777").contains("нет в исходных данных"),
        "{}",
        row("edu777777")
    );
}

#[test]
fn names_without_ids_match_tolerantly() {
    let tmp = TempDir::new().unwrap();
    let (out, _) = sample_run(tmp.path());
    // An XLSX-like list by name: quotes, a prefix, «№» spacing, ё and case differ.
    let path = tmp.path().join("published.csv");
    fs::write(
        &path,
        "Наименование ОО;Муниципалитет\n\
         \"СОШ №904 (повтор процедуры)\";город приморск\n\
         МБОУ \"СОШ № 905 (две процедуры в текущем году)\";Город Приморск\n\
         МКОУ «СОШ с. Березовка»;Северный район\n\
         Школа, которой нет;Город Приморск\n",
    )
    .unwrap();
    let (code, _, table) = compare(&out, &path);
    assert_eq!(code, 1);
    assert!(table.contains("edu990004,"), "{table}");
    assert!(table.contains("edu990005,"), "{table}");
    // «СОШ с. Берёзовка» exists in several municipalities; the municipality decides.
    assert!(
        table.contains("edu010001,МКОУ «СОШ с. Берёзовка»,Северный район,only_published"),
        "{table}"
    );
    assert!(
        table.contains("«Школа, которой нет»: нет в исходных данных"),
        "{table}"
    );
}
