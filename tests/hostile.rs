//! The bad-input matrix: each case with the exact outcome expected — a row set
//! aside with its reason, or a clean refusal naming file, line and column.
//! Plus privacy (no participant id anywhere) and interrupted runs.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use common::{DataDir, repo};
use tempfile::TempDir;

const HEADER: &str = "year,assessment,subject,grade,school_id,participant_id,mark,score\n";

struct Outcome {
    ok: bool,
    stderr: String,
    rejected: String,
}

/// Two schools, a survey and a valid results file, so that a case's own file
/// is not the only input.
fn case() -> DataDir {
    DataDir::with_schools(
        "school_id,school_name,municipality\ns1,Школа 1,Район\ns2,Школа 2,Район\n",
    )
    .file(
        "survey/survey.csv",
        "school_id,year,ovz_share\ns1,2025,0.1\ns2,2025,0.3\n",
    )
    .file(
        "results/base.csv",
        format!("{HEADER}2025,ВПР,русский язык,5,s1,b1,3,\n2025,ВПР,русский язык,5,s2,b2,2,\n"),
    )
}

impl DataDir {
    /// `shnor run` on a case: success, stderr and `rejected.csv`.
    fn outcome(&self, extra: &[&str]) -> Outcome {
        let (ok, stderr) = self.run(extra);
        Outcome {
            ok,
            stderr,
            rejected: self.read_out("rejected.csv"),
        }
    }
}

/// The case's rejected rows, without the header.
fn rejected_rows(o: &Outcome) -> Vec<&str> {
    o.rejected.lines().skip(1).collect()
}

fn refused(o: &Outcome, message: &str) {
    assert!(!o.ok, "expected a refusal, the run succeeded: {}", o.stderr);
    assert!(
        o.stderr.contains(message),
        "expected «{message}» in:\n{}",
        o.stderr
    );
}

#[test]
fn truncated_file_sets_the_cut_row_aside() {
    let o = case()
        .file(
            "results/t.csv",
            format!("{HEADER}2025,ВПР,русский язык,5,s1,a1,2,\n2025,ВПР,рус"),
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        ["results/t.csv,3,school_id,не указан school_id"]
    );
}

#[test]
fn mixed_encodings_are_refused_with_the_line() {
    let mut bytes = format!("{HEADER}2025,ВПР,русский язык,5,s1,a1,2,\n").into_bytes();
    bytes.extend(
        encoding_rs::WINDOWS_1251
            .encode("2025,ВПР,русский язык,5,s1,a2,3,\n")
            .0
            .iter(),
    );
    let o = case().file("results/m.csv", bytes).outcome(&[]);
    refused(
        &o,
        "results/m.csv: смешаны кодировки: файл в основном в UTF-8, но строка 3 — нет",
    );
}

#[test]
fn a_wrong_forced_encoding_is_refused_not_garbled() {
    let text = format!("{HEADER}2025,ВПР,русский язык,5,s1,a1,2,\n");
    let o = case()
        .file(
            "results/w.csv",
            encoding_rs::WINDOWS_1251.encode(&text).0.as_ref(),
        )
        .outcome(&["--encoding", "utf8"]);
    refused(&o, "results/w.csv: не читается как CSV");
}

#[test]
fn a_bom_in_the_middle_is_removed_and_reported() {
    let o = case()
        .file(
            "results/b.csv",
            format!("{HEADER}2025,ВПР,русский язык,6,s1,a1,2,\n\u{feff}2025,ВПР,русский язык,6,s1,a2,3,\n"),
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "results/b.csv: метка порядка байтов (BOM) в середине файла (впервые в строке 3)"
        ),
        "{}",
        o.stderr
    );
    assert!(rejected_rows(&o).is_empty(), "{}", o.rejected);
}

#[test]
fn a_wrong_delimiter_names_the_missing_columns() {
    let o = case()
        .file(
            "results/d.csv",
            "year;assessment;subject;grade;school_id;mark\n2025;ВПР;русский язык;5;s1;2\n",
        )
        .outcome(&["--delimiter", ","]);
    refused(
        &o,
        "results/d.csv: заголовок прочитан как один столбец «year;assessment;subject;grade;school_id;mark»: \
         похоже, разделитель в файле `;`; проверьте разделитель (--delimiter)",
    );
}

#[test]
fn a_missing_required_column_is_refused() {
    let o = case()
        .file(
            "results/c.csv",
            "year,assessment,subject,school_id,mark\n2025,ВПР,русский язык,s1,2\n",
        )
        .outcome(&[]);
    refused(&o, "results/c.csv: нет столбцов grade");
}

#[test]
fn duplicate_columns_are_refused() {
    let o = case()
        .file(
            "results/c.csv",
            "year,assessment,subject,grade,school_id,mark,Mark\n2025,ВПР,русский язык,5,s1,2,3\n",
        )
        .outcome(&[]);
    refused(&o, "results/c.csv: столбец `mark` встречается дважды");
}

#[test]
fn a_duplicate_participant_is_counted_once() {
    let o = case()
        .file(
            "results/p.csv",
            format!("{HEADER}2025,ВПР,математика,5,s1,a1,2,\n2025,ВПР,математика,5,s1,a1,2,\n"),
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/p.csv,3,participant_id,этот участник уже есть в этой процедуре (впервые в строке 2); учтена первая строка"
        ]
    );
}

#[test]
fn the_same_aggregate_procedure_in_two_files_is_counted_once() {
    let rows = "year,assessment,subject,grade,school_id,participants,failed\n2025,ОГЭ,математика,9,s1,10,4\n";
    let o = case()
        .file("results/x1.csv", rows)
        .file("results/x2.csv", rows.replace('\n', "\r\n"))
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/x2.csv,2,\"school_id, year, assessment, subject, grade\",эта процедура уже дана файлом results/x1.csv; при повторном учёте её участники удвоились бы"
        ]
    );
}

#[test]
fn a_school_twice_in_the_registry_keeps_its_first_row() {
    let o = case()
        .file(
            "schools.csv",
            "school_id,school_name,municipality\ns1,Школа 1,Район\ns2,Школа 2,Район\ns1,Другая школа,Район\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "schools.csv,4,school_id,этот school_id уже встречался (впервые в строке 2); учтена первая строка"
        ]
    );
}

#[test]
fn bad_values_are_set_aside_one_reason_each() {
    let o = case()
        .file(
            "results/v.csv",
            format!(
                "{HEADER}\
                 2025,ВПР,русский язык,5,s9,a1,3,\n\
                 2025,ВПР,русский язык,5,s1,a2,6,\n\
                 2025,ЕГЭ,русский язык,11,s1,a3,,-4\n\
                 2025,ЕГЭ,русский язык,11,s1,a4,,много\n\
                 1899,ВПР,русский язык,5,s1,a5,3,\n"
            ),
        )
        .file(
            "results/agg.csv",
            "year,assessment,subject,grade,school_id,participants,fail_percent\n\
             2025,ОГЭ,математика,9,s1,10,130\n",
        )
        .file(
            "results/agg2.csv",
            "year,assessment,subject,grade,school_id,participants,failed\n\
             2025,ОГЭ,русский язык,9,s1,10,12\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/agg.csv,2,fail_percent,fail_percent «130» вне 0–100",
            "results/agg2.csv,2,failed,failed 12 больше числа участников 10",
            "results/v.csv,2,school_id,school_id «s9» нет в реестре школ",
            "results/v.csv,3,mark,отметка (mark) вне 2–5",
            "results/v.csv,4,score,отрицательный балл (score)",
            "results/v.csv,5,score,балл (score) — не число",
            "results/v.csv,6,year,\"год (значение скрыто, знаков: 4; из строк участников показываются только значения до 3 знаков, общие для 3 и более участников и коды вида кодов реестра) вне 2000–2100\"",
        ]
    );
}

#[test]
fn an_empty_file_is_refused() {
    let o = case().file("results/e.csv", "").outcome(&[]);
    refused(&o, "results/e.csv: файл пуст");
}

#[test]
fn header_only_files_give_no_rows_and_no_results_is_refused() {
    let case = case().file("results/h.csv", HEADER);
    let o = case.outcome(&[]);
    assert!(
        o.ok,
        "a header-only file next to real results is fine: {}",
        o.stderr
    );
    fs::remove_file(case.root.join("results/base.csv")).unwrap();
    let o = case.outcome(&[]);
    refused(
        &o,
        "ни одной пригодной строки результатов: выявлять не по чему",
    );
}

#[test]
fn a_50_mb_line_is_refused_by_line() {
    let mut text = format!("{HEADER}2025,ВПР,русский язык,5,s1,a1,2,\n").into_bytes();
    text.extend(std::iter::repeat_n(b'x', 50 << 20));
    text.push(b'\n');
    let o = case().file("results/long.csv", text).outcome(&[]);
    refused(&o, "results/long.csv: строка 3 длиной 50 МБ");
}

#[test]
fn a_directory_without_results_is_refused() {
    let case = case();
    fs::remove_file(case.root.join("results/base.csv")).unwrap();
    let o = case.outcome(&[]);
    refused(&o, "в папке results/ нет файлов CSV, Parquet или XLSX");
}

#[test]
fn a_survey_of_another_year_is_used_and_said() {
    let o = case()
        .file(
            "survey/survey.csv",
            "school_id,year,ovz_share\ns1,2024,0.1\ns2,2024,0.3\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("в анкете нет строк за 2025; для ШНСУ взята анкета 2024 года"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_file_above_the_memory_cap_is_refused_with_a_message() {
    // Every file of the case is larger than 64 bytes (clean student files
    // need about their size; `tests/fast_path.rs` covers the 8× estimate
    // for files whose every cell is checked).
    let o = case().outcome(&["--max-memory", "64B"]);
    refused(&o, "больше --max-memory");
}

#[test]
fn a_workbook_bomb_is_refused_before_unpacking() {
    // 40 MB of zeros compress to a few KB; the cap here is 1 MB / 8.
    let path = {
        let case = case();
        let path = case.root.join("results/bomb.xlsx");
        let file = fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut zip, &vec![0u8; 40 << 20]).unwrap();
        zip.finish().unwrap();
        let o = case.outcome(&["--max-memory", "1MB"]);
        refused(&o, "results/bomb.xlsx: книга распаковывается в 40 МБ");
        path
    };
    assert!(!path.exists());
}

/// 152-ФЗ: no output may carry a participant id.
#[test]
fn no_output_carries_a_participant_id() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .args(["run", "sample-data", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let ids: Vec<String> = fs::read(repo().join("sample-data/results/ege_2025.csv"))
        .map(|b| encoding_rs::WINDOWS_1251.decode(&b).0.into_owned())
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(';').nth(5).map(str::to_string))
        .collect();
    assert!(ids.len() > 1000);
    let mut texts = vec![String::from_utf8_lossy(&output.stderr).to_string()];
    for entry in fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        texts.push(readable_text(&path));
    }
    for id in &ids {
        for text in &texts {
            assert!(!text.contains(id.as_str()), "participant id {id} leaked");
        }
    }
}

/// What a person or a program can read from an output: cell texts of the
/// workbook, bytes of the rest (Parquet strings are zstd-compressed, so they
/// are checked through the CSV twins).
fn readable_text(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "xlsx") {
        use calamine::Reader;
        let mut workbook = calamine::open_workbook_auto(path).unwrap();
        let mut text = String::new();
        for name in workbook.sheet_names() {
            for row in workbook.worksheet_range(&name).unwrap().rows() {
                for cell in row {
                    text.push_str(&cell.to_string());
                    text.push('\n');
                }
            }
        }
        text
    } else {
        String::from_utf8_lossy(&fs::read(path).unwrap()).to_string()
    }
}

/// A run killed while it writes its outputs leaves the previous outputs as
/// they were.
#[test]
fn a_killed_run_leaves_the_previous_outputs_intact() {
    let tmp = TempDir::new().unwrap();
    let big = tmp.path().join("big");
    Command::cargo_bin("shnor")
        .unwrap()
        .args(["sample", "--schools", "3000", "--out"])
        .arg(&big)
        .assert()
        .success();
    let out = tmp.path().join("out");
    Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .args(["run", "sample-data", "--out"])
        .arg(&out)
        .assert()
        .success();
    let snapshot = |dir: &Path| {
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(&out);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("shnor"))
        .current_dir(repo())
        .arg("run")
        .arg(&big)
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed while it writes: once its staging folder holds a file. This
    // does not depend on how fast the machine or the build is.
    let staging_has_a_file = || {
        fs::read_dir(tmp.path()).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().starts_with(".out.partial-")
                && fs::read_dir(e.path())
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false)
        })
    };
    let started = std::time::Instant::now();
    let mut finished = false;
    while !staging_has_a_file() && started.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            finished = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().ok();
    child.wait().unwrap();
    assert!(
        !finished,
        "the run finished before it could be killed while writing"
    );
    assert_eq!(
        snapshot(&out),
        before,
        "a killed run changed the previous outputs"
    );
}

#[test]
fn a_methodology_naming_a_missing_indicator_is_refused_before_work() {
    let case = case();
    let methodology = case.root.parent().unwrap().join("m.toml");
    fs::write(
        &methodology,
        "extends = \"federal-2025\"\nname = \"x\"\n[shnsu.weights]\novz_shar = 2.0\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", methodology.to_str().unwrap()]);
    refused(
        &o,
        "называет `ovz_shar` в shnsu.weights, но ни в одном файле анкеты нет такого столбца; есть показатели: ovz_share",
    );
    fs::write(
        &methodology,
        "extends = \"federal-2025\"\nname = \"x\"\n[shnsu.weights]\novz_share = -1.0\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", methodology.to_str().unwrap()]);
    refused(
        &o,
        "shnsu.weights.ovz_share = -1: веса должны быть положительными числами",
    );
}

// Round 2: outputs never destroy what they did not make.

/// A file that must survive a refused run.
fn precious(dir: &Path) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join("диплом.docx");
    fs::write(&path, "не трогать").unwrap();
    path
}

fn run_into(case: &DataDir, out: &Path, extra: &[&str]) -> Outcome {
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .arg("run")
        .arg(&case.root)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    Outcome {
        ok: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        rejected: fs::read_to_string(out.join("rejected.csv")).unwrap_or_default(),
    }
}

#[test]
fn out_naming_the_data_directory_is_refused_and_the_data_stays() {
    let case = case();
    let o = run_into(&case, &case.root, &[]);
    refused(&o, "эта папка содержит входные данные");
    assert!(case.root.join("results/base.csv").exists());
    let o = run_into(&case, case.root.parent().unwrap(), &[]);
    refused(&o, "эта папка содержит входные данные");
    let o = run_into(&case, &case.root.join("results/out"), &[]);
    refused(&o, "читается как входные данные");
}

#[test]
fn out_naming_a_folder_of_other_files_or_a_file_is_refused() {
    let case = case();
    let documents = case.root.parent().unwrap().join("Documents");
    let kept = precious(&documents);
    let o = run_into(&case, &documents, &[]);
    refused(&o, "папка не пуста и не похожа на результаты shnor");
    assert!(o.stderr.contains("диплом.docx"), "{}", o.stderr);
    assert!(kept.exists());
    let o = run_into(&case, &kept, &[]);
    refused(&o, "это файл, а не папка");
    assert_eq!(fs::read_to_string(&kept).unwrap(), "не трогать");
    let hidden: Vec<_> = fs::read_dir(&documents)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    // An empty folder, and an earlier output, are replaced.
    let empty = case.root.parent().unwrap().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert!(run_into(&case, &empty, &[]).ok);
    let o = run_into(&case, &empty, &[]);
    assert!(o.ok, "{}", o.stderr);
}

#[test]
fn a_commit_cut_short_is_repaired_by_the_next_run() {
    let case = case();
    let out = case.out();
    assert!(case.outcome(&[]).ok);
    // Killed between the two renames: the old outputs moved aside, no out/.
    let aside = out.with_file_name(".out.previous-999999");
    fs::rename(&out, &aside).unwrap();
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains("результаты до него восстановлены"),
        "{}",
        o.stderr
    );
    assert!(!aside.exists());
    // Killed after them: out/ in place and a stale copy beside it.
    fs::create_dir_all(&aside).unwrap();
    fs::copy(out.join("manifest.json"), aside.join("manifest.json")).unwrap();
    assert!(case.outcome(&[]).ok);
    assert!(!aside.exists());
}

#[test]
fn a_second_run_on_a_locked_folder_is_refused() {
    let case = case();
    let out = case.out();
    let lock = fs::File::create(out.with_file_name(".out.lock")).unwrap();
    lock.try_lock().unwrap();
    let o = case.outcome(&[]);
    refused(&o, "в эту папку сейчас пишет другой запуск shnor");
    drop(lock);
    assert!(case.outcome(&[]).ok);
}

// SQL reads only its tables; paths stay inside their folder.

fn with_adapter(query_file: &str, sql: &str, query: &str) -> DataDir {
    case()
        .file("results/r.csv", "a;b\n1;2\n")
        .file(query_file, sql)
        .file(
            "adapters.toml",
            format!("[[adapter]]\nfiles = \"results/r.csv\"\nquery = \"{query}\"\n"),
        )
}

#[test]
fn every_spelling_of_a_file_reader_in_an_adapter_is_refused() {
    for sql in [
        "SELECT * FROM \"read_csv\"('/etc/hostname')",
        "SELECT * FROM read_csv/**/('/etc/hostname')",
        "SELECT * FROM read_csv -- c\n('/etc/hostname')",
        "SELECT * FROM \"read_parquet\"('x.parquet')",
    ] {
        let o = with_adapter("a.sql", sql, "a.sql").outcome(&[]);
        refused(&o, "запрос a.sql: табличная функция");
    }
}

#[test]
fn a_methodology_query_reading_a_file_is_refused() {
    let case = case();
    let dir = case.root.parent().unwrap();
    fs::write(
        dir.join("evil.sql"),
        "SELECT * FROM read_csv/**/('/etc/hostname')",
    )
    .unwrap();
    fs::write(
        dir.join("m.toml"),
        "extends = \"federal-2025\"\nname = \"x\"\n[shnor]\nquery = \"evil.sql\"\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", dir.join("m.toml").to_str().unwrap()]);
    refused(&o, "запрос evil.sql: табличная функция");
}

#[test]
fn settings_pointing_outside_their_folder_or_at_devices_are_refused() {
    for query in [
        "../../../../etc/passwd",
        "/etc/passwd",
        "/proc/self/environ",
    ] {
        let o = with_adapter("a.sql", "SELECT * FROM raw", query).outcome(&[]);
        refused(&o, "указывает за пределы папки");
        assert!(!o.stderr.contains("root:"), "{}", o.stderr);
    }
    let case = case();
    let dir = case.root.parent().unwrap();
    for (key, value) in [
        ("[failure]\nmin_scores", "/dev/zero"),
        ("extends", "/dev/zero"),
        ("[failure]\nmin_scores", "../../etc/passwd"),
    ] {
        let text = if key == "extends" {
            format!("extends = \"{value}\"\nname = \"x\"\n")
        } else {
            format!("extends = \"federal-2025\"\nname = \"x\"\n{key} = \"{value}\"\n")
        };
        fs::write(dir.join("m.toml"), text).unwrap();
        let o = case.outcome(&["--methodology", dir.join("m.toml").to_str().unwrap()]);
        refused(&o, "указывает за пределы папки");
    }
    let o = case.outcome(&["--methodology", "/dev/zero"]);
    refused(&o, "не файл и не готовая методика");
}

#[cfg(unix)]
#[test]
fn fifos_and_links_out_of_the_data_directory_are_not_read() {
    let case = case();
    let fifo = case.root.join("results/pipe.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(".", case.root.join("results/self")).unwrap();
    std::os::unix::fs::symlink("..", case.root.join("results/up")).unwrap();
    std::os::unix::fs::symlink("/proc/self", case.root.join("results/proc")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", case.root.join("results/host.csv")).unwrap();
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "results/pipe.csv: не читается (не обычный файл: устройство, канал или сокет)"
        ),
        "{}",
        o.stderr
    );
    for link in ["results/proc", "results/host.csv", "results/up"] {
        assert!(
            o.stderr.contains(&format!(
                "{link}: не читается (символическая ссылка ведёт за пределы папки results)"
            )),
            "{}",
            o.stderr
        );
    }
    // results/self leads back to results/: a loop, and no row is counted
    // twice.
    assert!(o.stderr.contains("ссылка образует цикл"), "{}", o.stderr);
    let procedures = case.read_out("procedures.csv");
    assert!(procedures.contains(",1,1,"), "{procedures}");
}

// Numbers are finite or rejected.

#[test]
fn nan_and_infinities_are_set_aside_on_both_paths() {
    let o = case()
        .file(
            "results/n.csv",
            format!(
                "{HEADER}2025,ВПР,математика,5,s1,n1,NaN,\n2025,ВПР,математика,5,s1,n2,inf,\n\
                 2025,ВПР,математика,NaN,s1,n3,2,\n2025,ЕГЭ,русский язык,11,s1,n4,,NaN\n\
                 2025,ЕГЭ,русский язык,11,s1,n5,,1e309\n"
            ),
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/n.csv,2,mark,отметка (mark) — не целое число",
            "results/n.csv,3,mark,отметка (mark) — не целое число",
            "results/n.csv,4,grade,класс «NaN» — не целое число",
            "results/n.csv,5,score,балл (score) — не число",
            "results/n.csv,6,score,балл (score) — не число",
        ]
    );
}

#[test]
fn an_infinite_survey_cell_is_set_aside_and_a_nan_setting_refused() {
    let o = case()
        .file(
            "survey/survey.csv",
            "school_id,year,ovz_share\ns1,2025,inf\ns2,2025,0.3\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "survey/survey.csv,2,ovz_share,ovz_share: значение «inf» — не число; показатель для школы не учитывается"
        ]
    );
    let case = case();
    let dir = case.root.parent().unwrap();
    fs::write(
        dir.join("m.toml"),
        "extends = \"federal-2025\"\nname = \"x\"\n[context]\nresilient_max_std_residual = nan\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", dir.join("m.toml").to_str().unwrap()]);
    refused(
        &o,
        "context.resilient_max_std_residual = NaN: значение должно быть конечным числом",
    );
}

#[test]
fn a_formula_in_a_name_is_written_as_text_for_excel() {
    let case = case().file(
        "schools.csv",
        "school_id,school_name,municipality\ns1,\"=HYPERLINK(\"\"http://x\"\")\",Район\ns2,Школа 2,-Район\n",
    );
    let o = case.outcome(&["--csv-dialect", "excel-ru"]);
    assert!(o.ok, "{}", o.stderr);
    let schools = case.read_out("schools.csv");
    assert!(schools.contains("'=HYPERLINK"), "{schools}");
    assert!(schools.contains("'-Район"), "{schools}");
    assert!(!schools.contains(";=HYPERLINK"), "{schools}");
}

// Workbooks are bounded before they are expanded.

/// A results workbook of two rows and one more cell at `(row, column)`.
fn workbook_with_a_far_cell(path: &Path, row: u32, column: u16) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in HEADER.trim().split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (c, v) in ["2025", "ВПР", "математика", "5", "s1", "w1", "2"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    sheet.write_string(row, column, "x").unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn a_cell_at_the_last_address_is_refused_before_a_grid_is_allocated() {
    let case = case();
    workbook_with_a_far_cell(&case.root.join("results/far.xlsx"), 1_048_575, 16_383);
    let o = case.outcome(&[]);
    refused(&o, "results/far.xlsx: лист занимает 17179869184 ячеек");
    // Near cells are an ordinary table.
    workbook_with_a_far_cell(&case.root.join("results/far.xlsx"), 2, 10);
    assert!(case.outcome(&[]).ok);
}

#[test]
fn an_ods_row_repeated_sixty_million_times_is_refused() {
    let case = case();
    let path = case.root.join("results/rows.ods");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("mimetype", options).unwrap();
    std::io::Write::write_all(&mut zip, b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("content.xml", options).unwrap();
    let content = r#"<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet><table:table table:name="s"><table:table-row table:number-rows-repeated="60000000"><table:table-cell office:value-type="string"><text:p>2</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    std::io::Write::write_all(&mut zip, content.as_bytes()).unwrap();
    zip.finish().unwrap();
    let o = case.outcome(&[]);
    refused(&o, "results/rows.ods: лист занимает 60000000 ячеек");
    // --max-memory lowers the cap.
    let o = case.outcome(&["--max-memory", "100MB"]);
    refused(&o, "больше допустимых 1048576");
}

// Line endings, malformed text and personal data in messages.

#[test]
fn cr_only_line_endings_are_read_as_lines() {
    let text = format!("{HEADER}2025,ВПР,математика,6,s1,c1,2,\n2025,ВПР,математика,6,s1,c2,3,\n")
        .replace('\n', "\r");
    let case = case().file("results/mac.csv", text);
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("results/mac.csv: строки разделены одним символом CR"),
        "{}",
        o.stderr
    );
    let procedures = case.read_out("procedures.csv");
    let maths: Vec<&str> = procedures
        .lines()
        .filter(|l| l.contains("математика"))
        .collect();
    assert_eq!(maths.len(), 1, "{procedures}");
    assert!(maths[0].contains(",6,2,1,"), "{procedures}");
}

#[test]
fn a_stray_quote_and_an_extra_field_are_named_by_line_without_the_data() {
    let mut rows = String::from(HEADER);
    for i in 0..50 {
        rows.push_str(&format!("2025,ВПР,математика,7,s1,secret{i},3,\n"));
    }
    let quote = rows.replacen("secret3,3", "secret3,\"3", 1);
    let o = case()
        .file("results/q.csv", &quote)
        .outcome(&["--full-checks"]);
    refused(
        &o,
        "results/q.csv: кавычка, открытая в строке 5, не закрыта до конца файла",
    );
    assert!(!o.stderr.contains("secret"), "{}", o.stderr);
    assert!(!o.stderr.contains("infer_schema_length"), "{}", o.stderr);
    let extra = rows.replacen("secret7,3,", "secret7,3,,1", 1);
    let o = case()
        .file("results/e.csv", &extra)
        .outcome(&["--full-checks"]);
    refused(&o, "results/e.csv: в строке 9 полей 9, а в заголовке 8");
    assert!(!o.stderr.contains("secret"), "{}", o.stderr);
}

#[test]
fn a_file_without_a_header_does_not_show_its_first_row() {
    let o = case()
        .file(
            "results/h.csv",
            "2025,ВПР,математика,7,s1,P000123,3,\n2025,ВПР,математика,7,s1,P000124,2,\n",
        )
        .outcome(&[]);
    refused(&o, "похоже, в файле нет строки заголовка");
    assert!(!o.stderr.contains("P000123"), "{}", o.stderr);
}

#[test]
fn the_same_file_twice_is_counted_once_with_a_warning() {
    let rows = format!("{HEADER}2025,ВПР,математика,8,s1,d1,2,\n2025,ВПР,математика,8,s1,d2,2,\n");
    let case = case()
        .file("results/ege_2025.csv", &rows)
        .file("results/ege_2025 (1).csv", &rows);
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "results/ege_2025.csv: побайтно тот же файл, что results/ege_2025 (1).csv (SHA-256 совпадает); учтён один раз"
        ),
        "{}",
        o.stderr
    );
    let procedures = case.read_out("procedures.csv");
    let line = procedures.lines().find(|l| l.contains(",8,")).unwrap();
    assert!(line.contains(",8,2,2,"), "{procedures}");
}

#[test]
fn a_participant_in_two_files_of_one_procedure_is_counted_once() {
    // One exam split over two files, d2 in both (the second time with
    // spaces around the id): the second row is set aside, the rest add up.
    let case = case()
        .file(
            "results/vpr_a.csv",
            format!("{HEADER}2025,ВПР,математика,8,s1,d1,2,\n2025,ВПР,математика,8,s1,d2,2,\n"),
        )
        .file(
            "results/vpr_b.csv",
            format!("{HEADER}2025,ВПР,математика,8,s1, d2 ,2,\n2025,ВПР,математика,8,s1,d3,4,\n"),
        );
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/vpr_b.csv,2,participant_id,этот участник уже учтён в этой процедуре по файлу results/vpr_a.csv; повторная строка не учитывается"
        ]
    );
    let procedures = case.read_out("procedures.csv");
    let line = procedures.lines().find(|l| l.contains(",8,")).unwrap();
    assert!(line.contains(",8,3,2,"), "{procedures}");
}

#[test]
fn swapped_headers_show_no_participant_id_in_any_message() {
    // participant_id and school_id swapped: every row names a participant
    // where the school should be.
    let ids: Vec<String> = (1..=6).map(|i| format!("P00{i:04}")).collect();
    let rows: String = ids
        .iter()
        .map(|id| format!("2025,ВПР,математика,6,s1,{id},3,\n"))
        .collect();
    let case = case().file(
        "results/swapped.csv",
        format!("year,assessment,subject,grade,participant_id,school_id,mark,score\n{rows}"),
    );
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(rejected_rows(&o).len(), 6, "{}", o.rejected);
    let check = Command::cargo_bin("shnor")
        .unwrap()
        .args(["check", "--all"])
        .arg(&case.root)
        .output()
        .unwrap();
    let check = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(check.contains("(значение скрыто, знаков: 7;"), "{check}");
    for text in [&o.stderr, &o.rejected, &check] {
        for id in &ids {
            assert!(!text.contains(id.as_str()), "{id} leaked:\n{text}");
        }
    }
}

#[test]
fn a_school_id_with_lookalike_letters_is_pointed_at_the_registry_id() {
    let o = case()
        .file(
            "results/agg.csv",
            "year,assessment,subject,grade,school_id,participants,failed\n\
             2025,ОГЭ,математика,9,ѕ1,10,1\n\
             2025,ОГЭ,математика,9,s2\u{200b},10,1\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/agg.csv,2,school_id,\"school_id «ѕ1» (похож на «s1» из реестра, но отличается символами: «ѕ» U+0455) нет в реестре школ\"",
            "results/agg.csv,3,school_id,\"school_id «s2\u{200b}» (похож на «s2» из реестра, но отличается символами: «\u{200b}» U+200B) нет в реестре школ\"",
        ]
    );
}

#[test]
fn an_excel_date_in_a_year_cell_is_named_as_one() {
    let o = case()
        .file(
            "results/agg.csv",
            "year,assessment,subject,grade,school_id,participants,failed\n\
             45658,ОГЭ,математика,9,s1,10,1\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/agg.csv,2,year,\"год «45658» похож на дату Excel (01.01.2025): запишите в ячейку год числом, например 2025\""
        ]
    );
}

fn parquet_bytes(mut frame: polars::prelude::DataFrame) -> Vec<u8> {
    use polars::prelude::*;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
    bytes
}

#[test]
fn a_parquet_list_column_is_named_and_an_empty_parquet_said() {
    use polars::prelude::*;
    let marks = Series::new("mark".into(), [Series::new("".into(), [2i64, 3])]);
    let listed = DataFrame::new(
        1,
        vec![
            Column::new("year".into(), [2025i64]),
            Column::new("assessment".into(), ["ВПР"]),
            Column::new("subject".into(), ["математика"]),
            Column::new("grade".into(), [6i64]),
            Column::new("school_id".into(), ["s1"]),
            marks.into_column(),
        ],
    )
    .unwrap();
    let o = case()
        .file("results/l.parquet", parquet_bytes(listed.clone()))
        .outcome(&[]);
    refused(
        &o,
        "results/l.parquet: столбец `mark` (mark) хранит тип list[i64]",
    );
    let mut empty = listed.drop("mark").unwrap().head(Some(0));
    empty
        .with_column(Column::new("mark".into(), Vec::<i64>::new()))
        .unwrap();
    let o = case()
        .file("results/e.parquet", parquet_bytes(empty))
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("results/e.parquet: в файле нет строк данных"),
        "{}",
        o.stderr
    );
}

#[test]
fn an_upper_case_ending_is_read_and_described_by_its_format() {
    use polars::prelude::*;
    let frame = df!(
        "year" => [2025i64],
        "assessment" => ["ВПР"],
        "subject" => ["математика"],
        "grade" => [6i64],
        "school_id" => ["s1"],
        "mark" => [2i64],
    )
    .unwrap();
    let o = case()
        .file("results/X.PARQUET", parquet_bytes(frame))
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("results/X.PARQUET (результаты, строки участников; Parquet): строк 1"),
        "{}",
        o.stderr
    );
}

#[test]
fn utf16_is_read_with_its_mark_and_refused_without_one() {
    let text = format!("{HEADER}2025,ВПР,математика,6,s1,u1,2,\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let case = case().file("results/u.csv", &bytes);
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("results/u.csv (результаты, строки участников; CSV UTF-16"),
        "{}",
        o.stderr
    );
    let o = case.file("results/u.csv", &bytes[2..]).outcome(&[]);
    refused(
        &o,
        "results/u.csv: в тексте нулевые байты: похоже, это UTF-16 без метки BOM",
    );
}

#[test]
fn a_previous_list_with_a_misspelt_list_names_the_line() {
    let case = case().file(
        "previous-lists/2024.csv",
        "school_id,year,list\ns1,2024,ШНОР\ns2,2024,ШНОРР\n",
    );
    let o = case.outcome(&[]);
    refused(
        &o,
        "previous-lists/2024.csv: непригодных строк 1: строка 3: список «ШНОРР» — не ШНОР и не ШНСУ",
    );
}

#[test]
fn previous_lists_of_the_current_year_are_said_not_dropped() {
    let case = case().file(
        "previous-lists/2025.csv",
        "school_id,year,list\ns1,2025,ШНОР\ns2,2024,ШНОР\n",
    );
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("в прежних списках есть годы не раньше текущего 2025: 2025 — строк: 1;"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_survey_that_cannot_tell_schools_apart_is_said_and_negative_shares_set_aside() {
    let case = case().file(
        "survey/survey.csv",
        "school_id,year,ovz_share,poor_housing_share\ns1,2025,0.1,-0.2\ns2,2025,0.1,0.3\n",
    );
    let o = case.outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "survey/survey.csv,2,poor_housing_share,poor_housing_share: значение «-0.2» отрицательно; показатель для школы не учитывается"
        ]
    );
    assert!(
        o.stderr.contains(
            "в анкете 2025 года показатели не различают школы: ovz_share (одинаков у всех школ), \
             poor_housing_share (дан одной школой)"
        ),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("ШНСУ не выявить: ни один показатель анкеты 2025 года не различает школы")
    );
}

/// `shnor run` under `ulimit -v` (in KB), with many polars threads asked for.
fn run_under_ulimit(kb: u64, data: &Path, out: &Path) -> (bool, String) {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {kb} && exec \"$0\" run \"$1\" --out \"$2\" -q"
        ))
        .arg(assert_cmd::cargo::cargo_bin("shnor"))
        .arg(data)
        .arg(out)
        .env("POLARS_MAX_THREADS", "32")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn a_cap_on_virtual_memory_fits_the_threads_or_is_refused_by_name() {
    let tmp = TempDir::new().unwrap();
    let data = repo().join("sample-data");
    let (ok, stderr) = run_under_ulimit(1 << 20, &data, &tmp.path().join("a"));
    assert!(ok, "{stderr}");
    let (ok, stderr) = run_under_ulimit(256 << 10, &data, &tmp.path().join("b"));
    assert!(!ok);
    assert!(
        stderr.contains(
            "ограничение виртуальной памяти (ulimit -v) 256 МБ меньше нужного для запуска"
        ),
        "{stderr}"
    );
}

#[test]
fn blank_lines_are_set_aside_as_blank() {
    let o = case()
        .file(
            "results/b.csv",
            format!("{HEADER}2025,ВПР,математика,6,s1,x1,2,\n\n,,,,,,,\n2025,ВПР,математика,6,s1,x2,3,\n"),
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        rejected_rows(&o),
        [
            "results/b.csv,3,(вся строка),пустая строка: ни одной заполненной ячейки",
            "results/b.csv,4,(вся строка),пустая строка: ни одной заполненной ячейки",
        ]
    );
}

#[test]
fn assessments_the_methodology_leaves_out_are_said() {
    let o = case().outcome(&["-m", "hse-ege-3y"]);
    assert!(
        o.stderr.contains(
            "в данных есть процедуры ВПР, которые методика hse-ege-3y не учитывает (shnor.assessments = ЕГЭ)"
        ),
        "{}",
        o.stderr
    );
}

// rerun proves what it says.

fn rerun(manifest: &Path, out: Option<&Path>) -> Outcome {
    let mut cmd = Command::cargo_bin("shnor").unwrap();
    cmd.current_dir(repo()).arg("rerun").arg(manifest);
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    let output = cmd.output().unwrap();
    Outcome {
        ok: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        rejected: String::new(),
    }
}

#[test]
fn rerun_refuses_any_changed_setting_file_adapter_or_extra_input() {
    let case = with_adapter(
        "a.sql",
        "SELECT '2025' AS year, 'ВПР' AS assessment, 'математика' AS subject, '9' AS grade, \
         's1' AS school_id, a AS mark, __line FROM raw",
        "a.sql",
    );
    let dir = case.root.parent().unwrap().to_path_buf();
    fs::write(
        dir.join("min.csv"),
        "assessment,subject,from_year,min_score\nЕГЭ,русский язык,2020,24\n",
    )
    .unwrap();
    fs::write(
        dir.join("m.toml"),
        "extends = \"federal-2025\"\nname = \"x\"\n[failure]\nmin_scores = \"min.csv\"\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", dir.join("m.toml").to_str().unwrap()]);
    assert!(o.ok, "{}", o.stderr);
    let manifest = case.out().join("manifest.json");
    let before = fs::read(&manifest).unwrap();
    // Unchanged: reproduced beside the run, which stays as it was.
    let o = rerun(&manifest, None);
    assert!(o.ok, "{}", o.stderr);
    assert!(dir.join("out-rerun/shnor.csv").exists());
    assert_eq!(fs::read(&manifest).unwrap(), before);
    let edits: [(&str, &str, &str); 3] = [
        (
            "min.csv",
            "assessment,subject,from_year,min_score\nЕГЭ,русский язык,2020,87\n",
            "таблица минимальных баллов",
        ),
        (
            "data/a.sql",
            "SELECT '2025' AS year, 'ВПР' AS assessment, 'математика' AS subject, '9' AS grade, 's1' AS school_id, b AS mark, __line FROM raw",
            "адаптер results/r.csv → a.sql",
        ),
        (
            "data/results/extra.csv",
            "year,assessment,subject,grade,school_id,mark\n2025,ВПР,математика,9,s2,3\n",
            "входной файл results/extra.csv: новый",
        ),
    ];
    for (file, text, said) in edits {
        let path = dir.join(file);
        let original = fs::read(&path).ok();
        fs::write(&path, text).unwrap();
        let o = rerun(&manifest, Some(&dir.join("again")));
        refused(&o, said);
        assert!(
            o.stderr.contains("запуск не воспроизводится"),
            "{}",
            o.stderr
        );
        assert!(!dir.join("again").exists());
        match original {
            Some(bytes) => fs::write(&path, bytes).unwrap(),
            None => fs::remove_file(&path).unwrap(),
        }
    }
}

#[test]
fn an_adapter_matching_no_file_is_said() {
    let o = case()
        .file("a.sql", "SELECT * FROM raw")
        .file(
            "adapters.toml",
            "[[adapter]]\nfiles = \"results/*.xslx\"\nquery = \"a.sql\"\n",
        )
        .outcome(&[]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "adapters.toml: files = «results/*.xslx» не совпадает ни с одним файлом; адаптер a.sql не применён"
        ),
        "{}",
        o.stderr
    );
}

#[test]
fn an_indicator_with_no_known_direction_stops_the_run_with_the_lines_to_add() {
    let case = case().file(
        "survey/survey.csv",
        "school_id,year,ovz_share,Доля детей в кружках\ns1,2025,0.1,0.2\ns2,2025,0.3,0.4\n",
    );
    let o = case.outcome(&[]);
    refused(
        &o,
        "направление показателей анкеты неизвестно: «Доля детей в кружках»",
    );
    assert!(
        o.stderr.contains(
            "[shnsu.directions]\n\"Доля детей в кружках\" = \"risk\"    # или \"protective\""
        ),
        "{}",
        o.stderr
    );
    // The line, added to a methodology, lets the run through.
    let dir = case.root.parent().unwrap().to_path_buf();
    fs::write(
        dir.join("m.toml"),
        "extends = \"federal-2025\"\nname = \"m\"\n[shnsu.directions]\n\"Доля детей в кружках\" = \"protective\"\n",
    )
    .unwrap();
    let o = case.outcome(&["--methodology", dir.join("m.toml").to_str().unwrap()]);
    assert!(o.ok, "{}", o.stderr);
    let manifest = fs::read_to_string(case.out().join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"direction_from\": \"методика: [shnsu.directions]\""),
        "{manifest}"
    );
}
