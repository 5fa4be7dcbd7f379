//! Social passports as schools and municipalities fill them: the wording of a
//! real municipal programme (two schools of one small town), indicators as
//! rows and schools as columns, decimal commas and wrapped labels; and the
//! usual form with Russian headers, да/нет, «N/%», percents beside shares.
//! The ШНСУ list each gives is checked against the passport's own numbers.

mod common;

use common::DataDir;

/// Two schools of one town; results that list neither as ШНОР.
fn town() -> DataDir {
    DataDir::with_schools(
        "school_id,school_name,municipality\nsorsk2,ООШ №2,город Сорск\nsorsk3,СОШ №3,город Сорск\n",
    )
    .file(
        "results/vpr.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2025,ВПР,математика,5,sorsk2,20,5\n2025,ВПР,математика,5,sorsk3,40,4\n",
    )
}

/// The table «Сведения об участниках образовательного процесса» of a
/// municipal programme, as printed: indicators as rows, the two schools as
/// columns, labels wrapped onto a second line without values.
const PASSPORT_IN_ROWS: &str = "Показатель;ООШ №2;СОШ №3
Доля учителей с 1 квалификационной категорией;0,38;0,48
Доля учителей с высшей квалификационной категорией;0;0,07
Доля учителей с высшим педагогическим образованием;0,86;0,88
Доля учителей, прошедших программы повышения квалификации с получением свидетельства;0,86;1
Доля обучающихся с ограниченными возможностями здоровья, в том числе по программам 7-го и 8-го вида;0,28;0,001
Доля обучающихся, являющихся детьми-инвалидами;0,06;0,02
Доля обучающихся, состоящих на учете с алко/ наркозависимостью;0,007;0,003
Доля обучающихся, состоящих на внутришкольном и других видах учета (ОДН, КДН и ЗП);0,06;0,015
Доля обучающихся, воспитывающихся в многодетных семьях;0,38;0,22
Доля обучающихся, воспитывающихся в неполных семьях;0,30;0,20
Доля обучающихся из семей, где оба родителя имеют высшее образование;0,003;0,06
Доля обучающихся из семей, где один родитель имеет высшее образование;0,05;0,21
Доля обучающихся, воспитывающихся в семьях, где оба родителя являются безработными;0,02;0,02
Доля обучающихся, воспитывающихся в семьях, где;0,11;0,11
единственный родитель является безработным;;
Доля обучающихся, проживающих в неблагоустроенных;0,06;0,1
помещениях;;
Доля обучающихся, находящихся на подвозе;0,02;0,06
";

/// The ШНСУ schools of the last run, by id.
fn listed(data: &DataDir) -> Vec<String> {
    let mut ids: Vec<String> = data
        .read_out("shnsu.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_municipal_passport_printed_with_indicators_as_rows_lists_the_worse_off_school() {
    // By the passport's numbers ООШ №2 is worse off: 28 % ОВЗ against 0.1 %,
    // more large and single-parent families and registered pupils, fewer
    // parents with higher education and fewer teachers with categories (the
    // document says so: «уровень социального благополучия обучающихся в СОШ
    // № 3 выше»). СОШ №3 is worse only on housing and bussing. Read with
    // every indicator as risk, the teachers' categories and the parents'
    // education would count against СОШ №3.
    let data = town().file("survey/Паспорт 2025.csv", PASSPORT_IN_ROWS);
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    assert!(
        stderr.contains("столбец школы «ООШ №2» прочитан как sorsk2 (по названию в реестре)"),
        "{stderr}"
    );
    // The school card: what raises its risk, beside the town's mean.
    let card = data.explain("sorsk2");
    assert!(card.contains("Сильнее всего повышают риск:"), "{card}");
    assert!(
        card.contains("Доля обучающихся из многодетных семей 38,0 % при среднем 30,0 %"),
        "{card}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&data.read_out("manifest.json")).unwrap();
    let indicators = manifest["indicators"].as_array().unwrap();
    let direction = |name: &str| {
        indicators
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["direction"].as_str().unwrap().to_string())
    };
    for (name, expected) in [
        ("teachers_top_category_share", "protective"),
        ("parents_higher_ed_share", "protective"),
        ("ovz_share", "risk"),
        ("poor_housing_share", "risk"),
        ("single_unemployed_parent_share", "risk"),
    ] {
        assert_eq!(direction(name).as_deref(), Some(expected), "{name}");
    }
}

#[test]
fn a_passport_with_russian_headers_yes_no_counts_with_percents_and_percent_columns() {
    // sorsk2: ОВЗ 28 %, no internet, 82 % teachers with higher education,
    // 38 % large families (a percent column: 38 and 22); sorsk3: 0.1 %,
    // internet, 85 %, 22 %. sorsk2 is worse on every indicator.
    let data = town().file(
        "survey/survey_2025.csv",
        "Код ОО;Год;Доля обучающихся с ОВЗ;Наличие доступа к сети Интернет;\
         Численность/удельный вес педагогических работников, имеющих высшее образование;\
         Доля обучающихся из многодетных семей\n\
         sorsk2;2025;28%;нет;14/82%;38\nsorsk3;2025;0,1 %;да;40/85;22\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    assert!(
        stderr.contains(
            "показатель large_family_share («Доля обучающихся из многодетных семей») — доля, а значения доходят до 38: прочитаны как проценты (÷ 100)"
        ),
        "{stderr}"
    );
    assert_eq!(
        data.read_out("rejected.csv").lines().count(),
        1,
        "{}",
        data.read_out("rejected.csv")
    );
}

#[test]
fn a_text_column_is_a_fact_not_an_indicator() {
    let data = town().file(
        "survey/survey_2025.csv",
        "school_id,year,ovz_share,Населённый пункт\nsorsk2,2025,0.28,Сорск\nsorsk3,2025,0.01,Сорск\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    let manifest = data.read_out("manifest.json");
    assert!(
        manifest.contains("\"direction_from\": \"текст, не число: описательный факт\""),
        "{manifest}"
    );
    assert_eq!(data.read_out("rejected.csv").lines().count(), 1);
}

/// The ФИС ОКО questionnaire «Сбор контекстных данных об ОО» as downloaded:
/// two sheets, one row per school, questions as headers (those of the real
/// export), the directors' names and contacts; synthetic values.
fn questionnaire(path: &std::path::Path, schools: &[(&str, &str, &str, [u32; 6])]) {
    use rust_xlsxwriter::Workbook;
    let mut workbook = Workbook::new();
    let lead = [
        "Пользователь",
        "Код региона",
        "Регион",
        "Муниципалитет",
        "Школа",
        "Дата загрузки",
        "№",
    ];
    let general = [
        "1. ПОЛНОЕ наименование ОО (по уставу)",
        "3.\tФИО директора (полностью)",
        "4.\tТелефон ОО (с указанием кода города)",
        "5.\tЭлектронная почта (email) ОО",
        "6.\tИНН",
        "14. Где расположена образовательная организация?",
        "15. Каков размер населенного пункта, в котором расположена ОО?",
    ];
    let activity = [
        "17.1. Организация осуществляет образовательную деятельность по адаптированным образовательным программам (АОП)?",
        "20. Укажите количество обучающихся в ОО в 2021/2022 учебном году (в сумме по всем классам/курсам)",
        "21. Общее количество обучающихся в 2021/2022 учебном году 2006 года рождения",
        "22. Количество обучающихся в 2021/2022 учебном году 2006 г. р., обучающихся по АОП, с ограниченными возможностями здоровья и/или инвалидов (всего)",
        "23. Общее количество обучающихся в 2021/2022 учебном году 2007 года рождения",
        "24. Количество обучающихся в 2021/2022 учебном году 2007 г. р., обучающихся по АОП, с ограниченными возможностями здоровья и/или инвалидов (всего)",
        "25. Сколько всего в ОО учителей/преподавателей?",
        "27. Сколько всего в ОО учителей/преподавателей первой и высшей категорий?",
    ];
    for (sheet_name, questions) in [
        ("Общая информация об ОО", &general[..]),
        ("ОБРАЗОВАТЕЛЬНАЯ ДЕЯТЕЛЬНОСТЬ ОО", &activity[..]),
    ] {
        let sheet = workbook.add_worksheet().set_name(sheet_name).unwrap();
        for (c, h) in lead.iter().chain(questions).enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (login, director, place, n)) in schools.iter().enumerate() {
            let r = r as u32 + 1;
            let lead_cells = [
                login.to_string(),
                "22".into(),
                "reg220000 | Алтайский край".into(),
                "reg22_m056 | Целинный муниципальный район".into(),
                format!("{login} | МБОУ \"Школа\""),
                "04.02.2022 10:22:51".into(),
                "1".into(),
            ];
            let cells: Vec<String> = if sheet_name.starts_with("Общая") {
                vec![
                    "Муниципальное бюджетное общеобразовательное учреждение".into(),
                    director.to_string(),
                    "8 (38596) 3-83-16".into(),
                    format!("{login}@school.example"),
                    "2287003893".into(),
                    place.to_string(),
                    "1) Менее 1 тыс. человек".into(),
                ]
            } else {
                let [students, b06, o06, b07, o07, teachers] = *n;
                vec![
                    "Да".into(),
                    students.to_string(),
                    b06.to_string(),
                    o06.to_string(),
                    b07.to_string(),
                    o07.to_string(),
                    teachers.to_string(),
                    (teachers / 2).to_string(),
                ]
            };
            for (c, v) in lead_cells.iter().chain(&cells).enumerate() {
                sheet.write_string(r, c as u16, v).unwrap();
            }
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn the_fisoko_questionnaire_is_read_with_its_shares_derived_and_no_contacts_kept() {
    // sch logins in the registry, edu in the 2022 questionnaire. sorsk2: 12
    // of 40 pupils born 2006–2007 with ОВЗ (30 %), in a village; sorsk3: 2
    // of 80 (2.5 %), in a town.
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\nsch220002,ООШ №2,город Сорск\nsch220003,СОШ №3,город Сорск\n",
    )
    .file(
        "results/vpr_2022.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2022,ВПР,математика,5,sch220002,20,5\n2022,ВПР,математика,5,sch220003,40,4\n",
    );
    questionnaire(
        &data
            .root
            .join("survey/Сбор контекстных данных об ОО (2022).xlsx"),
        &[
            (
                "edu220002",
                "Хороброва Нина Васильевна",
                "4) Населенный пункт сельского типа",
                [150, 20, 7, 20, 5, 14],
            ),
            (
                "edu220003",
                "Беседин Евгений Викторович",
                "1) Город (региональный центр)",
                [900, 40, 1, 40, 1, 60],
            ),
        ],
    );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sch220002"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&data.read_out("manifest.json")).unwrap();
    let ovz = manifest["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "ovz_share")
        .unwrap();
    assert_eq!(ovz["derived"], true);
    assert_eq!(ovz["direction"], "risk");
    let all = common::everything_written(&data.out(), &[stderr]);
    for secret in ["Хороброва", "Беседин", "3-83-16", "@school.example"] {
        assert!(!all.contains(secret), "{secret} was written");
    }
    assert!(
        all.contains("3.\\tФИО директора (полностью)") || all.contains("ФИО директора"),
        "the dropped headers are named in the manifest"
    );
}

#[test]
fn small_municipalities_compare_within_the_town_and_need_enough_indicators() {
    // Town A is well-off and town B poor: across the region both B schools
    // are the riskiest; within each town, each town's worse school is.
    let data = DataDir::with_schools(
        "school_id,school_name,municipality\na1,А1,Город А\na2,А2,Город А\nb1,Б1,Город Б\nb2,Б2,Город Б\nb3,Б3,Город Б\n",
    )
    .file(
        "results/vpr.csv",
        "year,assessment,subject,grade,school_id,participants,failed\n\
         2025,ВПР,математика,5,a1,20,1\n2025,ВПР,математика,5,b1,20,1\n",
    )
    .file(
        "survey/survey_2025.csv",
        "school_id,year,ovz_share,large_family_share,single_parent_share\n\
         a1,2025,0.02,0.05,0.10\na2,2025,0.06,0.09,0.14\n\
         b1,2025,0.20,0.30,0.30\nb2,2025,0.24,0.34,0.34\nb3,2025,0.30,,\n",
    );
    let dir = data.root.parent().unwrap();
    let methodology = |extra: &str| {
        let path = dir.join("m.toml");
        std::fs::write(
            &path,
            format!(
                "extends = \"federal-2025\"\nname = \"m\"\n[shnsu]\ntop_share_percent = 50.0\n{extra}\n"
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    let region = methodology("min_indicators = 2");
    let (ok, stderr) = data.run(&["--methodology", &region]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["b1", "b2"]);
    let schools = data.read_out("schools.csv");
    let b3 = schools.lines().find(|l| l.starts_with("b3,")).unwrap();
    assert!(
        b3.contains(
            "не оценена: показателей 1 — меньше, чем требует методика (shnsu.min_indicators)"
        ),
        "{b3}"
    );
    let town = methodology("min_indicators = 2\nreference_group = \"municipality\"");
    let (ok, stderr) = data.run(&["--methodology", &town]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["a2", "b2"]);
}

#[test]
fn risk_signs_by_absolute_thresholds_score_a_town_of_two_schools() {
    // ОВЗ at or above 15 % and large families at or above 30 % are risk
    // signs; teachers with the top category at or below 5 % too (a
    // protective indicator). ООШ №2: 28 %, 38 %, 0 % → 3 signs; СОШ №3:
    // 0.1 %, 22 %, 7 % → none.
    let data = town().file("survey/Паспорт 2025.csv", PASSPORT_IN_ROWS);
    let path = data.root.parent().unwrap().join("m.toml");
    std::fs::write(
        &path,
        "extends = \"federal-2025\"\nname = \"signs\"\n[shnsu]\nnormalisation = \"signs\"\ncut = \"cutoff\"\ncutoff = 2.0\n\
         [shnsu.thresholds]\novz_share = 0.15\n\"Доля обучающихся, воспитывающихся в многодетных семьях\" = 0.3\n\
         teachers_top_category_share = 0.05\n",
    )
    .unwrap();
    let (ok, stderr) = data.run(&["--methodology", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    let shnsu = data.read_out("shnsu.csv");
    assert!(
        shnsu.contains("sorsk2,ООШ №2,город Сорск,3.000000,1,2,3,"),
        "{shnsu}"
    );
    // Signs without thresholds are refused.
    std::fs::write(
        &path,
        "extends = \"federal-2025\"\nname = \"signs\"\n[shnsu]\nnormalisation = \"signs\"\n",
    )
    .unwrap();
    let (ok, stderr) = data.run(&["--methodology", path.to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("[shnsu.thresholds] пуст"),
        "{stderr}"
    );
}

#[test]
fn the_500plus_preset_scores_the_ten_factors_and_the_index_averages_them() {
    // Two schools: every indicator with a spread is ±1 standard deviation
    // from the town's mean. ООШ №2 is on the risky side of ОВЗ, the
    // teachers (4 indicators), discipline (2) and the parents (2): each
    // factor scores +1. Learning failure: more large and single-parent
    // families (+1, +1), better housing (−1), two unemployment rows equal in
    // both (no spread, not counted): (1 + 1 − 1) / 3 = 1/3. The index is the
    // mean of the five factors: (4 + 1/3) / 5 = 13/15 ≈ 0.866667. Bussing is
    // a condition of the area, in none of the ten factors.
    let data = town().file("survey/Паспорт 2025.csv", PASSPORT_IN_ROWS);
    let (ok, stderr) = data.run(&["-m", "fioko-500plus"]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    assert!(
        data.read_out("shnsu.csv").contains(",0.866667,1,2,"),
        "{}",
        data.read_out("shnsu.csv")
    );
    let profiles = data.read_out("risk_profiles.csv");
    let row = |school: &str, factor: &str| {
        profiles
            .lines()
            .find(|l| l.starts_with(&format!("{school},")) && l.contains(&format!(",{factor},")))
            .unwrap_or_else(|| panic!("{school} × {factor}:\n{profiles}"))
            .to_string()
    };
    assert!(
        row("sorsk2", "ovz").contains(",1.000000,1.000000,high,2,"),
        "{}",
        row("sorsk2", "ovz")
    );
    assert!(row("sorsk2", "teacher_competence").contains(",high,4,"));
    assert!(row("sorsk2", "learning_failure").contains(",0.333333,low,3,"));
    assert!(row("sorsk3", "ovz").contains(",-1.000000,low,2,"));
    assert!(
        stderr.contains(
            "показатели «Доля обучающихся, находящихся на подвозе» не входят ни в один фактор"
        ),
        "{stderr}"
    );
    let card = data.explain("sorsk2");
    assert!(card.contains("Профиль риска по факторам:"), "{card}");
    assert!(
        card.contains("высокая доля обучающихся с ОВЗ: высокий риск (балл 1,00)"),
        "{card}"
    );
    assert!(
        card.contains("Доля обучающихся, которых подвозят в школу 2,0 % при среднем 4,0 % (риск)"),
        "{card}"
    );
}

#[test]
fn a_factor_of_the_methodology_names_an_indicator_by_its_own_header() {
    let data = town()
        .file("survey/Паспорт 2025.csv", PASSPORT_IN_ROWS)
        .file(
            "method.toml",
            "extends = \"fioko-500plus\"\nname = \"town\"\n\n[[shnsu.profile.factors]]\n\
             name = \"area\"\nlabel = \"удалённость\"\n\
             indicators = [\"Доля обучающихся, находящихся на подвозе\"]\n",
        );
    let method = data.root.join("method.toml");
    let (ok, stderr) = data.run(&["-m", method.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let profiles = data.read_out("risk_profiles.csv");
    assert!(
        profiles.contains("sorsk3,СОШ №3,город Сорск,area,удалённость,1.000000,1.000000,high,1,"),
        "{profiles}"
    );
}

#[test]
fn counts_of_pupils_are_divided_by_the_number_of_pupils() {
    // sorsk2: 12 of 40 pupils with ОВЗ (30 %), 6 large families (15 %);
    // sorsk3: 20 of 400 (5 %), 40 (10 %). Read as shares, the counts would
    // put the bigger school first.
    let passport = "Код ОО;Год;Численность обучающихся;Количество обучающихся с ОВЗ;\
                    Количество обучающихся из многодетных семей\n\
                    sorsk2;2025;40;12;6\nsorsk3;2025;400;20;40\n";
    let data = town().file("survey/survey_2025.csv", passport);
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    let card = data.read_out("school_indicators.csv");
    assert!(
        card.contains(
            "sorsk2,ООШ №2,город Сорск,ovz_share,Доля обучающихся с ОВЗ,ovz,0.300000,0.175000,"
        ),
        "{card}"
    );
    let manifest = data.read_out("manifest.json");
    assert!(
        manifest.contains("доля: «Количество обучающихся с ОВЗ» из «Численность обучающихся»"),
        "{manifest}"
    );
    // Without the total the counts cannot be compared: the run stops and
    // says what to add.
    let data = town().file(
        "survey/survey_2025.csv",
        "Код ОО;Год;Количество обучающихся с ОВЗ\nsorsk2;2025;12\nsorsk3;2025;20\n",
    );
    let (ok, stderr) = data.run(&[]);
    assert!(!ok);
    assert!(
        stderr.contains("в анкете количества, а не доли: «Количество обучающихся с ОВЗ»")
            && stderr.contains("[shnsu.denominators]\n\"Количество обучающихся с ОВЗ\" = \"…\""),
        "{stderr}"
    );
}

#[test]
fn one_passport_file_per_school_names_the_school_in_its_file_name() {
    // «Показатель | Значение»: the school is in the file name, by its
    // registry name or its id.
    let data = town()
        .file(
            "survey/Паспорт ООШ №2 2025.csv",
            "Показатель;Значение\nДоля обучающихся с ОВЗ;0,28\nДоля обучающихся из многодетных семей;0,38\n",
        )
        .file(
            "survey/sorsk3 2025.csv",
            "Показатель;Значение\nДоля обучающихся с ОВЗ;0,001\nДоля обучающихся из многодетных семей;0,22\n",
        );
    let (ok, stderr) = data.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&data), ["sorsk2"]);
    assert!(
        stderr.contains("survey/Паспорт ООШ №2 2025.csv: паспорт одной школы, школа sorsk2 определена по «Паспорт ООШ №2 2025»"),
        "{stderr}"
    );
    assert_eq!(data.read_out("rejected.csv").lines().count(), 1);
    assert_eq!(data.read_out("school_indicators.csv").lines().count(), 5);
}
