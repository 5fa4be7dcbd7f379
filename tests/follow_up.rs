//! The follow-up of an earlier ШНОР list on purpose-built data: each status,
//! each reason for leaving, the exit rule, and the school-by-year table.

mod common;

use common::DataDir;

/// Two ВПР aggregate procedures (Russian, maths grade 5) of a school in a
/// year, each `failed` of `n`.
fn two(year: i32, school: &str, n: u32, failed: u32) -> String {
    ["русский язык", "математика"]
        .iter()
        .map(|s| format!("{year},ВПР,{s},5,{school},{n},{failed}\n"))
        .collect()
}

/// The earlier list of 2024 holds a, b, c, d, e and g; in 2025:
/// - a fails 10 of 20 twice: stays;
/// - b passes (1 of 20 twice) after failing in 2024: improved;
/// - c fails 5 of 9 twice: above the threshold, too few participants;
/// - d sat nothing in 2025: no results;
/// - e is an evening school, a kind the methodology excludes;
/// - g is gone from the registry;
/// - f, not on the earlier list, fails 10 of 20 twice: entered.
fn region(method: &str) -> DataDir {
    let mut results = String::from("year,assessment,subject,grade,school_id,participants,failed\n");
    for s in ["a", "b", "c", "d", "e", "f"] {
        results.push_str(&two(2024, s, 20, 10));
    }
    results.push_str(&two(2025, "a", 20, 10));
    results.push_str(&two(2025, "b", 20, 1));
    results.push_str(&two(2025, "c", 9, 5));
    results.push_str(&two(2025, "e", 20, 10));
    results.push_str(&two(2025, "f", 20, 10));
    DataDir::with_schools(
        "school_id,school_name,municipality,school_kind\n\
         a,СОШ А,Город,средняя\nb,СОШ Б,Город,средняя\nc,ООШ В,Город,основная\n\
         d,СОШ Г,Город,средняя\ne,Вечерняя Д,Город,вечерняя\nf,СОШ Е,Город,средняя\n",
    )
    .file("results/vpr.csv", results)
    .file(
        "previous-lists/lists_2024.csv",
        "school_id,year,list\na,2024,ШНОР\nb,2024,ШНОР\nc,2024,ШНОР\nd,2024,ШНОР\ne,2024,ШНОР\ng,2024,ШНОР\n",
    )
    .file(
        "method.toml",
        format!(
            "extends = \"federal-2025\"\nname = \"follow\"\n[shnor]\nexclude_school_kinds = [\"вечерняя\"]\n{method}"
        ),
    )
}

/// `school status reason` of each follow-up row.
fn statuses(data: &DataDir) -> Vec<String> {
    let text = data.read_out("follow_up.csv");
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = |c: &str| header.iter().position(|h| *h == c).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!(
                "{} {} {}",
                f[at("school_id")],
                f[at("follow_up_status")],
                f[at("leave_reason")]
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

fn run(data: &DataDir) {
    let method = data.root.join("method.toml");
    let (ok, stderr) = data.run(&["-m", method.to_str().unwrap()]);
    assert!(ok, "{stderr}");
}

#[test]
fn each_school_of_the_earlier_list_has_its_status_and_reason() {
    let data = region("");
    run(&data);
    assert_eq!(
        statuses(&data),
        [
            "a stays",
            "b left improved",
            "c left too_few_participants",
            "d left no_results",
            "e left excluded_kind",
            "f entered",
            "g left not_in_registry",
        ]
    );
    // Figures then and now: b failed 20 of 40 in 2024 and 2 of 40 in 2025.
    let follow = data.read_out("follow_up.csv");
    let b = follow.lines().find(|l| l.starts_with("2024,b,")).unwrap();
    assert!(b.contains(",40,0.500000,2,40,0.050000,0,"), "{b}");
    // One row per school and year, its lists that year (no ШНСУ list of
    // 2024 was given: not known, empty); no survey needed.
    let years = data.read_out("school_years.csv");
    assert!(
        years.contains("\nb,СОШ Б,Город,2024,2,40,20,0.500000,2,,,,,true,,"),
        "{years}"
    );
    assert!(
        years.contains("\nb,СОШ Б,Город,2025,2,40,2,0.050000,0,,,,,false,false,"),
        "{years}"
    );
    assert!(!years.contains("\nd,СОШ Г,Город,2025,"), "{years}");
}

#[test]
fn the_exit_rule_holds_a_school_until_it_has_been_below_the_line_long_enough() {
    // Two years in a row without a counting procedure: b has one (2025).
    let data = region("[history]\nexit_after_years = 2\n");
    run(&data);
    let said = statuses(&data);
    assert!(said.contains(&"b held improved".to_string()), "{said:?}");
    // A school that cannot show results is not held: it has left.
    assert!(said.contains(&"d left no_results".to_string()), "{said:?}");
}

#[test]
fn the_exit_rule_by_interval_holds_a_school_whose_interval_reaches_the_line() {
    // b: 1 of 20, Wilson's upper bound ≈ 24 % < 30 %: leaves.
    let data = region("[history]\nexit_upper_bound_below = true\n");
    run(&data);
    assert!(statuses(&data).contains(&"b left improved".to_string()));
    // 4 of 20 (upper bound ≈ 42 %) is below 30 % itself but not surely.
    let data = region("[history]\nexit_upper_bound_below = true\n").file("results/vpr.csv", {
        let mut r = String::from("year,assessment,subject,grade,school_id,participants,failed\n");
        r.push_str(&two(2024, "b", 20, 10));
        r.push_str(&two(2025, "b", 20, 4));
        r.push_str(&two(2025, "a", 20, 10));
        r
    });
    run(&data);
    assert!(
        statuses(&data).contains(&"b held improved".to_string()),
        "{:?}",
        statuses(&data)
    );
}

/// An earlier list may say a school left the status or was in the zone of
/// risk: such a row does not put the school on that year's list, and the
/// run says how many there were instead of stopping.
#[test]
fn an_earlier_list_with_a_status_column_is_read() {
    let data = region("").file(
        "previous-lists/lists_2024.csv",
        "school_id,year,list,Статус\na,2024,ШНОР,в статусе\nb,2024,ШНОР,вышла из статуса\n\
         c,2024,зона риска,\n",
    );
    let method = data.root.join("method.toml");
    let (ok, stderr) = data.run(&["-m", method.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("строк 2 со статусом «вышла из статуса» или «зона риска»"),
        "{stderr}"
    );
    assert_eq!(statuses(&data), ["a stays", "f entered"]);
}
