//! The HTML report: its structure on the sample region, and the page opened in
//! headless Chromium (installed by .ci/run; the test installs nothing) with a
//! screenshot kept under target/.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use common::{repo, run_sample};
use tempfile::TempDir;

fn report(out: &Path) -> String {
    run_sample(out, &["--report"]);
    fs::read_to_string(out.join("report.html")).unwrap()
}

fn data_rows(csv: &Path) -> usize {
    fs::read_to_string(csv).unwrap().lines().count() - 1
}

/// The `<tbody>` rows of the table with this id.
fn table_rows(html: &str, id: &str) -> usize {
    let start = html
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let end = start + html[start..].find("</table>").unwrap();
    let body = &html[start..end];
    let tbody = body.find("<tbody>").unwrap();
    body[tbody..].matches("<tr>").count()
}

#[test]
fn report_has_every_section_chart_and_list_row() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let html = report(&out);
    for section in [
        "methodology",
        "inputs",
        "headline",
        "charts",
        "lists",
        "objectivity",
        "follow-up",
        "levels",
        "risk-zone",
        "partners",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "section {section}"
        );
    }
    assert_eq!(
        table_rows(&html, "shnor-table"),
        data_rows(&out.join("shnor.csv"))
    );
    assert_eq!(
        table_rows(&html, "shnsu-table"),
        data_rows(&out.join("shnsu.csv"))
    );
    // Each ШНСУ school's risk profile, a cell per factor with its level.
    assert_eq!(
        table_rows(&html, "profiles-table"),
        data_rows(&out.join("shnsu.csv"))
    );
    assert!(html.contains("<td class=\"level high\">высокий риск ("));
    assert_eq!(
        table_rows(&html, "municipalities-table"),
        data_rows(&out.join("municipalities.csv"))
    );
    for chart in [
        "chart-distribution-1",
        "chart-context",
        "chart-municipalities",
        "chart-transitions",
    ] {
        assert!(
            html.contains(&format!("<svg id=\"{chart}\"")),
            "chart {chart}"
        );
    }
    // Objectivity: the current year's flagged rows, the municipal index, and
    // one interval chart per procedure checked (maths grades 4 and 5), a
    // line per school, the planted inflated school in red.
    let objectivity = std::fs::read_to_string(out.join("objectivity.csv")).unwrap();
    let flagged_now = objectivity
        .lines()
        .filter(|l| l.contains(",2025,") && l.contains(",true,"))
        .count();
    assert_eq!(table_rows(&html, "objectivity-table"), flagged_now);
    assert_eq!(table_rows(&html, "objectivity-municipalities"), 8);
    assert!(html.contains("Объективность результатов, 2025"));
    for (i, lines) in [(0, 24), (1, 24)] {
        let start = html.find(&format!("<svg id=\"intervals-{i}\"")).unwrap();
        let chart = &html[start..start + html[start..].find("</svg>").unwrap()];
        assert_eq!(chart.matches("<line x1").count() - 2, lines, "chart {i}");
        assert!(chart.contains("class=\"band\""));
    }
    assert!(html.contains("class=\"ci hot\"><title>edu010002 "));
    // By level of education: the region and each municipality, three levels.
    assert_eq!(
        table_rows(&html, "levels-table"),
        data_rows(&out.join("levels.csv"))
    );
    assert_eq!(data_rows(&out.join("levels.csv")), 27);
    assert!(html.contains("<td>Регион</td><td>НОО (1–4 классы)</td>"));
    // The zone of risk and the partners: a row per school of their tables;
    // the rules' words among the assumptions, with their numbers.
    assert_eq!(
        table_rows(&html, "risk-zone-table"),
        data_rows(&out.join("risk_zone.csv"))
    );
    assert_eq!(
        table_rows(&html, "partners-table"),
        data_rows(&out.join("partners.csv"))
    );
    assert!(html.contains("<li>Зона риска (под наблюдением, не в списке ШНОР"));
    assert!(html.contains("ниже порога не более чем на 5 п. п."));
    assert!(html.contains("<li>Стабильно высокие результаты — в каждом из 2 последних лет"));
    assert!(html.contains("<td>edu990003</td><td>МКОУ «СОШ № 903» (малочисленная)</td>"));
    // The follow-up of the latest earlier list (2024): a row per school of
    // follow_up.csv for that year, statuses and reasons in Russian.
    let follow_up = std::fs::read_to_string(out.join("follow_up.csv")).unwrap();
    let of_2024 = follow_up.lines().filter(|l| l.starts_with("2024,")).count();
    assert_eq!(table_rows(&html, "follow-up-table"), of_2024);
    assert!(html.contains("<td>вышла</td><td>слишком мало участников</td>"));
    // One histogram per assessment × subject of the current year, each with
    // the threshold line.
    let histograms = html.matches("<svg id=\"chart-distribution-").count();
    assert_eq!(histograms, 7);
    assert_eq!(html.matches("порог 30 %").count(), histograms);
    // The context scatter has a point per school with results and a score.
    let scatter_start = html.find("<svg id=\"chart-context\"").unwrap();
    let scatter =
        &html[scatter_start..scatter_start + html[scatter_start..].find("</svg>").unwrap()];
    assert!(scatter.matches("<circle").count() > 150);
    assert!(scatter.contains("class=\"pt resilient\""));
    // Self-contained: nothing fetched from the network.
    assert!(
        !html.contains("http://")
            || html.matches("http://").count()
                == html.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(!html.contains("https://"));
    assert!(html.contains("<html lang=\"ru\">"));
}

#[test]
fn report_opens_in_headless_chromium_without_errors() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("Debian's chromium is needed for this test: .ci/run installs it (apt-get install chromium)");
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    report(&out);
    let url = format!("file://{}", out.join("report.html").display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ];
    let profile = tmp.path().join("profile");
    // The page's script marks the body when it ran to the end without error.
    let dom = Process::new(chromium)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish"
    );
    let screenshot = repo().join("target/report-screenshot.png");
    fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let _ = fs::remove_file(&screenshot);
    let shot = Process::new(chromium)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1200,2400")
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "screenshot too small: {}",
        png.len()
    );
}
