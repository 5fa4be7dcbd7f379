//! Exports as they arrive: XLSX with title rows and a two-row header, Russian
//! headers in cp1251, percent columns, placeholders, adapters, and files that
//! must be refused with a specific message. Fixtures are written by the tests.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use common::{DataDir, repo};
use rust_xlsxwriter::{Format, Workbook};

/// Three schools with Russian headers, `;`-separated, and no survey.
fn data_dir() -> DataDir {
    DataDir::with_schools(
        "Код ОО;Наименование ОО;МО\nedu1;Школа 1;Район\nedu2;Школа 2;Район\nedu3;Школа 3;Район\n",
    )
}

/// A ФИС ОКО «статистика по отметкам» sheet: two title rows, a two-row header
/// with a merged group title over the mark columns, a number stored as text,
/// a placeholder, and empty rows at the end.
fn fisoko_workbook(path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Статистика").unwrap();
    sheet.write_string(0, 0, "Статистика по отметкам").unwrap();
    sheet
        .write_string(1, 0, "ВПР 2025. Русский язык, 5 класс")
        .unwrap();
    for (c, h) in ["Логин", "МО", "Наименование ОО", "Кол-во участников"]
        .iter()
        .enumerate()
    {
        sheet
            .merge_range(2, c as u16, 3, c as u16, h, &Format::new())
            .unwrap();
    }
    sheet
        .merge_range(2, 4, 2, 7, "Распределение отметок, %", &Format::new())
        .unwrap();
    for (c, h) in ["2", "3", "4", "5"].iter().enumerate() {
        sheet.write_string(3, 4 + c as u16, *h).unwrap();
    }
    // edu1: 10 participants, 30 % «2» (participants stored as text).
    sheet.write_string(4, 0, "edu1").unwrap();
    sheet.write_string(4, 3, "10").unwrap();
    sheet.write_number(4, 4, 30.0).unwrap();
    // edu2: 20 participants, 45 % «2».
    sheet.write_string(5, 0, "edu2").unwrap();
    sheet.write_number(5, 3, 20.0).unwrap();
    sheet.write_number(5, 4, 45.0).unwrap();
    // edu3: a placeholder instead of the share.
    sheet.write_string(6, 0, "edu3").unwrap();
    sheet.write_number(6, 3, 15.0).unwrap();
    sheet.write_string(6, 4, "Х").unwrap();
    for (r, c) in [(4, 1), (5, 1), (6, 1)] {
        sheet.write_string(r, c, "Район").unwrap();
    }
    workbook.save(path).unwrap();
}

#[test]
fn fisoko_xlsx_with_title_rows_and_two_row_header_is_read_through_an_adapter() {
    let data = data_dir();
    fisoko_workbook(&data.root.join("results/vpr_ru_5.xlsx"));
    // The sheet says year, assessment, subject and grade only in its title:
    // an adapter adds them as constants.
    fs::create_dir_all(data.root.join("adapters")).unwrap();
    data.write(
        "adapters/fisoko-ru-5.sql",
        "SELECT school_id, participants, fail_percent, 2025 AS year, 'ВПР' AS assessment,\n\
         'русский язык' AS subject, 5 AS grade FROM raw\n",
    );
    data.write(
        "adapters.toml",
        "[[adapter]]\nfiles = \"results/vpr_ru_*.xlsx\"\nquery = \"adapters/fisoko-ru-5.sql\"\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    let procedures = data.read_out("procedures.csv");
    assert!(
        procedures.contains("edu1,2025,ВПР,русский язык,5,10,3,0,0.300000"),
        "{procedures}"
    );
    assert!(
        procedures.contains("edu2,2025,ВПР,русский язык,5,20,9,0,0.450000"),
        "{procedures}"
    );
    // The placeholder row is set aside with its sheet line (row 7 of the sheet).
    let rejected = data.read_out("rejected.csv");
    assert_eq!(
        rejected,
        "file,line,column,reason\nresults/vpr_ru_5.xlsx,7,fail_percent,не указан fail_percent\n"
    );
}

#[test]
fn cp1251_csv_with_russian_headers_is_read_without_an_adapter() {
    let data = data_dir();
    let text = "Год;Процедура;Учебный предмет;Класс;Логин;Код участника;Отметка\n\
                2025;ВПР;Русский язык;5;edu1;p1;2\n\
                2025;ВПР;Русский язык;5;edu1;p2;Х\n\
                2025;ВПР;Русский язык;5;edu1;p3;4\n";
    data.write("results/vpr.csv", &encoding_rs::WINDOWS_1251.encode(text).0);
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert!(
        data.read_out("procedures.csv")
            .contains("edu1,2025,ВПР,русский язык,5,2,1,0,0.500000"),
        "{}",
        data.read_out("procedures.csv")
    );
    assert!(
        data.read_out("rejected.csv")
            .contains("results/vpr.csv,3,mark,\"нет ни отметки, ни балла"),
        "{}",
        data.read_out("rejected.csv")
    );
    let manifest = data.read_out("manifest.json");
    assert!(
        manifest.contains("\"encoding\": \"windows1251\""),
        "{manifest}"
    );
}

#[test]
fn percent_columns_with_a_decimal_comma_become_counts() {
    let data = data_dir();
    data.write(
        "results/oge.csv",
        "Год;Процедура;Предмет;Класс;Код ОО;Количество участников;% «2»\n\
         2025;ОГЭ;Математика;9;edu1;12;33,33\n\
         2025;ОГЭ;Математика;9;edu2;—;10\n\
         2025;ОГЭ;Математика;9;edu3;10;120\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert!(
        data.read_out("procedures.csv")
            .contains("edu1,2025,ОГЭ,математика,9,12,4,")
    );
    assert_eq!(
        data.read_out("rejected.csv"),
        "file,line,column,reason\n\
         results/oge.csv,3,participants,не указано число участников (participants)\n\
         results/oge.csv,4,fail_percent,fail_percent «120» вне 0–100\n"
    );
}

#[test]
fn an_empty_file_is_refused_by_name() {
    let data = data_dir();
    data.write("results/empty.csv", "");
    let (ok, stderr) = data.run(&[]);
    assert!(!ok);
    assert!(stderr.contains("results/empty.csv: файл пуст"), "{stderr}");
}

#[test]
fn a_missing_required_column_is_named_with_what_was_found() {
    let data = data_dir();
    data.write(
        "results/r.csv",
        "Год;Предмет;Класс;Логин;Отметка\n2025;Русский язык;5;edu1;3\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(!ok);
    assert!(
        stderr.contains("results/r.csv: нет столбцов assessment"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Найдены столбцы: year, subject, grade, school_id, mark"),
        "{stderr}"
    );
}

#[test]
fn an_adapter_that_reads_files_is_refused() {
    let data = data_dir();
    data.write("results/r.csv", "a;b\n1;2\n");
    data.write("evil.sql", "SELECT * FROM read_csv('/etc/passwd')\n");
    data.write(
        "adapters.toml",
        "[[adapter]]\nfiles = \"results/*.csv\"\nquery = \"evil.sql\"\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(!ok);
    assert!(
        stderr.contains("запрос evil.sql: табличная функция read_csv(…) запрещена"),
        "{stderr}"
    );
}

#[test]
fn check_reports_each_file_and_fails_when_rows_would_be_set_aside() {
    let data = data_dir();
    data.write(
        "results/oge.csv",
        "Год;Процедура;Предмет;Класс;Код ОО;Количество участников;% «2»\n\
         2025;ОГЭ;Математика;9;edu1;12;33,33\n\
         2025;ОГЭ;Математика;9;edu9;10;10\n",
    );
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .arg("check")
        .arg(&data.root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("results/oge.csv (результаты, итоги по школам; CSV UTF-8, разделитель «;», десятичная запятая да): строк 2"), "{stdout}");
    assert!(stdout.contains("«Код ОО» → school_id"), "{stdout}");
    assert!(stdout.contains("«% «2»» → fail_percent"), "{stdout}");
    assert!(
        stdout.contains("годы: 2025; процедуры: ОГЭ; предметы: математика"),
        "{stdout}"
    );
    assert!(
        stdout.contains("строка 3, столбец school_id: school_id «edu9» нет в реестре школ"),
        "{stdout}"
    );
    assert!(!data.out().exists(), "check writes no outputs");
    // The clean sample region passes apart from its planted bad rows (the
    // planted `н/я` is an absent participant, not a bad row).
    let output = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .args(["check", "sample-data"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("Всего будет отложено строк: 2."));
}

#[test]
fn a_statistics_sheet_takes_its_keys_from_its_title_rows_or_from_adapter_settings() {
    // No adapter: «ВПР 2025. Русский язык, 5 класс» above the header.
    let data = data_dir();
    fisoko_workbook(&data.root.join("results/vpr_ru_5.xlsx"));
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    let procedures = data.read_out("procedures.csv");
    assert!(
        procedures.contains("edu1,2025,ВПР,русский язык,5,10,3,0,0.300000"),
        "{procedures}"
    );
    // An adapter with no query sets what the title does not say, and a
    // key the file has a column for is refused.
    data.write(
        "adapters.toml",
        "[[adapter]]\nfiles = \"results/*.xlsx\"\nset = { grade = \"6\" }\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert!(
        data.read_out("procedures.csv")
            .contains("edu1,2025,ВПР,русский язык,6,10,3,0,0.300000"),
        "{stderr}"
    );
    let manifest = data.read_out("manifest.json");
    assert!(manifest.contains("grade = 6 (adapters.toml)"), "{manifest}");
    data.write(
        "adapters.toml",
        "[[adapter]]\nfiles = \"results/*.xlsx\"\nset = { participants = \"6\" }\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(
        !ok && stderr.contains("set.participants — задать можно только year"),
        "{stderr}"
    );
    // header_row forces the header; one outside the sheet is refused.
    data.write(
        "adapters.toml",
        "[[adapter]]\nfiles = \"results/*.xlsx\"\nheader_row = 40\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(
        !ok && stderr.contains("header_row = 40, а на листе строки 1–7"),
        "{stderr}"
    );
}

#[test]
fn rows_an_adapter_filters_out_are_listed_and_its_text_is_in_the_run_id() {
    let data = data_dir()
        .file(
            "results/r.csv",
            "год;код оо;отм\n2025;edu1;2\n2025;edu1;3\n2025;edu2;\n2025;edu2;5\n",
        )
        .file(
            "adapters.toml",
            "[[adapter]]\nfiles = \"results/r.csv\"\nquery = \"a.sql\"\n",
        );
    let sql = |filter: &str| {
        format!(
            "SELECT year, 'ВПР' AS assessment, 'математика' AS subject, 4 AS grade, school_id, \
             отм AS mark, __line FROM raw WHERE {filter}"
        )
    };
    data.write("a.sql", sql("отм IS NOT NULL"));
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(
        data.read_out("rejected.csv"),
        "file,line,column,reason\nresults/r.csv,4,,строка убрана фильтром адаптера a.sql (WHERE в запросе)\n"
    );
    let manifest = data.read_out("manifest.json");
    assert!(manifest.contains("\"rows\": 4,"), "{manifest}");
    assert!(manifest.contains("\"rows_rejected\": 1,"), "{manifest}");
    let run_id = |m: &str| {
        let at = m.find("\"run_id\"").unwrap();
        m[at..at + 40].to_string()
    };
    let first = run_id(&manifest);
    data.write("a.sql", sql("отм IS NOT NULL AND отм <> '5'"));
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_ne!(run_id(&data.read_out("manifest.json")), first);
    assert!(
        data.read_out("rejected.csv")
            .contains("results/r.csv,5,,строка убрана")
    );
}

#[test]
fn a_mark_the_scale_contradicts_is_counted_and_said_and_the_mark_counts() {
    // ВПР 2021, maths grade 4: «2» up to 5 points. A «2» with 10 points and
    // a «4» with 3 points contradict the scale; the marks are used.
    let data = data_dir().file(
        "results/vpr.csv",
        "year,assessment,subject,grade,school_id,participant_id,mark,score\n\
         2021,ВПР,математика,4,edu1,1,2,10\n2021,ВПР,математика,4,edu1,2,4,3\n\
         2021,ВПР,математика,4,edu1,3,3,12\n2021,ВПР,математика,4,edu1,4,2,4\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(
            "results/vpr.csv: отметка расходится со шкалой перевода баллов у 2 участников («2» при балле не ниже порога: 1; «3»–«5» при балле ниже порога: 1)"
        ),
        "{stderr}"
    );
    assert!(
        data.read_out("procedures.csv")
            .contains("edu1,2021,ВПР,математика,4,4,2,0,"),
        "{}",
        data.read_out("procedures.csv")
    );
}

#[test]
fn school_ids_csv_reads_a_renamed_school_as_its_registry_id() {
    let results = "year,assessment,subject,grade,school_id,participants,failed\n\
                   2024,ВПР,математика,5,old1,10,4\n2025,ВПР,математика,5,edu1,10,5\n";
    let data = data_dir()
        .file("results/r.csv", results)
        .file("school-ids.csv", "old_id,new_id,year\nold1,edu1,2025\n");
    let check = Command::cargo_bin("shnor")
        .unwrap()
        .current_dir(repo())
        .arg("check")
        .arg(&data.root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("school-ids.csv): old1 → edu1"), "{text}");
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    let procedures = data.read_out("procedures.csv");
    assert!(
        procedures.contains("edu1,2024,ВПР,математика,5,10,4,"),
        "{procedures}"
    );
    assert!(!procedures.contains("old1"), "{procedures}");
    let manifest = data.read_out("manifest.json");
    assert!(manifest.contains("\"school_ids\""), "{manifest}");
    assert!(
        manifest.contains("переименования школ school-ids.csv"),
        "{manifest}"
    );
    // A new id outside the registry, or an old id that is a registry school,
    // is refused with the line.
    for (renamings, said) in [
        (
            "old_id,new_id\nold1,edu9\n",
            "school-ids.csv, строка 2: новой школы `edu9` нет в реестре",
        ),
        (
            "old_id,new_id\nedu2,edu1\n",
            "school-ids.csv, строка 2: `edu2` — школа реестра",
        ),
        (
            "old_id,new_id\nold1,edu1\nold1,edu2\n",
            "строка 3: `old1` уже переименован в строке 2",
        ),
    ] {
        data.write("school-ids.csv", renamings);
        let (ok, stderr) = data.run(&[]);
        assert!(!ok && stderr.contains(said), "{stderr}");
    }
}
