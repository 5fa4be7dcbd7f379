//! ФИС ОКО protocols as they are downloaded, read with no adapter: the 2020,
//! 2021 and 2022 layouts (headers, sheets and cell forms of the real exports,
//! synthetic values). The keys come from the file's name and folders, the
//! mark from the ВПР scale of the grade, and absent participants are neither
//! counted nor set aside. Procedures are checked against counts made by hand.

mod common;

use std::path::Path;

use common::{DataDir, run_ok, shnor};
use rust_xlsxwriter::Workbook;

/// A cell: a number when it reads as one (as the exports store scores).
fn cell(sheet: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, v: &str) {
    match v.parse::<f64>() {
        Ok(n) => sheet.write_number(r, c, n).unwrap(),
        Err(_) if v.is_empty() => sheet,
        Err(_) => sheet.write_string(r, c, v).unwrap(),
    };
}

fn sheet_rows(sheet: &mut rust_xlsxwriter::Worksheet, header: &[&str], rows: &[Vec<String>]) {
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            cell(sheet, r as u32 + 1, c as u16, v);
        }
    }
}

/// Participants of one school: `(total, absent)`; tasks are filled with
/// «2» and «X» so that their cells spell known labels and texts.
fn totals(scores: &[&str]) -> Vec<(String, bool)> {
    scores
        .iter()
        .map(|s| match *s {
            "abs" => (String::new(), true),
            "abs0" => ("0".to_string(), true),
            s => (s.to_string(), false),
        })
        .collect()
}

/// One row per participant of each school: `row(school, index, total,
/// absent)`.
fn protocol_rows(
    schools: &[(&str, &[&str])],
    row: impl Fn(&str, usize, &str, bool) -> Vec<String>,
) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (school, scores) in schools {
        for (i, (total, absent)) in totals(scores).into_iter().enumerate() {
            rows.push(row(school, i, &total, absent));
        }
    }
    rows
}

/// 2020: `groups | user | id | code | otc | gender | klass | var-1 | var-2 |
/// sum | a-1-grade …`, «отсутствовал» in var-1, `X` for a task not done.
fn layout_2020(path: &Path, schools: &[(&str, &[&str])]) {
    let header = [
        "groups",
        "user",
        "id",
        "code",
        "otc",
        "gender",
        "klass",
        "var-1",
        "var-2",
        "sum",
        "a-1-grade",
        "a-2-grade",
        "a-3-grade",
    ];
    let rows = protocol_rows(schools, |school, i, total, absent| {
        let variant = if absent {
            "отсутствовал"
        } else {
            "1"
        };
        [
            "22-RU-ALT,vpr2020.ma4,vpr2020.ru4",
            school,
            &(i + 1).to_string(),
            &format!("{}", 50001 + i),
            "4",
            "ж",
            "б",
            variant,
            "",
            total,
            "2",
            "X",
            "2",
        ]
        .map(str::to_string)
        .to_vec()
    });
    let mut workbook = Workbook::new();
    sheet_rows(workbook.add_worksheet(), &header, &rows);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    workbook.save(path).unwrap();
}

/// 2021: `логин школы | регион | номер обучающегося | код обучающегося |
/// отметка за предыдущую четверть/триместр | пол | класс | вариант | всего
/// баллов | балл за 1 …`; the class column holds letters.
fn layout_2021(path: &Path, schools: &[(&str, &[&str])]) {
    let header = [
        "логин школы",
        "регион",
        "номер обучающегося",
        "код обучающегося",
        "отметка за предыдущую четверть/триместр",
        "пол",
        "класс",
        "вариант",
        "всего баллов",
        "балл за 1",
        "балл за 2",
    ];
    let rows = protocol_rows(schools, |school, i, total, absent| {
        let variant = if absent {
            "отсутствовал"
        } else {
            "2"
        };
        [
            school,
            "СПО Алтайский край",
            &(i + 1).to_string(),
            &format!("{}", 40001 + i),
            "5",
            "м",
            "НЕТ",
            variant,
            total,
            "2",
            "2",
        ]
        .map(str::to_string)
        .to_vec()
    });
    let mut workbook = Workbook::new();
    sheet_rows(workbook.add_worksheet(), &header, &rows);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    workbook.save(path).unwrap();
}

/// 2022: sheets «Классы» and «Протокол»; «code | name» cells, task columns
/// `1 (1б)`, `5(1) (1б)`, `Итого баллов`.
fn layout_2022(path: &Path, school: &str, scores: &[&str]) {
    let mut workbook = Workbook::new();
    sheet_rows(
        workbook.add_worksheet().set_name("Классы").unwrap(),
        &[
            "Пользователь",
            "Код региона",
            "Регион",
            "Муниципалитет",
            "Школа",
        ],
        &[[
            school,
            "22",
            "reg220000 | Алтайский край",
            "reg22_m019 | Район",
            school,
        ]
        .map(str::to_string)
        .to_vec()],
    );
    let header = [
        "Пользователь",
        "Код региона",
        "Регион",
        "Муниципалитет",
        "Школа",
        "Дата загрузки",
        "Код",
        "Вариант",
        "1 (1б)",
        "5(1) (1б)",
        "Наименование класса",
        "Пол",
        "Отметка за предыдущий триместр/ четверть/полугодие",
        "Итого баллов",
    ];
    let rows: Vec<Vec<String>> = totals(scores)
        .into_iter()
        .enumerate()
        .map(|(i, (total, absent))| {
            [
                school,
                "22",
                "reg220000 | Алтайский край",
                "reg22_m019 | Район",
                &format!("{school} | МКОУ \"СОШ\""),
                "17.03.2022 05:33:20",
                &format!("{}", 40001 + i),
                if absent {
                    "отсутствовал"
                } else {
                    "1"
                },
                "1",
                "2",
                "4А",
                "ж",
                "4",
                &total,
            ]
            .map(str::to_string)
            .to_vec()
        })
        .collect();
    sheet_rows(
        workbook.add_worksheet().set_name("Протокол").unwrap(),
        &header,
        &rows,
    );
    workbook.save(path).unwrap();
}

/// The procedures a run wrote: `school year subject grade → (participants, failed)`.
fn procedures(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("procedures.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!(
                "{} {} {} {} {} {}",
                f[at("school_id")],
                f[at("year")],
                f[at("subject")],
                f[at("grade")],
                f[at("participants")],
                f[at("failed")]
            )
        })
        .collect()
}

#[test]
fn three_fisoko_layouts_read_with_no_adapter_to_procedures_counted_by_hand() {
    let data = DataDir::with_schools(
        "логин,имя,регион\nsch220001,МКОУ «СОШ 1»,Район\nsch220002,МКОУ «СОШ 2»,Район\nedu220003,МКОУ «СОШ 3»,Район\n",
    );
    // Maths grade 4: «2» up to 5 points. sch220001 in 2020: 10 sat, 4 up
    // to 5 (a 5 is still «2»), 2 absent (one with a total of 0).
    layout_2020(
        &data.root.join("results/2020/4/Математика.xlsx"),
        &[
            (
                "sch220001",
                &[
                    "5", "3", "0", "4", "6", "9", "14", "15", "10", "7", "abs", "abs0",
                ],
            ),
            (
                "sch220002",
                &["12", "13", "14", "15", "10", "11", "9", "8", "7", "2"],
            ),
        ],
    );
    layout_2021(
        &data
            .root
            .join("results/2021/Проведение работы по математике, 4 класс. ВПР 2021.xlsx"),
        &[(
            "sch220001",
            &["1", "2", "5", "6", "7", "8", "9", "10", "11", "12", "abs"],
        )],
    );
    std::fs::create_dir_all(data.root.join("results/2022/4")).unwrap();
    layout_2022(
        &data.root.join("results/2022/4/Математика.xlsx"),
        "edu220003",
        &["6", "5", "abs", "15"],
    );
    // The 2022 login of sch220001: the same digits under «edu».
    std::fs::create_dir_all(data.root.join("results/2022/5")).unwrap();
    layout_2022(
        &data.root.join("results/2022/5/Математика.xlsx"),
        "edu220001",
        &["3", "12"],
    );

    let report = shnor().arg("check").arg(&data.root).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}");
    assert!(
        text.contains("раскладка «ФИС ОКО, протокол ВПР (выгрузка 2020"),
        "{text}"
    );
    assert!(text.contains("grade = 4 (папка)"), "{text}");
    assert!(text.contains("subject = математика (имя файла)"), "{text}");
    assert!(
        text.contains("отсутствовали (не участники, не отложены): 2"),
        "{text}"
    );
    assert!(text.contains("[Классы]: не лист результатов"), "{text}");
    assert!(
        text.contains("(другой префикс логина или school-ids.csv): edu220001 → sch220001"),
        "{text}"
    );

    let out = data.out();
    run_ok(&data.root, &out, &["-q"]);
    let mut got = procedures(&out);
    got.sort();
    assert_eq!(
        got,
        [
            "edu220003 2022 математика 4 3 1",
            "sch220001 2020 математика 4 10 4",
            "sch220001 2021 математика 4 10 3",
            "sch220001 2022 математика 5 2 1",
            "sch220002 2020 математика 4 10 1",
        ]
    );
    let rejected = std::fs::read_to_string(out.join("rejected.csv")).unwrap();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    // The 2021 protocol has scores and journal marks, no marks: the scale
    // gives them (maths 4: «2» up to 5, «3» up to 9, «4» up to 14). Scores
    // 1, 2, 5 | 6–9 | 10–12: three «2», four «3», three «4»; mean 71 / 10.
    // Every journal mark is «5», so every mark is below it («понизили»).
    let text = std::fs::read_to_string(out.join("procedures.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("sch220001,2021,"))
        .unwrap()
        .split(',')
        .collect();
    let value = |c: &str| row[header.iter().position(|h| *h == c).unwrap()];
    for (column, expected) in [
        ("scored", "10"),
        ("score_mean", "7.100000"),
        ("marks_2", "3"),
        ("marks_3", "4"),
        ("marks_4", "3"),
        ("marks_5", "0"),
        ("quality_share", "0.300000"),
        ("success_share", "0.700000"),
        ("journal_compared", "10"),
        ("journal_lower_share", "1.000000"),
        ("journal_higher_share", "0.000000"),
    ] {
        assert_eq!(value(column), expected, "{column}");
    }
}

/// «Статистика по отметкам» as the ФИС ОКО report form prints it: title
/// rows (the year, grade and subject are only there), a header whose labels
/// are mostly numbers (`2`, `3`, `4`, `5`, in %), rows of totals for the
/// whole sample, the region and a municipality, then one row per school
/// whose cell holds its login and name.
fn statistics_of_marks(path: &Path, titles: &[&str], schools: &[(&str, &str, &str)]) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, t) in titles.iter().enumerate() {
        sheet.write_string(r as u32, 0, *t).unwrap();
    }
    let top = titles.len() as u32 + 1;
    let header = [
        "Группы участников",
        "Кол-во ОО",
        "Кол-во участников",
        "2",
        "3",
        "4",
        "5",
    ];
    for (c, h) in header.iter().enumerate() {
        cell(sheet, top, c as u16, h);
    }
    let mut rows: Vec<[&str; 7]> = vec![
        [
            "Вся выборка",
            "39811",
            "1368003",
            "5,1",
            "30,2",
            "44,9",
            "19,8",
        ],
        [
            "Алтайский край",
            "893",
            "21544",
            "6",
            "31,1",
            "43,5",
            "19,4",
        ],
        ["Алейский район", "14", "212", "8,9", "35,4", "40,1", "15,6"],
    ];
    for (school, participants, fail) in schools {
        rows.push([school, "", participants, fail, "40", "30", "10"]);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            cell(sheet, top + 1 + r as u32, c as u16, v);
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn statistics_of_marks_reads_keys_from_titles_and_skips_the_rows_of_totals() {
    let data = DataDir::with_schools(
        "логин,имя,регион\nsch220001,МКОУ «СОШ 1»,Район\nsch220002,МКОУ «СОШ 2»,Район\n",
    );
    let titles = [
        "Всероссийские проверочные работы 2021 (4 класс)",
        "Дата: 20.04.2021",
        "Предмет: Математика",
        "Статистика по отметкам",
        "Максимальный первичный балл: 20",
    ];
    statistics_of_marks(
        &data.root.join("results/Статистика по отметкам.xlsx"),
        &titles,
        &[
            ("(sch220001) МКОУ «СОШ 1»", "25", "20"),
            ("sch220002 | МКОУ «СОШ 2»", "12", "50"),
        ],
    );
    let report = shnor().arg("check").arg(&data.root).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}");
    assert!(
        text.contains("раскладка «ФИС ОКО, форма «Статистика по отметкам»"),
        "{text}"
    );
    assert!(text.contains("строка заголовка: 7 (найдена по названиям столбцов); над ней пропущены строки: 1 «Всероссийские"), "{text}");
    assert!(
        text.contains("year = 2021 (заголовок листа, строка 1)"),
        "{text}"
    );
    assert!(
        text.contains("grade = 4 (заголовок листа, строка 1)"),
        "{text}"
    );
    assert!(
        text.contains("subject = математика (заголовок листа, строка 3)"),
        "{text}"
    );
    assert!(
        text.contains("assessment = ВПР (заголовок листа, строка 1)"),
        "{text}"
    );
    assert!(
        text.contains("строки итогов (регион, муниципалитет — без кода школы) не читаются как школы: 3 (строки 8–10)"),
        "{text}"
    );
    let out = data.out();
    run_ok(&data.root, &out, &["-q"]);
    let mut got = procedures(&out);
    got.sort();
    assert_eq!(
        got,
        [
            "sch220001 2021 математика 4 25 5",
            "sch220002 2021 математика 4 12 6",
        ]
    );
}
