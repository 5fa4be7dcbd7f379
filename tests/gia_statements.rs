//! РЦОИ statements of ОГЭ and ЕГЭ as regions receive them (the headers,
//! `;` CSV in Windows-1251 with lower-case names, and XLSX with a title row;
//! synthetic values): read with no adapter, the keys from the file's title
//! or name, and the participants' names and documents never kept: they reach
//! no output, no message and no line of `rejected.csv`.

mod common;

use std::path::Path;

use common::{DataDir, everything_written, shnor};
use rust_xlsxwriter::Workbook;

const SURNAMES: [&str; 6] = [
    "Абрамова",
    "Борисов",
    "Васильева",
    "Григорьев",
    "Денисова",
    "Егоров",
];

/// A document number no other text of a run could hold by chance.
fn document(i: usize) -> String {
    format!("{}", 730_001 + i * 7)
}

/// ОГЭ, `;`-separated, lower-case names, Windows-1251: `(school, primary
/// score, mark)` per participant; the last row repeats the first person.
fn oge_csv(rows: &[(&str, u32, u32)]) -> Vec<u8> {
    let mut text = String::from(
        "код мсу;код оо;класс;код ппэ;аудитория;фамилия;имя;отчество;серия документа;номер документа;\
         задания с кратким ответом;задания с развёрнутым ответом;первичный балл;оценка\r\n",
    );
    let mut line = |i: usize, (school, score, mark): &(&str, u32, u32)| {
        text.push_str(&format!(
            "01;{school};9А;0101;0012;{};Мария;Ивановна;4510;{};++-+-+--+;1(2)2(2)0(3);{score};{mark}\r\n",
            SURNAMES[i % SURNAMES.len()],
            document(i),
        ));
    };
    for (i, row) in rows.iter().enumerate() {
        line(i, row);
    }
    line(0, &rows[0]);
    encoding_rs::WINDOWS_1251.encode(&text).0.into_owned()
}

/// ЕГЭ, XLSX: a title row, then the statement with the test score «Балл».
fn ege_xlsx(path: &Path, rows: &[(&str, u32)]) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_string(0, 0, "Результаты ЕГЭ по русскому языку, 2025 год")
        .unwrap();
    let header = [
        "Код МСУ",
        "Код ОО",
        "Класс",
        "Код ППЭ",
        "Аудитория",
        "Фамилия",
        "Имя",
        "Отчество",
        "Серия документа",
        "Номер документа",
        "Задания с кратким ответом",
        "Задания с развёрнутым ответом",
        "Первичный балл",
        "Балл",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (r, (school, score)) in rows.iter().enumerate() {
        let i = r + 100;
        let cells = [
            "01".to_string(),
            school.to_string(),
            "11Б".into(),
            "0102".into(),
            "0007".into(),
            SURNAMES[r % SURNAMES.len()].into(),
            "Олег".into(),
            "Петрович".into(),
            "4511".into(),
            document(i),
            "+-+-++".into(),
            "1(2)0(2)".into(),
        ];
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(3 + r as u32, c as u16, v).unwrap();
        }
        sheet
            .write_number(3 + r as u32, 12, f64::from(*score / 4))
            .unwrap();
        sheet
            .write_number(3 + r as u32, 13, f64::from(*score))
            .unwrap();
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn rcoi_statements_read_with_no_adapter_and_keep_no_personal_data() {
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\nedu0101,МБОУ СОШ 1,Район\nedu0102,МБОУ СОШ 2,Район\n",
    );
    // ОГЭ maths: edu0101 has 10 participants, 3 of them «2»; the repeated
    // person is set aside. edu0102 has 2, both passing.
    let mut oge: Vec<(&str, u32, u32)> = (0..10)
        .map(|i| ("edu0101", 4 + i * 2, if i < 3 { 2 } else { 3 }))
        .collect();
    oge.extend([("edu0102", 20, 4), ("edu0102", 25, 5)]);
    data.write("results/ОГЭ 2025 Математика.csv", oge_csv(&oge));
    // ЕГЭ Russian, 2025: the minimum test score is 24.
    ege_xlsx(
        &data.root.join("results/ege/Ведомость.xlsx"),
        &[
            ("edu0101", 20),
            ("edu0101", 23),
            ("edu0101", 24),
            ("edu0101", 70),
            ("edu0102", 90),
        ],
    );

    let check = shnor().arg("check").arg(&data.root).output().unwrap();
    let check_text = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(
        check_text.contains(
            "раскладка «РЦОИ, ведомость результатов ГИА (код ОО, ФИО, первичный балл, оценка)»"
        ),
        "{check_text}"
    );
    assert!(
        check_text.contains("grade = 9 (по процедуре ОГЭ (имя файла)"),
        "{check_text}"
    );
    assert!(
        check_text.contains("subject = русский язык (заголовок листа, строка 1)"),
        "{check_text}"
    );
    assert!(check_text.contains("«Балл» → score"), "{check_text}");
    assert!(
        check_text.contains("«псевдоним SHA-256 из: фамилия, имя"),
        "{check_text}"
    );

    let out = data.out();
    let run = shnor()
        .arg("run")
        .arg(&data.root)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "{stderr}");
    let procedures = std::fs::read_to_string(out.join("procedures.csv")).unwrap();
    let row = |school: &str, subject: &str| {
        procedures
            .lines()
            .find(|l| l.starts_with(school) && l.contains(subject))
            .unwrap_or_else(|| panic!("{school} {subject}: {procedures}"))
            .split(',')
            .take(7)
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(
        row("edu0101", "математика"),
        "edu0101,2025,ОГЭ,математика,9,10,3"
    );
    assert_eq!(
        row("edu0102", "математика"),
        "edu0102,2025,ОГЭ,математика,9,2,0"
    );
    assert_eq!(
        row("edu0101", "русский"),
        "edu0101,2025,ЕГЭ,русский язык,11,4,2"
    );
    let rejected = std::fs::read_to_string(out.join("rejected.csv")).unwrap();
    assert_eq!(
        rejected.lines().count(),
        2,
        "the repeated person: {rejected}"
    );

    let all = everything_written(&out, &[check_text, stderr]);
    for (i, surname) in SURNAMES.iter().enumerate() {
        assert!(!all.contains(surname), "{surname} was written");
        assert!(!all.contains(&document(i)), "a document number was written");
        assert!(
            !all.contains(&document(i + 100)),
            "a document number was written"
        );
    }
    for name in ["Мария", "Ивановна", "Петрович", "Олег"] {
        assert!(!all.contains(name), "{name} was written");
    }
}

#[test]
fn a_regional_oge_scale_gives_the_mark_of_a_statement_with_primary_scores_only() {
    let data =
        DataDir::with_schools("school_id,school_name,municipality\nedu0101,МБОУ СОШ 1,Район\n");
    let mut text = String::from("Код ОО;Фамилия;Имя;Первичный балл\n");
    for (i, score) in [3, 7, 8, 15, 20].iter().enumerate() {
        text.push_str(&format!("edu0101;{};Анна;{score}\n", SURNAMES[i]));
    }
    data.write("results/ОГЭ 2025 математика.csv", text);
    let dir = data.root.parent().unwrap();
    std::fs::write(
        dir.join("oge-scales.csv"),
        "assessment,subject,grade,from_year,max_2,max_3,max_4,source\n\
         ОГЭ,математика,9,2025,7,14,21,региональная шкала (пример)\n",
    )
    .unwrap();
    let methodology = dir.join("region.toml");
    std::fs::write(
        &methodology,
        "extends = \"federal-2025\"\nname = \"region\"\n[failure]\nextra_scales = [\"oge-scales.csv\"]\n",
    )
    .unwrap();
    let (ok, stderr) = data.run(&["--methodology", methodology.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        data.read_out("procedures.csv")
            .contains("edu0101,2025,ОГЭ,математика,9,5,2,0,"),
        "{}",
        data.read_out("procedures.csv")
    );
    let manifest = data.read_out("manifest.json");
    assert!(manifest.contains("\"extra_scales\""), "{manifest}");
    // Without the regional scale the tool does not guess a pass line.
    let (ok, stderr) = data.run(&[]);
    assert!(!ok, "{stderr}");
}
