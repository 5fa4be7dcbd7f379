//! End-to-end tests of the `shnor` binary: the sample region against its
//! reviewed golden lists, Russian-locale CSV dialects, rejected rows,
//! determinism and atomic outputs.

mod common;

use std::fs;
use std::path::Path;

use common::{DataDir, repo, run_ok, shnor};
use tempfile::TempDir;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lines of a CSV output whose first field is `id`.
fn rows_of<'a>(csv: &'a str, id: &str) -> Vec<&'a str> {
    csv.lines()
        .filter(|l| l.starts_with(&format!("{id},")))
        .collect()
}

const GOLDEN_FILES: [&str; 12] = [
    "shnor.csv",
    "shnsu.csv",
    "schools.csv",
    "municipalities.csv",
    "transitions.csv",
    "rejected.csv",
    "risk_profiles.csv",
    "objectivity.csv",
    "follow_up.csv",
    "risk_zone.csv",
    "stably_high.csv",
    "partners.csv",
];

/// The lists of the sample region against the reviewed copies in
/// tests/golden/sample/. After a deliberate change, regenerate them with
/// `SHNOR_UPDATE_GOLDEN=1 cargo test --test cli`, and review the diff.
#[test]
fn sample_data_lists_match_the_golden_copy() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let stderr = run_ok(&repo().join("sample-data"), &out, &[]);
    // How each input was read comes first, as `shnor check` says it.
    let summary = stderr
        .find("results/ege_2025.csv (результаты, строки участников; CSV Windows-1251")
        .unwrap();
    assert!(summary < stderr.find("ШНОР: 28 школ").unwrap(), "{stderr}");
    assert!(
        stderr.contains("строк 4439, отложено 2, отсутствовали 1"),
        "{stderr}"
    );
    let golden = repo().join("tests/golden/sample");
    if std::env::var_os("SHNOR_UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(&golden).unwrap();
        for f in GOLDEN_FILES {
            fs::copy(out.join(f), golden.join(f)).unwrap();
        }
    }
    for f in GOLDEN_FILES {
        let got = read(&out.join(f));
        let want = read(&golden.join(f));
        assert!(got == want, "{f} differs from tests/golden/sample/{f}");
    }
    for f in ["procedures", "shnor", "shnsu", "schools"] {
        assert!(out.join(format!("{f}.parquet")).is_file(), "{f}.parquet");
        assert!(out.join(format!("{f}.csv")).is_file(), "{f}.csv");
    }
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn planted_boundary_schools_are_classified_as_documented() {
    let tmp = TempDir::new().unwrap();
    let or_out = tmp.path().join("or");
    run_ok(&repo().join("sample-data"), &or_out, &[]);
    let strict = tmp.path().join("strict.toml");
    fs::write(
        &strict,
        shnor::methodology::DEFAULT_METHODOLOGY.replace("combine = \"or\"", "combine = \"and\""),
    )
    .unwrap();
    let and_out = tmp.path().join("and");
    run_ok(
        &repo().join("sample-data"),
        &and_out,
        &["--methodology", strict.to_str().unwrap()],
    );
    let listed = |out: &Path, id: &str| !rows_of(&read(&out.join("shnor.csv")), id).is_empty();
    // (school, listed under OR, listed under AND), as in sample-data/README.md.
    let expected = [
        ("edu990001", true, false),
        ("edu990002", false, false),
        ("edu990003", false, false),
        ("edu990004", true, false),
        ("edu990005", true, false),
        ("edu990006", true, true),
        ("edu990007", false, false),
    ];
    for (id, or, and) in expected {
        assert_eq!(listed(&or_out, id), or, "{id} under OR");
        assert_eq!(listed(&and_out, id), and, "{id} under AND");
    }
    let schools = read(&or_out.join("schools.csv"));
    let no_survey = rows_of(&schools, "edu990008")[0];
    assert!(no_survey.contains("нет данных анкеты"), "{no_survey}");
    assert!(!rows_of(&schools, "edu990009")[0].contains("нет данных анкеты"));
}

#[test]
fn two_runs_give_identical_bytes() {
    let tmp = TempDir::new().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&repo().join("sample-data"), &a, &[]);
    run_ok(&repo().join("sample-data"), &b, &[]);
    let mut names: Vec<String> = fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let (x, y) = (
            fs::read(a.join(&name)).unwrap(),
            fs::read(b.join(&name)).unwrap(),
        );
        if name == "manifest.json" {
            let strip = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                v.as_object_mut().unwrap().remove("timings_ms");
                v
            };
            assert_eq!(strip(&x), strip(&y), "manifest.json beyond timings");
        } else {
            assert!(x == y, "{name} differs between two runs");
        }
    }
}

/// A small data directory written by the test: three schools and a survey.
fn data_dir() -> DataDir {
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\ns1,Школа 1,Район\ns2,Школа 2,Район\ns3,Школа 3,Район\n",
    );
    data.write(
        "survey/survey.csv",
        "school_id,year,ovz_share\ns1,2025,0.3\ns2,2025,0.1\ns3,2025,0.2\n",
    );
    data
}

fn cp1251(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(text).0.into_owned()
}

#[test]
fn cp1251_semicolon_and_decimal_comma_are_read() {
    let data = data_dir();
    // School aggregates, ФИС ОКО style: percentages with a decimal comma.
    data.write(
        "results/vpr.csv",
        cp1251(
            "Year;Assessment;Subject;Grade;School_ID;Participants;Fail_Percent\n\
             2025;впр;Русский язык;5;s1;10;30,0\n\
             2025;ВПР;МАТЕМАТИКА;5;s1;20;30,0\n\
             2025;VPR;русский язык;5;s2;21;28,57\n",
        ),
    );
    // Student rows with decimal-comma scores: 23,5 is below 24, 24,0 is not.
    let mut ege = String::from("year;assessment;subject;grade;school_id;participant_id;score\n");
    for (i, score) in [
        "23,5", "24,0", "24,0", "80", "70", "60", "50", "45", "44", "90",
    ]
    .iter()
    .enumerate()
    {
        ege.push_str(&format!("2025;ЕГЭ;Русский язык;11;s3;p{i};{score}\n"));
    }
    data.write("results/ege.csv", cp1251(&ege));
    let out = data.out();
    run_ok(&data.root, &out, &[]);
    let procedures = read(&out.join("procedures.csv"));
    assert!(
        procedures.contains("s1,2025,ВПР,русский язык,5,10,3,0,0.300000,"),
        "{procedures}"
    );
    assert!(
        procedures.contains("s1,2025,ВПР,математика,5,20,6,"),
        "{procedures}"
    );
    assert!(
        procedures.contains("s2,2025,ВПР,русский язык,5,21,6,"),
        "{procedures}"
    );
    assert!(
        procedures.contains("s3,2025,ЕГЭ,русский язык,11,10,1,"),
        "{procedures}"
    );
    let shnor = read(&out.join("shnor.csv"));
    assert_eq!(rows_of(&shnor, "s1").len(), 1, "{shnor}");
    assert!(rows_of(&shnor, "s2").is_empty());
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    let vpr = inputs
        .iter()
        .find(|i| i["file"] == "results/vpr.csv")
        .unwrap();
    assert_eq!(vpr["csv"]["encoding"], "windows1251");
    assert_eq!(vpr["csv"]["delimiter"], ";");
    assert_eq!(vpr["csv"]["decimal_comma"], true);
    assert_eq!(vpr["form"], "aggregate");
}

#[test]
fn unusable_rows_are_listed_with_file_line_and_reason() {
    let data = data_dir();
    data.write(
        "results/students.csv",
        "year,assessment,subject,grade,school_id,participant_id,mark,score\n\
         2025,ВПР,русский язык,5,s1,a1,2,\n\
         2025,ВПР,русский язык,5,nope,a2,3,\n\
         2025,ВПР,русский язык,5,s1,a3,7,\n\
         2025,ВПР,русский язык,5,s1,a4,4.5,\n\
         2025,ВПР,русский язык,5,,a5,3,\n\
         2025,олимпиада,русский язык,5,s1,a6,3,\n\
         20x5,ВПР,русский язык,5,s1,a7,3,\n\
         2025,ВПР,русский язык,5,s1,a8,,\n\
         2025,ОГЭ,химия,9,s1,a9,,12\n\
         2025,ВПР,русский язык,5,s1,a10,3,\n",
    );
    data.write(
        "results/aggregates.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2025,ОГЭ,математика,9,s2,10,11\n\
         2025,ОГЭ,математика,9,s2,abc,1\n\
         2025,ОГЭ,математика,9,s3,10,2\n",
    );
    let out = data.out();
    run_ok(&data.root, &out, &[]);
    let rejected = read(&out.join("rejected.csv"));
    let expected = "file,line,column,reason\n\
        results/aggregates.csv,2,failed,failed 11 больше числа участников 10\n\
        results/aggregates.csv,3,participants,число участников «abc» — не целое число\n\
        results/students.csv,3,school_id,\"school_id (значение скрыто, знаков: 4; из строк участников показываются только значения до 3 знаков, общие для 3 и более участников и коды вида кодов реестра) нет в реестре школ\"\n\
        results/students.csv,4,mark,отметка (mark) вне 2–5\n\
        results/students.csv,5,mark,отметка (mark) — не целое число\n\
        results/students.csv,6,school_id,не указан school_id\n\
        results/students.csv,7,assessment,\"неизвестная процедура (значение скрыто, знаков: 9; из строк участников показываются только значения до 3 знаков, общие для 3 и более участников и коды вида кодов реестра); укажите ВПР, ОГЭ, ЕГЭ, НИКО, РДР, ГВЭ-9 или ГВЭ-11\"\n\
        results/students.csv,8,year,\"год (значение скрыто, знаков: 4; из строк участников показываются только значения до 3 знаков, общие для 3 и более участников и коды вида кодов реестра) — не целое число\"\n\
        results/students.csv,9,mark,\"нет ни отметки, ни балла: по строке нельзя понять, получил ли участник «2»\"\n\
        results/students.csv,10,score,нет отметки и нет минимального балла для ОГЭ химия 2025; добавьте его в таблицу минимальных баллов (методика: failure.min_scores) или шкалу перевода первичных баллов (failure.extra_scales)\n";
    assert_eq!(rejected, expected.replace("        ", ""));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["rows_rejected"], 10);
    let students = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == "results/students.csv")
        .unwrap();
    assert_eq!(students["rows"], 10);
    assert_eq!(students["rows_rejected"], 8);
    // The two valid student rows make one procedure: 1 of 2 failed.
    let procedures = read(&out.join("procedures.csv"));
    assert!(
        procedures.contains("s1,2025,ВПР,русский язык,5,2,1,0,0.500000"),
        "{procedures}"
    );
    // No participant id reaches any output.
    for entry in fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("a10") && !text.contains(",a1,"),
            "{} carries a participant id",
            path.display()
        );
    }
}

#[test]
fn an_aggregate_given_twice_is_counted_once() {
    let data = data_dir();
    let rows = "year,assessment,subject,grade,school_id,participants,failed\n2025,ОГЭ,математика,9,s1,10,4\n";
    // Not byte-identical (that is one file counted once, with a warning).
    data.write("results/a.csv", rows)
        .write("results/b.csv", rows.replace('\n', "\r\n"));
    let out = data.out();
    run_ok(&data.root, &out, &[]);
    assert!(read(&out.join("procedures.csv")).contains("s1,2025,ОГЭ,математика,9,10,4,"));
    let rejected = read(&out.join("rejected.csv"));
    assert!(
        rejected.contains("results/b.csv,2,\"school_id, year, assessment, subject, grade\",эта процедура уже дана файлом results/a.csv"),
        "{rejected}"
    );
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_alone() {
    let data = data_dir();
    data.write(
        "results/a.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n2025,ОГЭ,математика,9,s1,10,4\n",
    );
    let out = data.out();
    run_ok(&data.root, &out, &[]);
    let before = read(&out.join("procedures.csv"));
    // A results file without the key columns makes the input unusable.
    data.write("results/broken.csv", "school;something\n1;2\n");
    let output = shnor()
        .arg("run")
        .arg(&data.root)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("results/broken.csv: нет столбцов school_id, year"),
        "{stderr}"
    );
    assert_eq!(read(&out.join("procedures.csv")), before);
    let leftovers: Vec<_> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial") || n.contains("previous"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_methodology_typo_is_refused_before_any_work() {
    let tmp = TempDir::new().unwrap();
    let m = tmp.path().join("m.toml");
    fs::write(
        &m,
        shnor::methodology::DEFAULT_METHODOLOGY.replace("min_participants", "min_participant"),
    )
    .unwrap();
    let output = shnor()
        .args(["run", "sample-data", "--out"])
        .arg(tmp.path().join("out"))
        .arg("--methodology")
        .arg(&m)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("min_participant"), "{stderr}");
    assert!(!tmp.path().join("out").exists());
}

/// The committed sample-data/ is exactly what the generator writes.
#[test]
fn sample_data_is_what_the_generator_writes() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("sample");
    shnor()
        .args(["sample", "--out"])
        .arg(&out)
        .assert()
        .success();
    let committed = repo().join("sample-data");
    let mut files = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(&out).unwrap().to_path_buf());
            }
        }
    }
    assert!(files.len() >= 10);
    for f in files {
        assert!(
            fs::read(out.join(&f)).unwrap() == fs::read(committed.join(&f)).unwrap(),
            "sample-data/{} differs from the generator's output: run `cargo run -- sample`",
            f.display()
        );
    }
}

#[test]
fn previous_lists_give_repeat_listings_and_transitions() {
    let data = data_dir();
    // s1 and s2 are ШНОР now (two counting procedures each); s3 is not.
    data.write(
        "results/a.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2025,ОГЭ,математика,9,s1,10,4\n2025,ОГЭ,русский язык,9,s1,10,4\n\
         2025,ОГЭ,математика,9,s2,10,4\n2025,ОГЭ,русский язык,9,s2,10,4\n\
         2025,ОГЭ,математика,9,s3,10,1\n",
    );
    let previous = data.root.parent().unwrap().join("lists");
    fs::create_dir_all(&previous).unwrap();
    // s1 listed in 2023 and 2024 (stays), s3 in 2024 (leaves), s2 new (enters).
    fs::write(
        previous.join("published.csv"),
        "school_id;year;list\ns1;2023;ШНОР\ns1;2024;ШНОР\ns3;2024;шнор\ns3;2024;ШНСУ\n",
    )
    .unwrap();
    let out = data.out();
    run_ok(
        &data.root,
        &out,
        &["--previous-lists", previous.to_str().unwrap()],
    );
    let transitions = read(&out.join("transitions.csv"));
    let row = |list: &str, id: &str| {
        transitions
            .lines()
            .find(|l| l.starts_with(&format!("{list},{id},")))
            .unwrap_or_else(|| panic!("{list} {id} missing:\n{transitions}"))
            .to_string()
    };
    assert!(
        row("shnor", "s1").contains(",2024,true,true,stayed,2,\"2023, 2024\","),
        "{}",
        row("shnor", "s1")
    );
    assert!(
        row("shnor", "s2").contains(",2024,false,true,entered,0,,"),
        "{}",
        row("shnor", "s2")
    );
    assert!(
        row("shnor", "s3").contains(",2024,true,false,left,1,2024,"),
        "{}",
        row("shnor", "s3")
    );
    let shnor = read(&out.join("shnor.csv"));
    assert!(
        rows_of(&shnor, "s1")[0].contains(",2,\"2023, 2024\",true,"),
        "{shnor}"
    );
    assert!(rows_of(&shnor, "s2")[0].contains(",0,,false,"), "{shnor}");
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert!(
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["role"] == "previous_list")
    );
}

#[test]
fn methodology_can_be_a_preset_name() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run_ok(
        &repo().join("sample-data"),
        &out,
        &["--methodology", "federal-2025-strict"],
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(
        manifest["methodology"]["resolved"]["name"],
        "federal-2025-strict"
    );
    assert_eq!(
        manifest["methodology"]["resolved"]["shnor"]["combine"],
        "and"
    );
    let listed = read(&out.join("shnor.csv"));
    assert!(!rows_of(&listed, "edu990006").is_empty());
    assert!(rows_of(&listed, "edu990001").is_empty());
    let output = shnor().arg("methodologies").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for name in [
        "federal-2025",
        "federal-2025-strict",
        "kuzbass-2022",
        "hse-ege-3y",
    ] {
        assert!(text.contains(name), "{text}");
    }
    let output = shnor()
        .args([
            "run",
            "sample-data",
            "--methodology",
            "no-such-rule",
            "--out",
        ])
        .arg(tmp.path().join("x"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("не файл и не готовая методика"));
}

#[test]
fn explain_says_why_a_school_is_or_is_not_listed() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run_ok(&repo().join("sample-data"), &out, &[]);
    let explain = |id: &str| {
        let output = shnor()
            .args(["explain", id, "--run"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let at_boundary = explain("edu990001");
    assert!(at_boundary.contains("ШНОР: да."), "{at_boundary}");
    assert!(
        at_boundary.contains("две и более процедуры в текущем году: выполнено"),
        "{at_boundary}"
    );
    assert!(
        at_boundary.contains("2025 ВПР русский язык 5 кл.: 3 из 10 = 30,0 %"),
        "{at_boundary}"
    );
    let below = explain("edu990002");
    assert!(below.contains("ШНОР: нет."), "{below}");
    assert!(below.contains("6 из 21 = 28,6 %"), "{below}");
    assert!(below.contains("до порога 1,4 п.п."), "{below}");
    let small = explain("edu990003");
    assert!(small.contains("участников меньше 10"), "{small}");
    let no_survey = explain("edu990008");
    assert!(no_survey.contains("Нет данных анкеты"), "{no_survey}");
    let output = shnor()
        .args(["explain", "nope", "--run"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[test]
fn student_level_generator_feeds_the_run_in_both_formats() {
    let tmp = TempDir::new().unwrap();
    for format in ["csv", "parquet"] {
        let data = common::student_sample(tmp.path(), format);
        assert!(data.join(format!("results/vpr_2025_4.{format}")).is_file());
        assert!(data.join(format!("schools.{format}")).is_file());
        let out = tmp.path().join(format!("out-{format}"));
        let stderr = run_ok(&data, &out, &[]);
        assert!(stderr.contains("отложенных входных строк нет"), "{stderr}");
    }
    // The same seed gives the same lists whatever the format.
    assert_eq!(
        read(&tmp.path().join("out-csv/shnor.csv"))
            .lines()
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        read(&tmp.path().join("out-parquet/shnor.csv"))
            .lines()
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn progress_is_logged_when_not_a_terminal_and_quiet_silences_it() {
    let tmp = tempfile::tempdir().unwrap();
    let stderr = run_ok(&repo().join("sample-data"), &tmp.path().join("a"), &[]);
    assert!(
        stderr.contains("shnor: [2/6] чтение и проверка результатов"),
        "{stderr}"
    );
    assert!(
        stderr.contains("results/ege_2023.csv (строк 4323, отложено 0, типизированное чтение)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("shnor: [6/6] запись результатов: готово за"),
        "{stderr}"
    );
    let quiet = run_ok(
        &repo().join("sample-data"),
        &tmp.path().join("b"),
        &["--quiet"],
    );
    // The sample gives no warning, so a quiet run says nothing at all.
    assert_eq!(quiet, "");
    for f in GOLDEN_FILES {
        assert_eq!(
            read(&tmp.path().join("a").join(f)),
            read(&tmp.path().join("b").join(f)),
            "{f}"
        );
    }
}

/// `-m rule.toml` from the folder the rule is in: its relative query path
/// starts there (a bare file name has an empty parent).
#[test]
fn a_methodology_named_by_bare_file_name_finds_its_query_beside_it() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("counts.sql"),
        fs::read_to_string(repo().join("queries/procedure_counts.sql")).unwrap(),
    )
    .unwrap();
    fs::write(
        dir.join("rule.toml"),
        "extends = \"federal-2025\"\nname = \"local\"\n[shnor]\ncounting_query = \"counts.sql\"\n",
    )
    .unwrap();
    let out = shnor()
        .current_dir(dir)
        .arg("run")
        .arg(repo().join("sample-data"))
        .args(["-q", "-m", "rule.toml", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A college in the registry with no results is a school of the
/// municipality, not one the share of ШНОР is taken over.
#[test]
fn the_share_of_shnor_is_of_the_schools_with_results() {
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\na,СОШ А,Город\nb,СОШ Б,Город\nk,Колледж,Город\n",
    )
    .file(
        "results/vpr.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2025,ВПР,математика,5,a,20,10\n2025,ВПР,русский язык,5,a,20,10\n\
         2025,ВПР,математика,5,b,20,1\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    let municipalities = data.read_out("municipalities.csv");
    assert!(
        municipalities.contains("\nГород,3,2,1,0.500000,"),
        "{municipalities}"
    );
}

#[test]
fn a_command_line_clap_cannot_take_is_refused_in_russian() {
    let cases: [(&[&str], &str); 5] = [
        (&["run", "--bogus"], "неизвестный параметр «--bogus»"),
        (&["run", "--out"], "для --out <OUT> нужно значение"),
        (
            &["sample", "--schools", "abc"],
            "значение «abc» для --schools",
        ),
        (&["frobnicate"], "неизвестная команда «frobnicate»"),
        (
            &["run", "--csv-dialect", "bad"],
            "возможные значения: standard, excel-ru",
        ),
    ];
    for (args, said) in cases {
        let output = shnor().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("ошибка: ") && stderr.contains(said),
            "{args:?}: {stderr}"
        );
        for english in [
            "error:",
            "unexpected",
            "invalid",
            "Usage:",
            "required",
            "tip:",
        ] {
            assert!(
                !stderr.contains(english),
                "{args:?} says «{english}»: {stderr}"
            );
        }
    }
}
