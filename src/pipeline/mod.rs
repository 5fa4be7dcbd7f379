//! `shnor run`: ingest → validate → measure → classify → write.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod record;
mod timings;
mod warnings;

pub use timings::Timings;

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use rayon::prelude::*;

use crate::classify::{self, Classification};
use crate::codes::ContextGroup;
use crate::ingest::format::InputRole;
use crate::ingest::normalize::comparison_key;
use crate::ingest::table::RowChecks;
use crate::ingest::{CsvOverrides, DataDirFiles, LoadedFile, RawTable};
use crate::measure::repeats::{self, CountedPart, Repeats};
use crate::measure::{clean_students, procedures};
use crate::methodology::LoadedMethodology;
use crate::methodology::min_scores::MinScores;
use crate::progress::{Progress, ProgressMode};
use crate::validate::indicators::IndicatorUse;
use crate::validate::previous_lists::check_previous_lists;
use crate::validate::results::{ResultsForm, check_results, participant_rows};
use crate::validate::schools::check_schools;
use crate::validate::survey::{check_survey, empty_long};
use crate::validate::{Checked, empty_frame, empty_rejected};
use crate::write::manifest::{self, InputRecord, Manifest};
use crate::write::partition::PartitionKey;
use crate::write::run_files::{stamp, write_files};
use crate::write::target::{self, OutputTarget};
use crate::write::{CsvOutput, Staging};
use record::{input_record, methodology_record, refuse_changed_sources};
use warnings::{
    check_wanted_indicators, out_of_scope_assessments, profile_warnings, year_warnings,
};

/// Confidence level of the interval reported for every failure share.
pub const CONFIDENCE: f64 = 0.95;

/// What `shnor run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub data_dir: PathBuf,
    /// A preset name or a methodology file; the default methodology when None.
    pub methodology: Option<String>,
    pub out: PathBuf,
    pub csv: CsvOverrides,
    /// Folder of earlier published lists (overrides the methodology's).
    pub previous_lists: Option<PathBuf>,
    /// How CSV outputs are written.
    pub csv_output: CsvOutput,
    /// Also write hive-style partitioned Parquet by these keys (region, year).
    pub partition_by: Vec<PartitionKey>,
    /// Progress on standard error (bars or log lines), or none.
    pub progress: ProgressMode,
    /// `shnor rerun`: the sources the recorded run read; the run is refused
    /// before writing when what it reads now differs.
    pub expected_sources: Option<BTreeMap<String, String>>,
}

/// What a run reports back to the command line.
#[derive(Debug)]
pub struct RunSummary {
    pub out: PathBuf,
    pub current_year: i32,
    pub previous_year: Option<i32>,
    pub schools: usize,
    pub procedures: usize,
    pub shnor: usize,
    pub shnsu: usize,
    pub rows_rejected: usize,
    pub warnings: Vec<String>,
}

/// One input table after checking: the table as read (its rows released),
/// for results the form it was read in, and what the checks kept and set
/// aside.
pub struct CheckedTable {
    pub table: RawTable,
    pub form: Option<ResultsForm>,
    pub checked: Checked,
    /// Rows of participants marked absent (neither counted nor set aside).
    pub absent: usize,
    /// Those rows per procedure (key and `absent`), for the procedures table.
    pub absent_by_procedure: Option<DataFrame>,
    /// Student rows' (journal mark, score) pairs per procedure, for the rank
    /// correlation of the objectivity signs.
    pub pairs: Option<DataFrame>,
    /// School ids written with another login prefix, and the registry id
    /// each was read as (`edu220206` → `sch220206`).
    pub mapped_ids: Vec<(String, String)>,
}

/// Any input table of a run, as the manifest and `shnor check` list it.
pub struct InputView<'a> {
    pub role: InputRole,
    pub table: &'a RawTable,
    pub form: Option<ResultsForm>,
    /// What the checks kept and set aside (None for previous lists, which
    /// are read whole).
    pub checked: Option<&'a Checked>,
    /// Rows of absent participants.
    pub absent: usize,
    /// School ids read as the registry's under another prefix.
    pub mapped_ids: &'a [(String, String)],
}

/// One results file after checking: its tables and the notes to report.
type CheckedFile = (Vec<CheckedTable>, Vec<String>);

/// How a file was checked, for the progress log.
fn describe_checked((tables, _): &CheckedFile) -> String {
    let rows: usize = tables.iter().map(|t| t.table.rows()).sum();
    let set_aside: usize = tables.iter().map(|t| t.checked.rejected.height()).sum();
    let typed = tables
        .iter()
        .all(|t| t.table.checks == RowChecks::TypedScan);
    format!(
        "строк {rows}, отложено {set_aside}, {}",
        if typed {
            "типизированное чтение"
        } else {
            "проверена каждая ячейка"
        }
    )
}

/// Everything read and checked, before anything is computed: what `shnor
/// check` reports and `shnor run` builds on.
pub struct Prepared {
    pub methodology: LoadedMethodology,
    pub min_scores: (String, String),
    /// The minimum scores and scales as read: the procedures take each
    /// work's maximum score from them.
    pub score_table: MinScores,
    /// Each score → mark scale table: its text and its origin.
    pub scales: Vec<(String, String)>,
    /// The text of `school-ids.csv`, when the data directory has one.
    pub renamings: Option<String>,
    /// Every survey indicator with its direction and where it came from.
    pub indicators: Vec<IndicatorUse>,
    pub schools: CheckedTable,
    pub results: Vec<CheckedTable>,
    pub survey: Vec<CheckedTable>,
    pub previous_lists: Option<(DataFrame, Vec<RawTable>)>,
    /// The data directory's adapters, with their SQL.
    pub adapters: Vec<crate::ingest::Adapter>,
    /// Participants repeated across files of one procedure.
    pub repeats: Option<Repeats>,
    pub warnings: Vec<String>,
}

impl Prepared {
    /// Every input table with its role and, for results, its form.
    pub fn tables(&self) -> Vec<InputView<'_>> {
        fn checked(role: InputRole, t: &CheckedTable) -> InputView<'_> {
            InputView {
                role,
                table: &t.table,
                form: t.form,
                checked: Some(&t.checked),
                absent: t.absent,
                mapped_ids: &t.mapped_ids,
            }
        }
        let mut all = vec![checked(InputRole::Schools, &self.schools)];
        all.extend(self.results.iter().map(|t| checked(InputRole::Results, t)));
        all.extend(self.survey.iter().map(|t| checked(InputRole::Survey, t)));
        all.extend(
            self.previous_lists
                .iter()
                .flat_map(|(_, tables)| tables)
                .map(|table| InputView {
                    role: InputRole::PreviousList,
                    table,
                    form: None,
                    checked: None,
                    absent: 0,
                    mapped_ids: &[],
                }),
        );
        all
    }

    /// The registry as checked.
    pub fn registry(&self) -> &DataFrame {
        &self.schools.checked.valid
    }

    /// One line per input table: how it was read and how many of its rows
    /// were set aside while checking.
    pub fn describe_inputs(&self) -> Result<Vec<String>> {
        let rejected = concat(self.rejected_parts(), UnionArgs::default())?.collect()?;
        let files = rejected.column("file")?.str()?.clone();
        Ok(self
            .tables()
            .into_iter()
            .map(|input| {
                let set_aside = files
                    .iter()
                    .filter(|f| *f == Some(input.table.name.as_str()))
                    .count();
                let absent = match input.absent {
                    0 => String::new(),
                    n => format!(", отсутствовали {n}"),
                };
                format!(
                    "{}, отложено {set_aside}{absent}",
                    crate::validate::results::describe(input.role, input.form, input.table)
                )
            })
            .collect())
    }

    /// Rows set aside while checking (duplicated procedures come later).
    pub fn rejected_parts(&self) -> Vec<LazyFrame> {
        let rejected = |t: &CheckedTable| {
            concat(
                [t.checked.rejected.clone().lazy(), t.filtered_out()],
                UnionArgs::default(),
            )
            .expect("rejected tables share one schema")
        };
        let mut parts = vec![rejected(&self.schools)];
        parts.extend(self.results.iter().map(rejected));
        parts.extend(self.repeats.iter().map(|r| r.rejected.clone().lazy()));
        parts.extend(self.survey.iter().map(rejected));
        parts
    }
}

impl CheckedTable {
    /// The rows the adapter's query filtered out, as rejected rows.
    fn filtered_out(&self) -> LazyFrame {
        let lines = &self.table.filtered_out;
        let n = lines.len();
        let reason = format!(
            "строка убрана фильтром адаптера {} (WHERE в запросе)",
            self.table.adapter.as_deref().unwrap_or_default()
        );
        df!(
            "file" => vec![self.table.name.as_str(); n],
            "line" => lines.clone(),
            "column" => vec![None::<&str>; n],
            "reason" => vec![reason.as_str(); n],
        )
        .expect("columns of one length")
        .lazy()
    }
}

/// Stages 1–2: reads the methodology and every input, and checks each row.
pub fn prepare(options: &RunOptions, timings: &mut Timings) -> Result<Prepared> {
    timings.stage("1_methodology");
    let mut methodology = match &options.methodology {
        Some(name_or_path) => LoadedMethodology::resolve(name_or_path)?,
        None => LoadedMethodology::default_builtin()?,
    };
    let (min_scores_text, min_scores_origin) = methodology.min_scores_text()?;
    let scales = methodology.scales_texts()?;
    let min_scores =
        MinScores::parse(&min_scores_text, &min_scores_origin)?.with_scales_all(&scales)?;

    let files = DataDirFiles::discover(&options.data_dir)?;
    let work: u64 = files
        .results
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    timings.stage_of("2_read_and_check_results", Some(work));
    let mut warnings = files.ignored.clone();
    let schools_table = files.read_schools(options.csv)?;
    let schools = CheckedTable {
        checked: check_schools(&schools_table)?,
        table: schools_table,
        form: None,
        absent: 0,
        absent_by_procedure: None,
        pairs: None,
        mapped_ids: Vec::new(),
    };
    let registry = &schools.checked.valid;
    let renamings = match &files.renamings {
        Some(text) => crate::validate::school_ids::parse_renamings(text)?,
        None => Vec::new(),
    };
    let aliases = crate::validate::school_ids::with_renamings(
        crate::validate::school_ids::aliases(
            registry,
            &methodology.rule.shnor.same_school_prefixes,
        )?,
        &renamings,
        registry,
    )?;
    let registry_ids = registry
        .column("school_id")?
        .as_materialized_series()
        .clone();
    let check_file = |loaded: LoadedFile| {
        check_results_file(
            loaded,
            &files,
            (registry, &registry_ids, &aliases),
            &min_scores,
            options.csv,
        )
    };
    let progress = &timings.progress;
    let checked_files = files.check_in_order(&files.results, options.csv, |loaded| {
        let (name, bytes) = (loaded.name.clone(), loaded.bytes);
        let checked = check_file(loaded)?;
        progress.advance(&name, bytes, &describe_checked(&checked));
        Ok(checked)
    })?;
    let results = first_copies(checked_files, &mut warnings);
    let repeats = cross_file_repeats(
        &files,
        &results,
        (registry, &aliases),
        &min_scores,
        options.csv,
    )?;
    let (survey_tables, skipped) = files.read_all(&files.survey, options.csv)?;
    warnings.extend(skipped);
    let previous_lists_dir = options
        .previous_lists
        .clone()
        .or_else(|| methodology.previous_lists_dir())
        .or_else(|| files.previous_lists.clone());
    let previous_lists = previous_lists_dir
        .as_deref()
        .map(|dir| -> Result<_> {
            let tables = crate::ingest::read_previous_lists(dir, options.csv)?;
            let (lists, notes) = check_previous_lists(&tables)?;
            warnings.extend(notes);
            Ok((lists, tables))
        })
        .transpose()?;

    timings.stage("3_read_and_check_survey");
    if options.partition_by.contains(&PartitionKey::Region) && !schools.table.has("region") {
        bail!(
            "--partition-by region: в {} нет столбца `region`; добавьте его (субъект федерации \
             каждой школы) или разбивайте только по году",
            schools.table.name
        );
    }
    let (survey, indicators) = checked_survey(
        survey_tables,
        (registry, &aliases),
        &mut methodology,
        &mut warnings,
    )?;
    if survey.is_empty() {
        warnings.push(
            "нет файлов survey/: ШНСУ не выявить; школы даны без показателя социального риска"
                .into(),
        );
    }
    Ok(Prepared {
        methodology,
        min_scores: (min_scores_text, min_scores_origin),
        score_table: min_scores,
        scales,
        renamings: files.renamings.clone(),
        indicators,
        schools,
        results,
        survey,
        previous_lists,
        adapters: files.adapters.clone(),
        repeats,
        warnings,
    })
}

/// Stage 3: every survey table checked (in parallel), once the methodology's
/// named indicators are found among them.
fn checked_survey(
    tables: Vec<RawTable>,
    (registry, aliases): (&DataFrame, &DataFrame),
    methodology: &mut LoadedMethodology,
    warnings: &mut Vec<String>,
) -> Result<(Vec<CheckedTable>, Vec<IndicatorUse>)> {
    let mut tables = passports_by_school(tables, registry, warnings)?;
    for t in &mut tables {
        // Questionnaires carry the logins of their year (edu… in 2022).
        if t.has("school_id") {
            let frame = std::mem::take(&mut t.frame);
            t.frame = crate::validate::school_ids::to_registry_ids(frame, aliases)?;
        }
    }
    let named = methodology.rule.shnsu.clone();
    let uses = crate::validate::indicators::resolve(&mut tables, &mut methodology.rule)?;
    check_wanted_indicators(&named, &methodology.origin, &uses, !tables.is_empty())?;
    let wanted = &methodology.rule.shnsu.indicators;
    // The index reads the indicators that point somewhere, and only those
    // the methodology names when it names any.
    let used: Vec<IndicatorUse> = uses
        .iter()
        .filter(|u| u.direction != crate::methodology::Direction::Descriptive)
        .filter(|u| {
            wanted.is_empty()
                || wanted
                    .iter()
                    .any(|w| *w == u.name || comparison_key(w) == comparison_key(&u.header))
        })
        .cloned()
        .collect();
    warnings.extend(profile_warnings(&methodology.rule, &used));
    let checked: Vec<(Checked, Vec<String>)> = tables
        .par_iter()
        .map(|t| check_survey(t, registry, &used))
        .collect::<Result<_>>()?;
    let (checked, notes): (Vec<Checked>, Vec<Vec<String>>) = checked.into_iter().unzip();
    warnings.extend(notes.into_iter().flatten());
    let tables = tables
        .into_iter()
        .zip(checked)
        .map(|(table, checked)| CheckedTable {
            table,
            form: None,
            checked,
            absent: 0,
            absent_by_procedure: None,
            pairs: None,
            mapped_ids: Vec::new(),
        })
        .collect();
    Ok((tables, uses))
}

/// The survey tables with one row per school: a passport printed with
/// indicators as rows is turned, and its school columns named by the
/// schools' names are read as their registry ids (each said).
fn passports_by_school(
    tables: Vec<RawTable>,
    registry: &DataFrame,
    warnings: &mut Vec<String>,
) -> Result<Vec<RawTable>> {
    use crate::ingest::passport::{
        is_transposed, names_to_ids, school_of_single_passport, transposed,
    };
    let mut turned = Vec::with_capacity(tables.len());
    for table in tables {
        if !is_transposed(&table) {
            turned.push(table);
            continue;
        }
        let mut table = transposed(table)?;
        if let Some((id, place)) = school_of_single_passport(&table, registry)? {
            warnings.push(format!(
                "{}: паспорт одной школы, школа {id} определена по «{place}»",
                table.name
            ));
            table
                .frame
                .with_column(Column::new("school_id".into(), [id]))?;
            turned.push(table);
            continue;
        }
        for (name, id) in names_to_ids(&mut table, registry)? {
            warnings.push(format!(
                "{}: столбец школы «{name}» прочитан как {id} (по названию в реестре)",
                table.name
            ));
        }
        turned.push(table);
    }
    Ok(turned)
}

/// Reads and checks one results file: counted in one typed pass when it is a
/// clean student-level file without an adapter, every cell checked
/// otherwise. Student rows come back summed into procedures.
fn check_results_file(
    loaded: LoadedFile,
    files: &DataDirFiles,
    (registry, registry_ids, aliases): (&DataFrame, &Series, &DataFrame),
    min_scores: &MinScores,
    csv: CsvOverrides,
) -> Result<CheckedFile> {
    let adapter = files.adapter_for(&loaded.path);
    if adapter.is_none()
        && !csv.full_checks
        && let Some(counted) = clean_students::count_if_clean(&loaded, registry_ids, min_scores)?
    {
        let checked = Checked {
            valid: counted.procedures,
            rejected: empty_rejected(),
        };
        let table = CheckedTable {
            table: counted.table,
            form: Some(ResultsForm::Student),
            checked,
            absent: 0,
            absent_by_procedure: None,
            pairs: Some(counted.pairs),
            mapped_ids: Vec::new(),
        };
        return Ok((vec![table], loaded.notes));
    }
    let mut file = loaded.read(adapter)?;
    let mut checked = Vec::with_capacity(file.tables.len());
    for mut table in file.tables {
        let mapped_ids = crate::validate::school_ids::mapped(&table.frame, aliases)?;
        let mut c = check_results(&table, (registry, aliases), min_scores)?;
        if let Some(said) = crate::validate::results::scale_disagreements(&table.name, &c)? {
            file.skipped.push(said);
        }
        let mut pairs = None;
        if c.form == ResultsForm::Student {
            // Student rows are summed into procedures right away;
            // procedures from several files add up later.
            pairs = Some(
                crate::measure::score_ranks::pairs(c.checked.valid.clone().lazy(), 1).collect()?,
            );
            c.checked.valid = procedures::from_students(c.checked.valid.lazy()).collect()?;
        }
        table.release_rows();
        checked.push(CheckedTable {
            table,
            form: Some(c.form),
            checked: c.checked,
            absent: c.absent,
            absent_by_procedure: c.absent_by_procedure,
            pairs,
            mapped_ids,
        });
    }
    Ok((checked, file.skipped))
}

/// The checked files' tables, each file counted once: the same bytes under
/// two names (`ege_2025 (1).csv`, a second download) would count every
/// participant twice, so the first name wins and the copy is said.
fn first_copies(checked_files: Vec<CheckedFile>, warnings: &mut Vec<String>) -> Vec<CheckedTable> {
    let mut results = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (tables, skipped) in checked_files {
        let first_table = tables.first().map(|t| &t.table);
        let copy_of = first_table.and_then(|t| seen.get(&t.sha256).cloned());
        if let (Some(first), Some(table)) = (copy_of, first_table) {
            warnings.push(format!(
                "{}: побайтно тот же файл, что {first} (SHA-256 совпадает); учтён один раз",
                table.path_name()
            ));
            continue;
        }
        for CheckedTable { table, .. } in &tables {
            seen.insert(table.sha256.clone(), table.path_name());
            if table.rows() == 0 {
                warnings.push(format!("{}: в файле нет строк данных", table.name));
            }
        }
        results.extend(tables);
        warnings.extend(skipped);
    }
    results
}

/// Participants given again by a second file of the same procedure (see
/// [`repeats`]); None when no procedure is given by two files that name
/// their participants.
fn cross_file_repeats(
    files: &DataDirFiles,
    results: &[CheckedTable],
    (registry, aliases): (&DataFrame, &DataFrame),
    min_scores: &MinScores,
    csv: CsvOverrides,
) -> Result<Option<Repeats>> {
    let named: Vec<(&RawTable, &DataFrame)> = results
        .iter()
        .filter(|t| t.form == Some(ResultsForm::Student) && t.table.has("participant_id"))
        .map(|t| (&t.table, &t.checked.valid))
        .collect();
    let parts: Vec<CountedPart> = named
        .iter()
        .map(|(t, procedures)| CountedPart {
            file: &t.name,
            procedures,
        })
        .collect();
    let shared = repeats::shared_procedures(&parts)?;
    if shared.height() == 0 {
        return Ok(None);
    }
    let mut paths: Vec<PathBuf> = Vec::new();
    for (table, procedures) in &named {
        let gives_shared = repeats::in_shared((*procedures).clone().lazy(), &shared)
            .limit(1)
            .collect()?
            .height()
            > 0;
        if gives_shared && !paths.contains(&table.path) {
            paths.push(table.path.clone());
        }
    }
    let reread = files.check_in_order(&paths, csv, |loaded| {
        let adapter = files.adapter_for(&loaded.path);
        let file = loaded.read(adapter)?;
        let mut rows = Vec::new();
        for table in &file.tables {
            if let Some(r) = participant_rows(table, (registry, aliases), min_scores)? {
                rows.push((
                    table.name.clone(),
                    repeats::in_shared(r, &shared).collect()?,
                ));
            }
        }
        Ok(rows)
    })?;
    Ok(Some(repeats::find(reread.into_iter().flatten().collect())?))
}

/// Runs the whole job and writes the outputs.
pub fn run(options: &RunOptions) -> Result<RunSummary> {
    run_reporting(options, |_| {})
}

/// Runs the whole job; `inputs_read` hears how each input was read (one line
/// per table, as `shnor check` says it) before any list is computed.
pub fn run_reporting(
    options: &RunOptions,
    inputs_read: impl FnOnce(&[String]),
) -> Result<RunSummary> {
    let target = claim_output(options)?;
    let mut timings = Timings::new(Progress::new(options.progress));
    let prepared = prepare(options, &mut timings)?;
    let inputs = prepared.describe_inputs()?;
    timings.progress.suspend(|| inputs_read(&inputs));
    let p = &prepared;
    let methodology = &p.methodology;
    let mut warnings = p.warnings.clone();
    warnings.extend(target.notes.iter().cloned());
    let registry = p.registry();

    timings.stage("4_measure");
    let (all_procedures, duplicate_rejections, survey_long, score_ranks) = measure(p)?;

    timings.stage("5_classify");
    let (years, classification) = classify_stage(
        p,
        (&all_procedures, &score_ranks),
        survey_long,
        &mut warnings,
    )?;

    timings.stage("6_write");
    let mut rejected = all_rejected(p, duplicate_rejections)?;
    let started = std::time::Instant::now();
    let mut outputs = crate::write::assemble::outputs(
        &classification,
        registry,
        methodology.rule.shnor.min_participants,
    )?;
    let assemble_ms = started.elapsed().as_millis();
    crate::write::checks::check_outputs(&outputs)?;
    let checks_ms = started.elapsed().as_millis() - assemble_ms;
    if p.previous_lists.is_none() {
        warnings.push("прежние списки не даны (--previous-lists): повторное попадание и переходы не считаются".into());
    }
    warnings.extend(crate::write::xlsx::long_sheet_warnings(
        &crate::write::run_files::sheets(&outputs),
        crate::outputs::declared().sheet_max_rows,
    ));
    let rows_rejected = rejected.height();

    let inputs: Vec<InputRecord> = p
        .tables()
        .into_iter()
        .map(|input| input_record(&input, &rejected))
        .collect();
    let methodology_record = methodology_record(p, &classification);
    let invocation = options.invocation();
    let renamings = p
        .renamings
        .as_deref()
        .map(|t| manifest::SourceRecord::new(crate::validate::school_ids::RENAMINGS, t));
    let sources = manifest::sources(
        &inputs,
        &methodology_record,
        (&p.adapters, renamings.as_ref()),
        &invocation,
    );
    refuse_changed_sources(options, &sources)?;
    let run_id = manifest::run_id(&sources);
    stamp(&mut outputs, &methodology.rule.name, &run_id)?;
    let staging = Staging::new(
        target,
        options.csv_output,
        vec![
            ("shnor_version".into(), env!("CARGO_PKG_VERSION").into()),
            ("shnor_methodology".into(), methodology.rule.name.clone()),
            ("shnor_run_id".into(), run_id.clone()),
        ],
    )?;
    let (output_records, write_times) = write_files(
        &staging,
        &outputs,
        &mut rejected,
        (registry, &options.partition_by, years.current),
        methodology,
    )?;
    let summary = summarise(
        &outputs,
        options,
        &years,
        registry,
        (rows_rejected, &warnings),
    );
    timings.finish();
    // What bounds the two last stages, for bench/: each query and file.
    for (query, ms) in &classification.query_ms {
        timings.done.insert(format!("5_classify/{query}"), *ms);
    }
    timings.done.insert("6_write/assemble".into(), assemble_ms);
    timings.done.insert("6_write/checks".into(), checks_ms);
    for (file, ms) in write_times {
        timings.done.insert(format!("6_write/{file}"), ms);
    }
    let manifest = Manifest {
        tool: "shnor".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id,
        invocation,
        methodology: methodology_record,
        years: years.clone(),
        context_fit: classification.fit.clone(),
        objectivity: match &classification.objectivity {
            Some(_) => Some(crate::write::manifest::ObjectivityIndex::of(
                &classification.school_objectivity,
                years.current,
            )?),
            None => None,
        },
        inputs,
        adapters: p.adapters.iter().map(Into::into).collect(),
        school_ids: renamings,
        indicators: p.indicators.clone(),
        sources,
        rows_rejected,
        outputs: output_records,
        counts: BTreeMap::from([
            ("schools".into(), registry.height()),
            ("procedures".into(), summary.procedures),
            ("shnor".into(), summary.shnor),
            ("shnsu".into(), summary.shnsu),
            ("resilient".into(), count_resilient(&outputs)),
            ("risk_zone".into(), classification.risk_zone.height()),
            ("stably_high".into(), classification.stably_high.height()),
        ]),
        warnings,
        timings_ms: timings.done,
    };
    let json = serde_json::to_vec_pretty(&manifest).context("не удалось записать manifest.json")?;
    staging.write_bytes("manifest.json", &json)?;
    staging.commit()?;
    Ok(summary)
}

/// Every row set aside, in file, line and column order.
fn all_rejected(p: &Prepared, duplicated_aggregates: DataFrame) -> Result<DataFrame> {
    let mut parts = p.rejected_parts();
    parts.push(duplicated_aggregates.lazy());
    Ok(concat(parts, UnionArgs::default())?
        .sort(
            ["file", "line", "column"],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .collect()?)
}

/// What the run tells the command line.
fn summarise(
    outputs: &[(&'static str, DataFrame)],
    options: &RunOptions,
    years: &classify::Years,
    registry: &DataFrame,
    (rows_rejected, warnings): (usize, &[String]),
) -> RunSummary {
    let count = |name: &str| {
        outputs
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, f)| f.height())
    };
    RunSummary {
        out: options.out.clone(),
        current_year: years.current,
        previous_year: years.previous,
        schools: registry.height(),
        procedures: count("procedures"),
        shnor: count("shnor"),
        shnsu: count("shnsu"),
        rows_rejected,
        warnings: warnings.to_vec(),
    }
}

/// Stage 5: the years the rule compares (with what they leave out said)
/// and the methodology's queries run over the procedures and the survey.
fn classify_stage(
    p: &Prepared,
    (procedures, score_ranks): (&DataFrame, &DataFrame),
    survey_long: DataFrame,
    warnings: &mut Vec<String>,
) -> Result<(classify::Years, Classification)> {
    let procedure_years = distinct_years(procedures)?;
    let survey_years = if survey_long.height() > 0 {
        distinct_years(&survey_long)?
    } else {
        Vec::new()
    };
    let years = classify::choose_years(&procedure_years, &survey_years, &p.methodology)?;
    warnings.extend(year_warnings(p, &years, &survey_long)?);
    warnings.extend(out_of_scope_assessments(procedures, &p.methodology)?);
    let survey_long = if survey_long.height() > 0 {
        survey_long
    } else {
        empty_long()
    };
    let classification = classify::classify(
        &classify::Inputs {
            procedures,
            schools: p.registry(),
            survey: &survey_long,
            previous_lists: p.previous_lists.as_ref().map(|(frame, _)| frame),
            score_ranks,
        },
        years.clone(),
        &p.methodology,
    )?;
    let wanted = p.methodology.rule.stably_high.years as usize;
    if classification.stable_years.len() < wanted {
        warnings.push(format!(
            "стабильно высокие результаты проверяются за {wanted} последних лет, а в данных до {} года их {}: ни одна школа не отмечена, партнёров для ШНОР нет",
            years.current,
            classification.stable_years.len()
        ));
    }
    Ok((years, classification))
}

/// Stage 4: procedures from every results file (student rows summed, the
/// repeats across files taken off, aggregates deduplicated), the rows set
/// aside as duplicated aggregates, and the survey in long form.
fn measure(p: &Prepared) -> Result<(DataFrame, DataFrame, DataFrame, DataFrame)> {
    let mut student_parts = Vec::new();
    let mut aggregate_parts = Vec::new();
    for t in &p.results {
        let valid = t.checked.valid.clone();
        match t.form {
            Some(ResultsForm::Aggregate) => aggregate_parts.push((t.table.name.clone(), valid)),
            _ => student_parts.push(valid.lazy()),
        }
    }
    student_parts.extend(p.repeats.iter().map(|r| r.correction.clone().lazy()));
    let student_procedures = if student_parts.is_empty() {
        empty_procedures()
    } else {
        procedures::sum_parts(student_parts)?
    };
    let (aggregates, duplicate_rejections) =
        procedures::dedupe_aggregates(&student_procedures, aggregate_parts)?;
    let all_procedures = procedures::with_absent(
        procedures::combine(student_procedures, aggregates, CONFIDENCE, &p.score_table)?,
        p.results
            .iter()
            .filter_map(|t| t.absent_by_procedure.clone())
            .collect(),
    )?;
    let survey_long = concat(
        p.survey
            .iter()
            .map(|t| t.checked.valid.clone().lazy())
            .collect::<Vec<_>>(),
        UnionArgs::default(),
    )
    .map(|lf| lf.collect())
    .unwrap_or_else(|_| Ok(DataFrame::empty()))?;

    Ok((
        all_procedures,
        duplicate_rejections,
        survey_long,
        score_ranks(p)?,
    ))
}

/// Spearman's rs of journal mark and score per procedure, from the pairs of
/// every student-row file less the repeated rows.
fn score_ranks(p: &Prepared) -> Result<DataFrame> {
    let parts: Vec<LazyFrame> = p
        .results
        .iter()
        .filter_map(|t| t.pairs.clone())
        .chain(p.repeats.iter().map(|r| r.pair_correction.clone()))
        .map(DataFrame::lazy)
        .collect();
    if parts.is_empty() {
        return Ok(crate::measure::score_ranks::none());
    }
    let all = concat(parts, UnionArgs::default())?;
    Ok(crate::measure::score_ranks::spearman(all)?.collect()?)
}

fn distinct_years(frame: &DataFrame) -> Result<Vec<i32>> {
    Ok(frame
        .column("year")?
        .unique()?
        .i32()?
        .into_no_null_iter()
        .collect())
}

fn empty_procedures() -> DataFrame {
    let mut columns = vec![
        ("school_id", DataType::String),
        ("year", DataType::Int32),
        ("assessment", DataType::String),
        ("subject", DataType::String),
        ("grade", DataType::Int32),
        ("participants", DataType::Int64),
        ("failed", DataType::Int64),
    ];
    columns.extend(crate::measure::statistics::SUMS.iter().cloned());
    empty_frame(&columns)
}

fn count_resilient(outputs: &[(&'static str, DataFrame)]) -> usize {
    let schools = &outputs
        .iter()
        .find(|(n, _)| *n == "schools")
        .expect("schools output")
        .1;
    crate::codes::count(schools, ContextGroup::Resilient)
}

/// The output folder, checked against every input before anything is read.
fn claim_output(options: &RunOptions) -> Result<OutputTarget> {
    let methodology = options
        .methodology
        .as_deref()
        .map(std::path::Path::new)
        .filter(|p| p.exists());
    let mut read = vec![options.data_dir.as_path()];
    read.extend(methodology);
    read.extend(options.previous_lists.as_deref());
    let mut walked: Vec<PathBuf> = ["results", "survey", "previous-lists"]
        .iter()
        .map(|dir| options.data_dir.join(dir))
        .collect();
    walked.extend(options.previous_lists.clone());
    OutputTarget::claim(&options.out, &target::Inputs { read, walked })
}
