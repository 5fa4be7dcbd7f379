//! The signs of biased assessment on purpose-built student rows: an
//! inflated mean, marks that contradict the journal, the index per
//! municipality, and what `effect = "mark_unreliable"` does to the reasons.

mod common;

use common::DataDir;

/// One ВПР maths grade 4 row per (score, journal mark) of a school.
fn rows(out: &mut String, year: i32, school: &str, results: &[(u32, u32)]) {
    for (i, (score, journal)) in results.iter().enumerate() {
        out.push_str(&format!(
            "{year},ВПР,математика,4,{school},{school}-{year}-{i},{score},{journal}\n"
        ));
    }
}

/// Four schools of two towns. b and c: 40 pupils each, scores 8 and 12 in
/// turn (mean 10). a: 10 pupils scoring 19 and 20 (mean 19.5, s ≈ 0.53):
/// its interval 19.5 ± 1.96·0.53/√10 lies far above the region's (mean ≈
/// 11.1 ± 0.8 over 90 pupils). In c the journal says the opposite of the
/// scores (12 with «3», 8 with «5»): rs = −1. e fails 4 of 10 in 2024 and
/// 2025 (a «2» is up to 5 points), its journal marks again reversed. In g
/// (the village) the journal and the scores are unrelated: (10, 3), (20, 3),
/// (10, 5), (20, 5) twice each, mean ranks 2.5 and 6.5 on both sides, so
/// the products of the deviations are +4, −4, −4, +4: rs = 0, not flagged.
fn region() -> DataDir {
    let mut csv =
        String::from("year,assessment,subject,grade,school_id,participant_id,score,journal_mark\n");
    let turns = |n: usize, low: (u32, u32), high: (u32, u32)| -> Vec<(u32, u32)> {
        (0..n)
            .map(|i| if i % 2 == 0 { low } else { high })
            .collect()
    };
    rows(&mut csv, 2025, "a", &turns(10, (19, 5), (20, 5)));
    rows(&mut csv, 2025, "b", &turns(40, (8, 3), (12, 4)));
    rows(&mut csv, 2025, "c", &turns(40, (8, 5), (12, 3)));
    let failing: Vec<(u32, u32)> = (0..10)
        .map(|i| if i < 4 { (2, 5) } else { (10, 3) })
        .collect();
    rows(&mut csv, 2024, "e", &failing);
    rows(&mut csv, 2025, "e", &failing);
    let unrelated = [(10, 3), (20, 3), (10, 5), (20, 5)];
    rows(&mut csv, 2025, "g", &[unrelated, unrelated].concat());
    DataDir::with_schools(
        "school_id,school_name,municipality\na,СОШ А,Город\nb,СОШ Б,Город\nc,СОШ В,Район\ne,СОШ Е,Район\ng,СОШ Ж,Село\n",
    )
    .file("results/vpr.csv", csv)
}

/// (flagged, value) of a school's one row of `sign`.
fn objectivity_row(data: &DataDir, school: &str, sign: &str) -> (String, String) {
    let text = data.read_out("objectivity.csv");
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
    let row: Vec<&str> = text
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[at("school_id")] == school && f[at("sign")] == sign)
        .unwrap();
    (row[at("flagged")].to_string(), row[at("value")].to_string())
}

fn flagged(data: &DataDir) -> Vec<String> {
    let text = data.read_out("objectivity.csv");
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
    let mut found: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[at("flagged")] == "true")
        .map(|f| format!("{} {} {}", f[at("school_id")], f[at("year")], f[at("sign")]))
        .collect();
    found.sort();
    found
}

#[test]
fn an_inflated_mean_and_marks_against_the_journal_are_flagged_beside_the_lists() {
    let data = region();
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(
        flagged(&data),
        [
            "a 2025 inflated_mean",
            "c 2025 contradicts_marks",
            "e 2024 contradicts_marks",
            "e 2025 contradicts_marks"
        ]
    );
    // The index: Город 2 checked, 1 flagged → 50; Район 2 of 2 → 0.
    let municipalities = data.read_out("municipalities.csv");
    assert!(municipalities.contains("\nГород,2,"), "{municipalities}");
    let index = |town: &str| {
        let header: Vec<&str> = municipalities.lines().next().unwrap().split(',').collect();
        let line: Vec<&str> = municipalities
            .lines()
            .find(|l| l.starts_with(&format!("{town},")))
            .unwrap()
            .split(',')
            .collect();
        let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
        (
            line[at("objectivity_checked")].to_string(),
            line[at("objectivity_index")].to_string(),
        )
    };
    assert_eq!(index("Город"), ("2".into(), "50.000000".into()));
    assert_eq!(index("Район"), ("2".into(), "0.000000".into()));
    let manifest: serde_json::Value =
        serde_json::from_str(&data.read_out("manifest.json")).unwrap();
    assert_eq!(index("Село"), ("1".into(), "100.000000".into()));
    let g = objectivity_row(&data, "g", "contradicts_marks");
    assert_eq!((g.0.as_str(), g.1.as_str()), ("false", "0.000000"));
    assert_eq!(manifest["objectivity"]["schools_flagged"], 3);
    assert_eq!(manifest["objectivity"]["index"], 40.0);
    // What reaches objectivity.csv is per procedure: no participant, no
    // score or journal mark of one.
    let written = data.read_out("objectivity.csv");
    assert!(!written.contains("-2025-"), "{written}");
    for column in ["participant_id", "score", "journal_mark"] {
        assert!(
            !written
                .lines()
                .next()
                .unwrap()
                .split(',')
                .any(|c| c == column)
        );
    }
    let said = data.explain("a");
    assert!(
        said.contains("ВПР математика 4 кл. 2025: завышенный средний балл — средний балл 19,50 (ДИ 19,17–19,83) выше, чем у региона"),
        "{said}"
    );
    let html = data.report();
    assert!(
        html.contains("Проверено школ: 5, с признаками: 3; индекс объективности региона 40 "),
        "{}",
        &html[html.find("Признаки необъективности").unwrap_or(0)..]
    );
    assert!(html.contains("<td>результаты противоречат школьным отметкам</td>"));
    // No survey: a school's participants and share are still counted.
    let schools = data.read_out("schools.csv");
    let header: Vec<&str> = schools.lines().next().unwrap().split(',').collect();
    let b: Vec<&str> = schools
        .lines()
        .find(|l| l.starts_with("b,"))
        .unwrap()
        .split(',')
        .collect();
    let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
    assert_eq!(b[at("school_participants")], "40");
    assert_eq!(b[at("school_fail_share")], "0.000000");
    // By default a sign changes nothing: e is ШНОР, its reasons as always.
    let shnor = data.read_out("shnor.csv");
    assert!(shnor.contains("\ne,"), "{shnor}");
    assert!(!shnor.contains("недостоверен"), "{shnor}");
}

#[test]
fn mark_unreliable_names_the_sign_in_the_reasons_and_keeps_the_decision() {
    let data = region().file(
        "method.toml",
        "extends = \"federal-2025\"\nname = \"strict-objectivity\"\n[objectivity]\neffect = \"mark_unreliable\"\n",
    );
    let method = data.root.join("method.toml");
    let (ok, stderr) = data.run(&["-m", method.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let shnor = data.read_out("shnor.csv");
    assert!(shnor.contains("\ne,"), "{shnor}");
    assert!(
        shnor.contains(
            "ВПР математика 4 кл. 2025: 40,0 % (4 из 10) — недостоверен: результаты противоречат школьным отметкам"
        ),
        "{shnor}"
    );
}

/// A ФИС ОКО school table as the reports give it: «Статистика по отметкам»
/// (percents of «2»…«5») beside «Сравнение отметок с отметками по журналу»
/// (понизили / подтвердили / повысили, percents). a: 20 participants, 10 %
/// «2», 40 % «3», 30 % «4», 20 % «5»; 5 % понизили, 25 % подтвердили, 70 %
/// повысили. b gives only the share of «2»: its marks stay empty, never 0.
#[test]
fn fisoko_aggregates_of_marks_and_of_the_journal_comparison_are_read() {
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\na,СОШ А,Город\nb,СОШ Б,Город\n",
    )
    .file(
        "results/vpr_stat_2025.csv",
        "Год;Процедура;Предмет;Класс;Логин ОО;Кол-во участников;2;3;4;5;Понизили (Отметка < Отметка по журналу) %;Подтвердили (Отметка = Отметке по журналу) %;Повысили (Отметка > Отметка по журналу) %\n\
         2025;ВПР;математика;4;a;20;10;40;30;20;5;25;70\n",
    )
    .file(
        "results/vpr_2025.csv",
        "year;assessment;subject;grade;school_id;participants;fail_percent\n2025;ВПР;математика;4;b;10;20\n",
    )
    .file(
        "method.toml",
        "extends = \"federal-2025\"\nname = \"journal\"\n[objectivity]\njournal_higher_above = 0.5\n",
    );
    let method = data.root.join("method.toml");
    let (ok, stderr) = data.run(&["-m", method.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let procedures = data.read_out("procedures.csv");
    let header: Vec<&str> = procedures.lines().next().unwrap().split(',').collect();
    let row = |school: &str| -> Vec<String> {
        procedures
            .lines()
            .find(|l| l.starts_with(&format!("{school},")))
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
    let a = row("a");
    let got: Vec<&str> = [
        "marked",
        "marks_2",
        "marks_3",
        "marks_4",
        "marks_5",
        "mean_mark",
        "quality_share",
        "success_share",
        "journal_compared",
        "journal_lower_share",
        "journal_higher_share",
        "scored",
        "score_mean",
    ]
    .iter()
    .map(|c| a[at(c)].as_str())
    .collect();
    // Mean mark (2·2 + 3·8 + 4·6 + 5·4) / 20 = 3.6; quality 10 of 20; success
    // 18 of 20; 1 of 20 lower, 14 of 20 higher. No scores: empty.
    assert_eq!(
        got,
        [
            "20", "2", "8", "6", "4", "3.600000", "0.500000", "0.900000", "20", "0.050000",
            "0.700000", "", ""
        ]
    );
    let b = row("b");
    for c in ["marked", "marks_3", "quality_share", "journal_compared"] {
        assert_eq!(b[at(c)], "", "{c}");
    }
    // The region's sign reads the aggregate: 70 % повысили above 50 %.
    assert_eq!(flagged(&data), ["a 2025 journal_higher"]);
}
