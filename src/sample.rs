//! `shnor sample`: a synthetic region with the character of real exports,
//! deterministic for a seed. Regular schools are drawn from a simple model
//! (social disadvantage and school quality drive failure rates and survey
//! indicators); on top come planted schools that sit exactly on the rule's
//! boundaries (see sample-data/README.md), and a few broken rows that a real
//! export would have.
//!
//! Files written, each in a dialect analysts receive:
//! - `schools.csv` — UTF-8, `,`;
//! - `results/vpr_YEAR.csv` — ВПР school aggregates (ФИС ОКО style),
//!   UTF-8 with BOM, `;`, decimal-comma `fail_percent`;
//! - `results/oge_YEAR.csv` — ОГЭ school aggregates with `failed` counts, UTF-8, `,`;
//! - `results/ege_YEAR.csv` — ЕГЭ student rows (score, and mark for base
//!   maths), Windows-1251, `;`;
//! - `survey/survey_YEAR.csv` — social passports for the last two years, UTF-8, `,`;
//! - `previous-lists/lists_YEAR.csv` — earlier "published" lists.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Normal};

const MUNICIPALITIES: [&str; 8] = [
    "Северный район",
    "Южный район",
    "Заречный округ",
    "Лесной район",
    "Город Приморск",
    "Город Сосновск",
    "Степной район",
    "Озёрный округ",
];

const VILLAGES: [&str; 12] = [
    "Берёзовка",
    "Михайловка",
    "Ключи",
    "Сосновка",
    "Покровка",
    "Луговое",
    "Первомайское",
    "Заречье",
    "Каменка",
    "Ивановка",
    "Орловка",
    "Красный Яр",
];

const VPR_SUBJECTS: [&str; 2] = ["русский язык", "математика"];
const VPR_GRADES: [i32; 4] = [4, 5, 6, 7];
/// The first regular schools, whose ВПР maths of grades 4 and 5 in the last
/// two years come as ФИС ОКО protocols with journal marks (the objectivity
/// signs need scores), not as aggregates.
const PROTOCOL_SCHOOLS: usize = 24;
const PROTOCOL_GRADES: [i32; 2] = [4, 5];
const OGE_SUBJECTS: [&str; 2] = ["Русский язык", "Математика"];
/// ЕГЭ subjects as the exports spell them, with the attestat minimum score
/// (None: the subject is marked, not scored).
const EGE_SUBJECTS: [(&str, Option<i32>); 3] = [
    ("Русский язык", Some(24)),
    ("Математика профильного уровня", Some(27)),
    ("Математика (базовая)", None),
];

const INDICATORS: [&str; 8] = [
    "ovz_share",
    "disabled_share",
    "registered_share",
    "large_family_share",
    "single_parent_share",
    "unemployed_parents_share",
    "non_native_russian_share",
    "parents_higher_ed_share",
];

struct School {
    id: String,
    name: String,
    municipality: String,
    rural: bool,
    kind: &'static str,
    has_senior: bool,
    /// Social disadvantage (higher = worse conditions).
    disadvantage: f64,
    /// Teaching quality (higher = better results).
    quality: f64,
    /// Pupils per grade.
    cohort: f64,
}

/// Collects the text of every file before anything is written.
#[derive(Default)]
struct Files {
    entries: Vec<(String, Vec<u8>)>,
}

impl Files {
    fn add(&mut self, path: &str, bytes: Vec<u8>) {
        self.entries.push((path.to_string(), bytes));
    }
}

/// Writes a synthetic region into `out` (replacing it).
pub fn generate(out: &Path, schools: usize, years: &[i32], seed: u64) -> Result<()> {
    if years.is_empty() {
        bail!("give at least one year (--years 2023,2024,2025)");
    }
    let mut years = years.to_vec();
    years.sort_unstable();
    years.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let regular = regular_schools(&mut rng, schools);
    let mut files = Files::default();
    files.add("schools.csv", schools_csv(&regular));
    let mut held = Vec::new();
    for (index, &year) in years.iter().enumerate() {
        let year_noise: Vec<f64> = regular
            .iter()
            .map(|_| normal(&mut rng, 0.0, 0.35))
            .collect();
        let (vpr, protocols) = vpr_csv(
            &mut rng,
            &regular,
            &year_noise,
            year,
            planted_vpr(year, &years),
            index + 2 >= years.len(),
        );
        held.extend(protocols);
        files.add(&format!("results/vpr_{year}.csv"), with_bom(vpr));
        files.add(
            &format!("results/oge_{year}.csv"),
            oge_csv(&mut rng, &regular, &year_noise, year).into_bytes(),
        );
        let ege = ege_csv(
            &mut rng,
            &regular,
            &year_noise,
            year,
            index + 1 == years.len(),
        );
        let (ege, _, _) = encoding_rs::WINDOWS_1251.encode(&ege);
        files.add(&format!("results/ege_{year}.csv"), ege.into_owned());
    }
    for &year in years.iter().rev().take(2) {
        files.add(
            &format!("survey/survey_{year}.csv"),
            // The current year's passport in a municipality's own wording.
            survey_csv(&mut rng, &regular, year, Some(&year) == years.last()).into_bytes(),
        );
    }
    for (offset, &year) in years.iter().rev().skip(1).take(2).enumerate() {
        files.add(
            &format!("previous-lists/lists_{year}.csv"),
            previous_list_csv(&regular, year, offset).into_bytes(),
        );
    }
    let protocol_year = years[0] - 1;
    files.add(
        &format!(
            "results/fisoko/Проведение работы по окружающему миру, 4 класс. ВПР {protocol_year}.xlsx"
        ),
        fisoko_protocol(&regular, seed)?,
    );
    files.add(
        &format!("results/rcoi/ОГЭ {protocol_year} обществознание.csv"),
        rcoi_statement(&regular, seed),
    );
    for (year, grade) in sittings_of(&held) {
        files.add(
            &format!(
                "results/fisoko/Проведение работы по математике, {grade} класс. ВПР {year}.xlsx"
            ),
            maths_protocol(
                &regular,
                &held,
                (year, grade),
                *years.last().expect("a year"),
                seed,
            )?,
        );
    }
    write_folder(out, files)
}

/// A procedure of a regular school (by index) held back from the aggregates.
struct Held {
    school: usize,
    year: i32,
    grade: i32,
    participants: u64,
    failed: u64,
}

/// The (year, grade) of the protocols to write, in order.
fn sittings_of(held: &[Held]) -> Vec<(i32, i32)> {
    let mut keys: Vec<(i32, i32)> = held.iter().map(|h| (h.year, h.grade)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// How a protocol school's results are planted (by its index among the
/// regular schools): the objectivity signs the sample shows.
#[derive(Clone, Copy, PartialEq)]
enum Bias {
    None,
    /// Every pupil who passes scores 19–20: an inflated mean.
    Inflated,
    /// The journal says the opposite of the scores.
    Reversed,
    /// Top scores in grade 4 the year before, just above the line in grade 5
    /// now: a sharp fall of one class.
    CohortFall,
}

fn bias(school: usize, year: i32, grade: i32, current: i32) -> Bias {
    match (school, year == current, grade) {
        (1, true, 4) => Bias::Inflated,
        (2, true, _) => Bias::Reversed,
        (3, false, 4) | (3, true, 5) => Bias::CohortFall,
        _ => Bias::None,
    }
}

/// The 2021–2022 scales of ВПР maths: the highest score of a «2», «3», «4»
/// (of 20).
fn maths_scale(grade: i32) -> [u32; 3] {
    if grade == 4 { [5, 9, 14] } else { [6, 10, 14] }
}

/// One pupil's (journal mark, score): failing pupils score up to the «2»
/// line, the rest above it as the school's quality gives; the journal mark
/// is the scale's mark, now and then one off.
fn pupil(
    rng: &mut ChaCha8Rng,
    school: &School,
    failing: bool,
    scale: [u32; 3],
    bias: Bias,
    current: bool,
) -> (u32, u32) {
    let score = match (failing, bias) {
        (true, _) => rng.random_range(1..=scale[0]),
        (false, Bias::Inflated) => rng.random_range(19..=20),
        (false, Bias::CohortFall) if !current => rng.random_range(18..=20),
        (false, Bias::CohortFall) => rng.random_range(scale[0] + 1..=scale[0] + 3),
        (false, _) => {
            (normal(rng, 11.0 + 1.5 * school.quality, 3.5).round() as u32).clamp(scale[0] + 1, 20)
        }
    };
    let mark = 2 + scale.iter().filter(|b| score > **b).count() as u32;
    let journal = match bias {
        Bias::Reversed => 7 - mark,
        Bias::CohortFall => mark.max(3),
        _ if rng.random_bool(0.25) => (mark + 1).min(5),
        _ => mark.max(3),
    };
    (journal, score)
}

/// A ФИС ОКО protocol of ВПР maths for one (year, grade): the held
/// procedures' participants with the same number failing, a total score and
/// a journal mark each, no mark (the scale gives it).
fn maths_protocol(
    regular: &[School],
    held: &[Held],
    (year, grade): (i32, i32),
    current: i32,
    seed: u64,
) -> Result<Vec<u8>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x3a7c_0000 ^ (year as u64 * 16 + grade as u64));
    let mut rows = Vec::new();
    for h in held.iter().filter(|h| (h.year, h.grade) == (year, grade)) {
        let school = &regular[h.school];
        let planted = bias(h.school, year, grade, current);
        for n in 0..h.participants {
            let (journal, score) = pupil(
                &mut rng,
                school,
                n < h.failed,
                maths_scale(grade),
                planted,
                year == current,
            );
            rows.push(ProtocolRow {
                school: &school.id,
                journal,
                total: Some(score),
            });
        }
    }
    protocol_workbook(&rows)
}

/// A participant's row of a ФИС ОКО protocol; no total: absent.
struct ProtocolRow<'a> {
    school: &'a str,
    journal: u32,
    total: Option<u32>,
}

/// A ФИС ОКО protocol workbook (the 2021 export layout) of `rows`, numbered
/// within each school.
fn protocol_workbook(rows: &[ProtocolRow]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = workbook.add_worksheet();
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
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let mut number = 0u32;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        number = if i > 0 && rows[i - 1].school == r.school {
            number + 1
        } else {
            0
        };
        sheet.write_string(row, 0, r.school)?;
        sheet.write_string(row, 1, "Учебный регион")?;
        sheet.write_number(row, 2, f64::from(number + 1))?;
        sheet.write_number(row, 3, f64::from(40_001 + number))?;
        sheet.write_number(row, 4, f64::from(r.journal))?;
        sheet.write_string(row, 5, if number.is_multiple_of(2) { "ж" } else { "м" })?;
        sheet.write_string(row, 6, "а")?;
        match r.total {
            None => {
                sheet.write_string(row, 7, "отсутствовал")?;
            }
            Some(total) => {
                sheet.write_number(row, 7, f64::from(1 + number % 2))?;
                sheet.write_number(row, 8, f64::from(total))?;
                sheet.write_number(row, 9, 2.0)?;
                sheet.write_string(row, 10, "X")?;
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// A РЦОИ statement of ОГЭ results as regions receive it: `;`-separated,
/// Windows-1251, lower-case headers, the participants' names and documents
/// (synthetic here), short answers as `+`/`-` and long ones as `1(2)0(3)`,
/// the primary score and the mark. Обществознание, the year before the
/// others: read with no adapter, names and documents dropped at read; it
/// adds procedures and changes no list.
fn rcoi_statement(regular: &[School], seed: u64) -> Vec<u8> {
    const SURNAMES: [&str; 5] = ["Иванова", "Петров", "Сидорова", "Кузнецов", "Смирнова"];
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0e6c_01a1);
    let mut text = String::from(
        "код мсу;код оо;класс;код ппэ;аудитория;фамилия;имя;отчество;серия документа;\
         номер документа;задания с кратким ответом;задания с развёрнутым ответом;\
         первичный балл;оценка\r\n",
    );
    for (s, school) in regular.iter().take(8).enumerate() {
        for n in 0..11usize {
            let score: u32 = rng.random_range(8..=37);
            // The 2024 scale of обществознание: «2» up to 13 points.
            let mark = match score {
                0..=13 => 2,
                14..=23 => 3,
                24..=31 => 4,
                _ => 5,
            };
            text.push_str(&format!(
                "{:02};{};9А;{:04};{:04};{};Учащийся;Условный;0000;{:06};++-+-+;1(2)0(3);{score};{mark}\r\n",
                s + 1,
                school.id,
                100 + s,
                n + 1,
                SURNAMES[n % SURNAMES.len()],
                s * 100 + n,
            ));
        }
    }
    encoding_rs::WINDOWS_1251.encode(&text).0.into_owned()
}

/// A ФИС ОКО protocol as downloaded (the 2021 export layout): one row per
/// participant with the school login, the total primary score and no mark,
/// the class letter, the journal mark, and «отсутствовал» for the absent.
/// Окружающий мир, grade 4, the year before the others: it is read with no
/// adapter and shows in `procedures`, but changes no list. Its own random
/// numbers leave every other file as it was.
fn fisoko_protocol(regular: &[School], seed: u64) -> Result<Vec<u8>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05f1_50c0);
    let mut rows = Vec::new();
    for school in regular.iter().take(12) {
        for n in 0..12u32 {
            let journal = rng.random_range(3..=5u32);
            // «2» is up to 7 points: one participant in twelve.
            let total = match n {
                11 => None,
                0 => Some(6),
                _ => Some(rng.random_range(12..=30u32)),
            };
            rows.push(ProtocolRow {
                school: &school.id,
                journal,
                total,
            });
        }
    }
    protocol_workbook(&rows)
}

fn write_folder(out: &Path, files: Files) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out)
            .with_context(|| format!("не удалось заменить {}", out.display()))?;
    }
    for (path, bytes) in files.entries {
        let full = out.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, bytes)
            .with_context(|| format!("не удалось записать {}", full.display()))?;
    }
    std::fs::write(out.join("README.md"), SAMPLE_README)?;
    Ok(())
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    Normal::new(mean, sd).expect("valid normal").sample(rng)
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    Binomial::new(n, p.clamp(0.0, 1.0))
        .expect("valid binomial")
        .sample(rng)
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// About how many schools a generated municipality holds. Real municipalities hold tens
/// of schools; work done per municipality (partner search) must be measured on that
/// shape, not on eight municipalities of five thousand schools each.
const SCHOOLS_PER_MUNICIPALITY: usize = 40;

/// How many municipalities `count` schools are spread over: the eight names for a
/// region-sized sample (the bundled one keeps exactly these), then more in steps of eight.
fn municipality_count(count: usize) -> usize {
    let wanted = count.div_ceil(SCHOOLS_PER_MUNICIPALITY);
    wanted.div_ceil(MUNICIPALITIES.len()).max(1) * MUNICIPALITIES.len()
}

/// The name of municipality `m`: the eight names, then the same names numbered.
fn municipality_name(m: usize) -> String {
    let base = MUNICIPALITIES[m % MUNICIPALITIES.len()];
    match m / MUNICIPALITIES.len() {
        0 => base.to_string(),
        round => format!("{base} № {}", round + 1),
    }
}

fn regular_schools(rng: &mut ChaCha8Rng, count: usize) -> Vec<School> {
    let municipalities = municipality_count(count);
    (0..count)
        .map(|i| {
            let municipality = municipality_name(i % municipalities);
            let urban_municipality = municipality.starts_with("Город");
            let rural = !urban_municipality && rng.random_bool(0.7);
            let disadvantage = normal(rng, if rural { 0.5 } else { -0.3 }, 0.9);
            let quality = normal(rng, 0.0, 1.0);
            let roll: f64 = rng.random();
            let (kind, has_senior) = match (rural, roll) {
                (_, r) if r < 0.03 => ("вечерняя", true),
                (false, r) if r < 0.15 => ("гимназия", true),
                (false, r) if r < 0.22 => ("лицей", true),
                (true, r) if r < 0.45 => ("основная", false),
                _ => ("средняя", true),
            };
            let cohort = if rural {
                rng.random_range(4.0..16.0)
            } else {
                rng.random_range(18.0..70.0)
            };
            let number = i + 1;
            // One village name per municipality, numbered when it repeats,
            // as in a real registry.
            let village = VILLAGES[(i / municipalities) % VILLAGES.len()];
            let round = i / (municipalities * VILLAGES.len());
            let repeat = if round > 0 {
                format!(" № {}", round + 1)
            } else {
                String::new()
            };
            let name = match kind {
                "гимназия" => format!("МБОУ «Гимназия № {number}»"),
                "лицей" => format!("МАОУ «Лицей № {number}»"),
                "вечерняя" => format!("МКОУ «Вечерняя (сменная) школа № {number}»"),
                "основная" => format!("МКОУ «ООШ{} с. {village}»", repeat),
                _ if rural => format!("МКОУ «СОШ{} с. {village}»", repeat),
                _ => format!("МБОУ «СОШ № {number}»"),
            };
            School {
                id: format!("edu{:06}", 10000 + number),
                name,
                municipality,
                rural,
                kind,
                has_senior,
                disadvantage,
                // Selective schools recruit stronger pupils.
                quality: quality
                    + if matches!(kind, "гимназия" | "лицей") {
                        1.0
                    } else {
                        0.0
                    },
                cohort,
            }
        })
        .collect()
}

/// A failure probability from the school's conditions, quality and the year.
fn fail_probability(school: &School, base: f64, noise: f64) -> f64 {
    logistic(base + 0.7 * school.disadvantage - 0.9 * school.quality + noise)
}

fn participants(rng: &mut ChaCha8Rng, school: &School) -> u64 {
    let n = normal(rng, school.cohort, school.cohort * 0.15).round();
    n.max(1.0) as u64
}

fn schools_csv(regular: &[School]) -> Vec<u8> {
    let mut text = String::from("school_id,school_name,municipality,settlement_type,school_kind\n");
    for s in regular {
        let settlement = if s.rural { "rural" } else { "urban" };
        writeln!(
            text,
            "{},\"{}\",{},{settlement},{}",
            s.id, s.name, s.municipality, s.kind
        )
        .unwrap();
    }
    for p in PLANTED {
        writeln!(
            text,
            "{},\"{}\",{},urban,средняя",
            p.id, p.name, MUNICIPALITIES[4]
        )
        .unwrap();
    }
    text.into_bytes()
}

fn with_bom(text: String) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(text.into_bytes());
    bytes
}

fn decimal_comma(value: f64, digits: usize) -> String {
    format!("{value:.digits$}").replace('.', ",")
}

/// The ВПР aggregates of a year, and the procedures of `protocol_schools`
/// held back from them (maths, grades 4 and 5, when `with_protocols`): those
/// are written as ФИС ОКО protocols with the same counts, so the lists do
/// not change.
fn vpr_csv(
    rng: &mut ChaCha8Rng,
    regular: &[School],
    noise: &[f64],
    year: i32,
    planted: Vec<PlantedRow>,
    with_protocols: bool,
) -> (String, Vec<Held>) {
    let mut text =
        String::from("year;assessment;subject;grade;school_id;participants;fail_percent\n");
    let mut held = Vec::new();
    for (i, (s, noise)) in regular.iter().zip(noise).enumerate() {
        for subject in VPR_SUBJECTS {
            for grade in VPR_GRADES {
                let n = participants(rng, s);
                let failed = binomial(rng, n, fail_probability(s, -2.6, *noise));
                if with_protocols
                    && i < PROTOCOL_SCHOOLS
                    && subject == "математика"
                    && PROTOCOL_GRADES.contains(&grade)
                {
                    held.push(Held {
                        school: i,
                        year,
                        grade,
                        participants: n,
                        failed,
                    });
                    continue;
                }
                let percent = 100.0 * failed as f64 / n as f64;
                writeln!(
                    text,
                    "{year};ВПР;{subject};{grade};{};{n};{}",
                    s.id,
                    decimal_comma(percent, 2)
                )
                .unwrap();
            }
        }
    }
    for row in planted {
        let percent = 100.0 * row.failed as f64 / row.participants as f64;
        writeln!(
            text,
            "{year};ВПР;{};{};{};{};{}",
            row.subject,
            row.grade,
            row.school,
            row.participants,
            decimal_comma(percent, 2)
        )
        .unwrap();
    }
    (text, held)
}

fn oge_csv(rng: &mut ChaCha8Rng, regular: &[School], noise: &[f64], year: i32) -> String {
    let mut text = String::from("year,assessment,subject,grade,school_id,participants,failed\n");
    for (s, noise) in regular.iter().zip(noise) {
        for subject in OGE_SUBJECTS {
            let n = participants(rng, s);
            let failed = binomial(rng, n, fail_probability(s, -3.0, *noise));
            writeln!(text, "{year},OGE,{subject},9,{},{n},{failed}", s.id).unwrap();
        }
    }
    text
}

fn ege_csv(
    rng: &mut ChaCha8Rng,
    regular: &[School],
    noise: &[f64],
    year: i32,
    current: bool,
) -> String {
    let mut text =
        String::from("year;assessment;subject;grade;school_id;participant_id;score;mark\n");
    let mut participant = 0u32;
    let mut row =
        |text: &mut String, subject: &str, school: &str, score: Option<i32>, mark: Option<i32>| {
            participant += 1;
            let score = score.map(|s| s.to_string()).unwrap_or_default();
            let mark = mark.map(|m| m.to_string()).unwrap_or_default();
            writeln!(
                text,
                "{year};ЕГЭ;{subject};11;{school};P{year}{participant:06};{score};{mark}"
            )
            .unwrap();
        };
    for (s, noise) in regular.iter().zip(noise).filter(|(s, _)| s.has_senior) {
        let n = (participants(rng, s) as f64 * 0.3).round().max(1.0) as u64;
        for (subject, minimum) in EGE_SUBJECTS {
            for _ in 0..n {
                let p = fail_probability(s, -3.2, *noise);
                let fails = rng.random_bool(p);
                match minimum {
                    Some(min) => {
                        let score = if fails {
                            rng.random_range((min / 2)..min)
                        } else {
                            rng.random_range(min..=100)
                        };
                        row(&mut text, subject, &s.id, Some(score), None);
                    }
                    None => {
                        let mark = if fails { 2 } else { rng.random_range(3..=5) };
                        row(&mut text, subject, &s.id, None, Some(mark));
                    }
                }
            }
        }
    }
    if current {
        // The ЕГЭ boundary school: 2 of 10 below the minimum, 2 exactly on it.
        for score in [23, 23, 24, 24, 50, 60, 70, 71, 72, 80] {
            row(&mut text, "Русский язык", "edu990007", Some(score), None);
        }
        // Rows a real export would carry: they must land in rejected.csv.
        row(&mut text, "Русский язык", "edu999999", Some(60), None);
        row(
            &mut text,
            "Математика (базовая)",
            "edu990007",
            None,
            Some(7),
        );
        writeln!(
            text,
            "{year};ЕГЭ;Русский язык;11;edu990007;P{year}999999;н/я;"
        )
        .unwrap();
        writeln!(text, "{year};ЕГЭ;Физика;11;edu990007;P{year}999998;55;").unwrap();
    }
    text
}

/// The passport wordings of the sample's indicators, as a municipal
/// passport writes them (each is recognised by the indicator dictionary).
const RUSSIAN_HEADERS: [&str; 8] = [
    "Доля обучающихся с ограниченными возможностями здоровья",
    "Доля обучающихся, являющихся детьми-инвалидами",
    "Доля обучающихся, состоящих на внутришкольном и других видах учета (ОДН, КДН и ЗП)",
    "Доля обучающихся, воспитывающихся в многодетных семьях",
    "Доля обучающихся, воспитывающихся в неполных семьях",
    "Доля обучающихся, воспитывающихся в семьях, где оба родителя являются безработными",
    "Доля обучающихся, для которых русский язык не является родным",
    "Доля обучающихся из семей, где оба родителя имеют высшее образование",
];

/// A survey file: English column names, or (`russian`) the passport's own
/// wordings with `;` and decimal commas, as a municipality sends it.
fn survey_csv(rng: &mut ChaCha8Rng, regular: &[School], year: i32, russian: bool) -> String {
    let (sep, headers): (&str, &[&str]) = if russian {
        (";", &RUSSIAN_HEADERS)
    } else {
        (",", &INDICATORS)
    };
    let number = |v: f64| {
        let text = format!("{v:.3}");
        if russian {
            text.replace('.', ",")
        } else {
            text
        }
    };
    let key = if russian {
        "Код ОО;Год"
    } else {
        "school_id,year"
    };
    let mut text = format!("{key}{sep}{}\n", headers.join(sep));
    for s in regular {
        let values: Vec<String> = INDICATORS
            .iter()
            .enumerate()
            .map(|(i, name)| number(indicator_value(rng, i, name, s)))
            .collect();
        writeln!(text, "{}{sep}{year}{sep}{}", s.id, values.join(sep)).unwrap();
    }
    for p in PLANTED.iter().filter(|p| p.id != "edu990008") {
        let mut values: Vec<String> = INDICATORS.iter().map(|_| number(0.1)).collect();
        if p.id == "edu990009" {
            // Missing indicators: the score uses the ones present.
            values[0].clear();
            values[3].clear();
        }
        writeln!(text, "{}{sep}{year}{sep}{}", p.id, values.join(sep)).unwrap();
    }
    text
}

/// An earlier "published" list: the schools the model makes weakest (ШНОР)
/// and most disadvantaged (ШНСУ), shifted a little per year so that some
/// schools stay, some enter and some leave.
fn previous_list_csv(regular: &[School], year: i32, offset: usize) -> String {
    let mut by_results: Vec<&School> = regular.iter().collect();
    by_results.sort_by(|a, b| {
        let weakness = |s: &School| 0.7 * s.disadvantage - 0.9 * s.quality;
        weakness(b).total_cmp(&weakness(a)).then(a.id.cmp(&b.id))
    });
    let mut by_conditions: Vec<&School> = regular.iter().collect();
    by_conditions.sort_by(|a, b| {
        b.disadvantage
            .total_cmp(&a.disadvantage)
            .then(a.id.cmp(&b.id))
    });
    let mut text = String::from("school_id,year,list\n");
    for s in by_results.iter().skip(offset * 3).take(20) {
        writeln!(text, "{},{year},ШНОР", s.id).unwrap();
    }
    if offset == 0 {
        writeln!(text, "edu990004,{year},ШНОР").unwrap();
        writeln!(text, "edu990002,{year},ШНОР").unwrap();
    }
    for s in by_conditions.iter().skip(offset * 4).take(20) {
        writeln!(text, "{},{year},ШНСУ", s.id).unwrap();
    }
    text
}

/// A survey indicator of a school: a base share moved by its disadvantage
/// (down for the protective higher-education share), plus noise.
fn indicator_value(rng: &mut ChaCha8Rng, index: usize, name: &str, school: &School) -> f64 {
    let (base, slope) = match name {
        "parents_higher_ed_share" => (0.35, -0.12),
        "ovz_share" => (0.08, 0.04),
        "non_native_russian_share" => (0.03, 0.02),
        _ => (0.10 + 0.01 * index as f64, 0.05),
    };
    (base + slope * school.disadvantage + normal(rng, 0.0, 0.03)).clamp(0.0, 1.0)
}

struct Planted {
    id: &'static str,
    name: &'static str,
}

/// Schools placed exactly on the rule's boundaries; sample-data/README.md
/// says what each one is for.
const PLANTED: [Planted; 9] = [
    Planted {
        id: "edu990001",
        name: "МБОУ «СОШ № 901» (ровно 30 %)",
    },
    Planted {
        id: "edu990002",
        name: "МБОУ «СОШ № 902» (28,6 %, ниже порога)",
    },
    Planted {
        id: "edu990003",
        name: "МКОУ «СОШ № 903» (малочисленная)",
    },
    Planted {
        id: "edu990004",
        name: "МБОУ «СОШ № 904» (повтор процедуры)",
    },
    Planted {
        id: "edu990005",
        name: "МБОУ «СОШ № 905» (две процедуры в текущем году)",
    },
    Planted {
        id: "edu990006",
        name: "МБОУ «СОШ № 906» (оба условия)",
    },
    Planted {
        id: "edu990007",
        name: "МБОУ «СОШ № 907» (ЕГЭ на минимальном балле)",
    },
    Planted {
        id: "edu990008",
        name: "МБОУ «СОШ № 908» (нет анкеты)",
    },
    Planted {
        id: "edu990009",
        name: "МБОУ «СОШ № 909» (пропуски в анкете)",
    },
];

struct PlantedRow {
    school: &'static str,
    subject: &'static str,
    grade: i32,
    participants: u64,
    failed: u64,
}

fn planted_row(
    school: &'static str,
    subject: &'static str,
    grade: i32,
    failed: u64,
    participants: u64,
) -> PlantedRow {
    PlantedRow {
        school,
        subject,
        grade,
        participants,
        failed,
    }
}

/// ВПР rows of the planted schools for `year`: the last year is "current",
/// the one before "previous"; earlier years are clean.
fn planted_vpr(year: i32, years: &[i32]) -> Vec<PlantedRow> {
    let last = years[years.len() - 1];
    let previous = years.len().checked_sub(2).map(|i| years[i]);
    let clean = |school| {
        vec![
            planted_row(school, "русский язык", 5, 1, 20),
            planted_row(school, "математика", 5, 1, 20),
        ]
    };
    let ids = [
        "edu990001",
        "edu990002",
        "edu990003",
        "edu990004",
        "edu990005",
        "edu990006",
        "edu990007",
        "edu990008",
        "edu990009",
    ];
    let mut rows = Vec::new();
    for id in ids {
        let current = year == last;
        let is_previous = Some(year) == previous;
        let mut school_rows = match (id, current, is_previous) {
            // Exactly 30 % twice in the current year: counts (3 of 10, 6 of 20).
            ("edu990001", true, _) => vec![
                planted_row(id, "русский язык", 5, 3, 10),
                planted_row(id, "математика", 5, 6, 20),
            ],
            // 28.6 % twice (6 of 21): below the threshold.
            ("edu990002", true, _) | ("edu990002", _, true) => vec![
                planted_row(id, "русский язык", 5, 6, 21),
                planted_row(id, "математика", 5, 6, 21),
            ],
            // 5 of 9 twice: far above 30 %, but fewer than 10 participants.
            ("edu990003", true, _) | ("edu990003", _, true) => vec![
                planted_row(id, "русский язык", 5, 5, 9),
                planted_row(id, "математика", 5, 5, 9),
            ],
            // The same procedure above 30 % in both years, one procedure per year.
            ("edu990004", true, _) | ("edu990004", _, true) => vec![
                planted_row(id, "русский язык", 6, 8, 20),
                planted_row(id, "математика", 6, 2, 20),
            ],
            // Two procedures in the current year, clean the year before.
            ("edu990005", true, _) => vec![
                planted_row(id, "русский язык", 7, 7, 20),
                planted_row(id, "математика", 7, 9, 20),
            ],
            // Both conditions: two procedures now, one of them repeated.
            ("edu990006", true, _) => vec![
                planted_row(id, "русский язык", 4, 7, 20),
                planted_row(id, "математика", 4, 9, 20),
            ],
            ("edu990006", _, true) => vec![
                planted_row(id, "русский язык", 4, 8, 20),
                planted_row(id, "математика", 4, 1, 20),
            ],
            // One counting ВПР procedure; its ЕГЭ Russian (2 of 10 below the
            // minimum, 2 exactly on it) must not count as a second one.
            ("edu990007", true, _) => vec![
                planted_row(id, "русский язык", 5, 4, 10),
                planted_row(id, "математика", 5, 1, 20),
            ],
            _ => clean(id),
        };
        rows.append(&mut school_rows);
    }
    rows
}

const SAMPLE_README: &str = "# sample-data: a synthetic region

Generated by `shnor sample` (see `src/sample.rs`); do not edit by hand:
`cargo run -- sample --out sample-data` writes the same bytes again, and a
test checks that it does.

- `schools.csv` — the registry (UTF-8, `,`).
- `results/vpr_YEAR.csv` — ВПР school aggregates as ФИС ОКО gives them
  (UTF-8 with BOM, `;`, `fail_percent` with a decimal comma).
- `results/oge_YEAR.csv` — ОГЭ school aggregates with `failed` counts
  (UTF-8, `,`, assessment spelled `OGE`).
- `results/ege_YEAR.csv` — ЕГЭ student rows (Windows-1251, `;`): scores for
  Russian and profile maths, marks for base maths.
- `survey/survey_YEAR.csv` — social passports of the last two years; the current year's
  file is written as a municipality sends it: the passport's own Russian wordings as
  headers («Доля обучающихся, воспитывающихся в многодетных семьях»), `;` and decimal
  commas, read through the indicator dictionary.
- `previous-lists/lists_YEAR.csv` — the published-style ШНОР and ШНСУ lists of
  the two years before the last (for repeat listings and transitions).

Regular schools (`edu0100xx`…) come from a model in which social
disadvantage raises and school quality lowers the failure rate. The planted
schools sit on the rule's boundaries (current year = the last year,
previous = the one before):

| school | what it tests | federal-2025 (OR) | strict (AND) |
|---|---|---|---|
| edu990001 | 3 of 10 and 6 of 20 fail in the current year: exactly 30 % counts | ШНОР | no |
| edu990002 | 6 of 21 (28.6 %) twice, in both years: below the threshold | no | no |
| edu990003 | 5 of 9 twice, in both years: fewer than 10 participants | no | no |
| edu990004 | ВПР русский язык 6 кл. 8 of 20 in both years, nothing else | ШНОР | no |
| edu990005 | two procedures in the current year, none before | ШНОР | no |
| edu990006 | two procedures now, one of them also the year before | ШНОР | ШНОР |
| edu990007 | one ВПР procedure 4 of 10; ЕГЭ русский: 2 of 10 below 24, 2 exactly 24 (pass) | no | no |
| edu990008 | no survey row: no risk score, reported | no | no |
| edu990009 | survey with two empty indicators: scored on the rest | no | no |

`results/fisoko/` holds a ФИС ОКО protocol as downloaded (окружающий мир, grade 4,
the year before the others): total primary scores with no mark, class letters, the
journal mark and absent participants, read with no adapter (`shnor check` names the
layout and the keys taken from the file name). It adds procedures and changes no list.

It also holds ВПР maths protocols of grades 4 and 5 for the last two years
(`Проведение работы по математике, N класс. ВПР YEAR.xlsx`): the first 24 regular
schools' maths of those grades come as student rows with a total score and a
journal mark instead of aggregate rows, with the same participants and the same
number failing, so the lists are those of the aggregates. The marks come from the
ВПР scale, and the objectivity signs (`objectivity.csv`) are checked on these rows.
Three of the schools are planted:

| school | planted | sign |
|---|---|---|
| edu010002 | current year, grade 4: every pupil who passes scores 19–20 of 20 | `inflated_mean` |
| edu010003 | both years, both grades: the journal mark is the opposite of the score («5» for a «2») | `contradicts_marks` |
| edu010004 | grade 4 the year before scores 18–20, the same class in grade 5 now just above the «2» line | `cohort_fall` (K ≈ 2.2 against a critical value ≈ 1.7), and `inflated_mean` in grade 4 the year before |

Strong regular schools show `inflated_mean` too, as strong schools do in real
protocols (about one school procedure in six on the Altai Krai ВПР 2020–2021): the sign
says a result is above what the region makes plausible, not that it was falsified.

`results/rcoi/` holds a РЦОИ statement of ОГЭ (обществознание, the same year) as regions
receive it: `;`-separated Windows-1251 with lower-case headers, the participants'
(synthetic) names and documents, the primary score and the mark. It is read with no
adapter; the names and documents are dropped as soon as the file is read, and the
participant is known by a pseudonym. It adds procedures and changes no list.

The current ЕГЭ file also carries rows a real export has: an unknown
school (`edu999999`), a mark of 7, a participant marked `н/я` (не явился:
absent, neither counted nor set aside), and a subject (physics) without a
mark, scored 55 (≥ 36, a pass). The first two go to `rejected.csv` with
their reasons.
";

/// Output format of the student-level generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    Csv,
    Parquet,
}

/// One results file of student rows, built in columns.
#[derive(Default)]
struct StudentRows {
    year: Vec<i32>,
    assessment: Vec<&'static str>,
    subject: Vec<&'static str>,
    grade: Vec<i32>,
    school_id: Vec<String>,
    participant_id: Vec<String>,
    mark: Vec<Option<i32>>,
    score: Vec<Option<i32>>,
}

/// One procedure as the rows write it.
#[derive(Clone, Copy)]
struct Sitting {
    year: i32,
    assessment: &'static str,
    subject: &'static str,
    grade: i32,
}

/// A participant's result: a mark or, for ЕГЭ with a minimum, a score.
enum Outcome {
    Mark(i32),
    Score(i32),
}

impl StudentRows {
    fn push(&mut self, sitting: Sitting, school: &str, id: String, outcome: Outcome) {
        self.year.push(sitting.year);
        self.assessment.push(sitting.assessment);
        self.subject.push(sitting.subject);
        self.grade.push(sitting.grade);
        self.school_id.push(school.to_string());
        self.participant_id.push(id);
        let (mark, score) = match outcome {
            Outcome::Mark(m) => (Some(m), None),
            Outcome::Score(s) => (None, Some(s)),
        };
        self.mark.push(mark);
        self.score.push(score);
    }

    fn write(self, path: &Path, format: SampleFormat) -> Result<()> {
        use polars::prelude::*;
        let mut frame = df!(
            "year" => self.year,
            "assessment" => self.assessment,
            "subject" => self.subject,
            "grade" => self.grade,
            "school_id" => self.school_id,
            "participant_id" => self.participant_id,
            "mark" => self.mark,
            "score" => self.score,
        )?;
        write_frame(&mut frame, path, format)
    }
}

fn write_frame(
    frame: &mut polars::prelude::DataFrame,
    path: &Path,
    format: SampleFormat,
) -> Result<()> {
    use polars::prelude::*;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = std::fs::File::create(path)
        .with_context(|| format!("не удалось записать {}", path.display()))?;
    match format {
        SampleFormat::Csv => CsvWriter::new(file).finish(frame)?,
        SampleFormat::Parquet => {
            ParquetWriter::new(file)
                .with_compression(ParquetCompression::Zstd(None))
                .finish(frame)?;
        }
    }
    Ok(())
}

/// A region of any size with every result as a student row (for scale and
/// benchmarks): UTF-8, comma-separated CSV or Parquet, the same columns in
/// every results file, no planted boundary schools and no broken rows.
pub fn generate_students(
    out: &Path,
    schools: usize,
    years: &[i32],
    seed: u64,
    format: SampleFormat,
) -> Result<()> {
    use polars::prelude::*;
    if years.is_empty() {
        bail!("give at least one year (--years 2023,2024,2025)");
    }
    let mut years = years.to_vec();
    years.sort_unstable();
    years.dedup();
    if out.exists() {
        std::fs::remove_dir_all(out)
            .with_context(|| format!("не удалось заменить {}", out.display()))?;
    }
    let ext = match format {
        SampleFormat::Csv => "csv",
        SampleFormat::Parquet => "parquet",
    };
    let mut g = Students {
        rng: ChaCha8Rng::seed_from_u64(seed),
        participants: 0,
    };
    let regular = regular_schools(&mut g.rng, schools);
    let mut registry = df!(
        "school_id" => regular.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "school_name" => regular.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "municipality" => regular.iter().map(|s| s.municipality.as_str()).collect::<Vec<_>>(),
        "settlement_type" => regular.iter().map(|s| if s.rural { "rural" } else { "urban" }).collect::<Vec<_>>(),
        "school_kind" => regular.iter().map(|s| s.kind).collect::<Vec<_>>(),
    )?;
    write_frame(&mut registry, &out.join(format!("schools.{ext}")), format)?;
    for &year in &years {
        let noise: Vec<f64> = regular
            .iter()
            .map(|_| normal(&mut g.rng, 0.0, 0.35))
            .collect();
        for grade in VPR_GRADES {
            g.marked(&regular, &noise, year, "ВПР", &VPR_SUBJECTS, grade, -2.6)
                .write(
                    &out.join(format!("results/vpr_{year}_{grade}.{ext}")),
                    format,
                )?;
        }
        let oge = ["русский язык", "математика"];
        g.marked(&regular, &noise, year, "ОГЭ", &oge, 9, -3.0)
            .write(&out.join(format!("results/oge_{year}.{ext}")), format)?;
        g.ege(&regular, &noise, year)
            .write(&out.join(format!("results/ege_{year}.{ext}")), format)?;
    }
    let year = *years.last().expect("a year");
    let mut survey = student_survey(&mut g.rng, &regular, year)?;
    write_frame(
        &mut survey,
        &out.join(format!("survey/survey_{year}.{ext}")),
        format,
    )?;
    Ok(())
}

/// The generator of a student-level region: its random numbers and the
/// participant ids given so far.
struct Students {
    rng: ChaCha8Rng,
    participants: u64,
}

impl Students {
    fn next_id(&mut self) -> String {
        self.participants += 1;
        format!("P{:09}", self.participants)
    }

    /// A mark: «2» with probability `p`, else 3–5.
    fn mark(&mut self, p: f64) -> i32 {
        if self.rng.random_bool(p) {
            2
        } else {
            self.rng.random_range(3..=5)
        }
    }

    /// Marked rows of one assessment and grade for every school and subject.
    #[allow(clippy::too_many_arguments)]
    fn marked(
        &mut self,
        regular: &[School],
        noise: &[f64],
        year: i32,
        assessment: &'static str,
        subjects: &[&'static str],
        grade: i32,
        base: f64,
    ) -> StudentRows {
        let mut rows = StudentRows::default();
        for (s, noise) in regular.iter().zip(noise) {
            for &subject in subjects {
                let sitting = Sitting {
                    year,
                    assessment,
                    subject,
                    grade,
                };
                let p = fail_probability(s, base, *noise);
                for _ in 0..participants(&mut self.rng, s) {
                    let mark = self.mark(p);
                    rows.push(sitting, &s.id, self.next_id(), Outcome::Mark(mark));
                }
            }
        }
        rows
    }

    /// ЕГЭ rows of the schools with senior grades: scores where the subject
    /// has a minimum, marks for basic mathematics.
    fn ege(&mut self, regular: &[School], noise: &[f64], year: i32) -> StudentRows {
        let mut rows = StudentRows::default();
        for (s, noise) in regular.iter().zip(noise).filter(|(s, _)| s.has_senior) {
            let n = (participants(&mut self.rng, s) as f64 * 0.3)
                .round()
                .max(1.0) as u64;
            for (subject, minimum) in [
                ("русский язык", Some(24)),
                ("математика (профильная)", Some(27)),
                ("математика (базовая)", None),
            ] {
                let sitting = Sitting {
                    year,
                    assessment: "ЕГЭ",
                    subject,
                    grade: 11,
                };
                for _ in 0..n {
                    let fails = self.rng.random_bool(fail_probability(s, -3.2, *noise));
                    let outcome = match minimum {
                        Some(min) if fails => Outcome::Score(self.rng.random_range((min / 2)..min)),
                        Some(min) => Outcome::Score(self.rng.random_range(min..=100)),
                        None if fails => Outcome::Mark(2),
                        None => Outcome::Mark(self.rng.random_range(3..=5)),
                    };
                    rows.push(sitting, &s.id, self.next_id(), outcome);
                }
            }
        }
        rows
    }
}

/// The survey of the last year, every indicator for every school.
fn student_survey(
    rng: &mut ChaCha8Rng,
    regular: &[School],
    year: i32,
) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let mut survey: Vec<Column> = vec![
        Column::new(
            "school_id".into(),
            regular.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        ),
        Column::new("year".into(), vec![year; regular.len()]),
    ];
    for (i, name) in INDICATORS.iter().enumerate() {
        let values: Vec<f64> = regular
            .iter()
            .map(|s| (indicator_value(rng, i, name, s) * 1000.0).round() / 1000.0)
            .collect();
        survey.push(Column::new((*name).into(), values));
    }
    Ok(DataFrame::new_infer_height(survey)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn municipalities_grow_with_the_sample_but_a_region_keeps_its_eight() {
        assert_eq!(municipality_count(200), 8);
        assert_eq!(municipality_count(320), 8);
        assert_eq!(municipality_count(321), 16);
        assert_eq!(municipality_count(40_000), 1000);
        assert_eq!(municipality_name(3), "Лесной район");
        assert_eq!(municipality_name(12), "Город Приморск № 2");
    }
}
