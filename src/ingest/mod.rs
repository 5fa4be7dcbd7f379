//! Stage 1: find the input files of a data directory and read them.

pub mod format;
pub mod indicators;
pub mod layouts;
pub mod normalize;
pub mod passport;
pub mod personal;
pub mod table;
pub mod text;
pub mod xlsx;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

pub use table::{Adapter, CsvOverrides, LoadedFile, RawTable, load_file, read_file, read_table};

/// Adapters shipped inside the binary, addressed as `builtin:NAME`.
const BUILTIN_ADAPTERS: &[(&str, &str)] = &[
    (
        "mos-ege-2016-results.sql",
        include_str!("../../queries/adapters/mos-ege-2016-results.sql"),
    ),
    (
        "mos-ege-2016-schools.sql",
        include_str!("../../queries/adapters/mos-ege-2016-schools.sql"),
    ),
];

/// The data directory's file of school renamings and mergers
/// (`old_id,new_id[,year]`), read by [`crate::validate::school_ids`].
pub const RENAMINGS: &str = "school-ids.csv";

/// `adapters.toml` of a data directory.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdapterFile {
    #[serde(default)]
    adapter: Vec<Adapter>,
}

/// The files of a data directory, in a stable order.
#[derive(Debug)]
pub struct DataDirFiles {
    pub root: PathBuf,
    pub schools: PathBuf,
    pub results: Vec<PathBuf>,
    pub survey: Vec<PathBuf>,
    /// `previous-lists/`, when the data directory has one.
    pub previous_lists: Option<PathBuf>,
    /// Adapters from `adapters.toml`, with their SQL loaded.
    pub adapters: Vec<Adapter>,
    /// The text of `school-ids.csv` (renamings and mergers), when present.
    pub renamings: Option<String>,
    /// Files seen but not read (with the reason), so that nothing disappears
    /// without a word.
    pub ignored: Vec<String>,
}

impl DataDirFiles {
    /// Finds `schools.{csv,parquet}`, `results/` and `survey/` under `root`.
    pub fn discover(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            bail!(
                "папки данных {} нет; укажите папку, где лежат schools.csv, results/ и survey/",
                root.display()
            );
        }
        let root = &root
            .canonicalize()
            .with_context(|| format!("не удаётся открыть папку {}", root.display()))?;
        let candidates: Vec<PathBuf> = ["schools.csv", "schools.parquet", "schools.xlsx"]
            .iter()
            .map(|n| root.join(n))
            .filter(|p| p.is_file())
            .collect();
        let schools = match candidates.as_slice() {
            [one] => {
                let name = one.file_name().unwrap_or_default().to_string_lossy();
                crate::files::confined(root, &name, "реестр школ")?
            }
            [] => bail!(
                "{}: нет реестра школ; добавьте schools.csv (или .parquet, .xlsx) со столбцами school_id, school_name, municipality",
                root.display()
            ),
            _ => bail!(
                "{}: больше одного файла реестра школ (schools.csv, .parquet, .xlsx); оставьте один, чтобы реестр был однозначным",
                root.display()
            ),
        };
        let mut ignored = Vec::new();
        let results_dir = root.join("results");
        if !results_dir.is_dir() {
            bail!(
                "{}: нет папки results/; положите файлы результатов оценочных процедур (CSV, Parquet или XLSX) в {}",
                root.display(),
                results_dir.display()
            );
        }
        let results = list_files(root, &results_dir, &mut ignored)?;
        if results.is_empty() {
            bail!(
                "{}: в папке results/ нет файлов CSV, Parquet или XLSX",
                root.display()
            );
        }
        let survey_dir = root.join("survey");
        let survey = if survey_dir.is_dir() {
            list_files(root, &survey_dir, &mut ignored)?
        } else {
            Vec::new()
        };
        let previous_lists = Some(root.join("previous-lists")).filter(|p| p.is_dir());
        let adapters = load_adapters(root)?;
        let renamings_path = root.join(RENAMINGS);
        let renamings = if renamings_path.is_file() {
            let what = "переименования школ (school-ids.csv)";
            let path = crate::files::confined(root, RENAMINGS, what)?;
            Some(crate::files::read_settings(&path, what)?)
        } else {
            None
        };
        let files = Self {
            root: root.to_path_buf(),
            schools,
            results,
            survey,
            previous_lists,
            adapters,
            renamings,
            ignored,
        };
        Ok(files.with_unused_adapters_said())
    }

    /// An adapter whose pattern matches no file is a typo more often than
    /// not; it is said, not ignored.
    fn with_unused_adapters_said(mut self) -> Self {
        let names: Vec<String> = std::iter::once(&self.schools)
            .chain(&self.results)
            .chain(&self.survey)
            .map(|p| self.display_name(p))
            .collect();
        for adapter in &self.adapters {
            let used = glob::Pattern::new(&adapter.files)
                .is_ok_and(|p| names.iter().any(|n| p.matches(n)));
            if !used {
                self.ignored.push(format!(
                    "adapters.toml: files = «{}» не совпадает ни с одним файлом; адаптер {} не применён",
                    adapter.files,
                    adapter.shown()
                ));
            }
        }
        self
    }

    /// The CSV and Parquet files of any folder (sorted), e.g. earlier lists.
    pub fn list_folder(dir: &Path) -> Result<Vec<PathBuf>> {
        if !dir.is_dir() {
            bail!("{} — не папка", dir.display());
        }
        let mut ignored = Vec::new();
        list_files(dir, dir, &mut ignored)
    }

    /// How messages name a file: its path inside the data directory.
    pub fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The adapter whose `files` pattern matches a file, if any (the first).
    pub fn adapter_for(&self, path: &Path) -> Option<&Adapter> {
        let name = self.display_name(path);
        self.adapters.iter().find(|a| {
            glob::Pattern::new(&a.files)
                .map(|p| p.matches(&name))
                .unwrap_or(false)
        })
    }

    /// Reads many files at once (rayon): their tables in the order of
    /// `paths`, and what could not be read as a table (sheets without a
    /// header), to be reported.
    /// Loads `paths` in order on one thread (read, hash, decode) and hands
    /// each file to `check` on two workers, each using polars' threads. At
    /// most four files are in memory (two checked, one loaded, one loading);
    /// two workers keep both cores busy on small files, where a file's fixed
    /// cost dominates. The results come back in `paths` order, and the first
    /// error in that order is returned. (Checking every file as a rayon task
    /// started them all at once: a rayon thread waiting for polars picks up
    /// the next task.)
    pub fn check_in_order<T: Send>(
        &self,
        paths: &[PathBuf],
        overrides: CsvOverrides,
        check: impl Fn(LoadedFile) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        const WORKERS: usize = 2;
        let (next, loaded_files) = std::sync::mpsc::sync_channel(1);
        // The receiver is taken away at the first error: the loader's next
        // send then fails and it stops, and the workers stop at their next
        // file.
        let loaded_files = std::sync::Mutex::new(Some(loaded_files));
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for (index, path) in paths.iter().enumerate() {
                    let loaded = load_file(path, &self.display_name(path), overrides);
                    let failed = loaded.is_err();
                    if next.send((index, loaded)).is_err() || failed {
                        break;
                    }
                }
            });
            let (check, loaded_files) = (&check, &loaded_files);
            let workers: Vec<_> = (0..WORKERS)
                .map(|_| {
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        loop {
                            let received = match loaded_files.lock().expect("not poisoned").as_ref()
                            {
                                Some(receiver) => receiver.recv(),
                                None => break,
                            };
                            let Ok((index, loaded)) = received else {
                                break;
                            };
                            let checked = loaded.and_then(check);
                            let failed = checked.is_err();
                            done.push((index, checked));
                            if failed {
                                loaded_files.lock().expect("not poisoned").take();
                                break;
                            }
                        }
                        done
                    })
                })
                .collect();
            let mut done: Vec<(usize, Result<T>)> = workers
                .into_iter()
                .flat_map(|w| w.join().expect("a checking thread panicked"))
                .collect();
            // Every file before a failed one was started, so the first
            // error in file order does not depend on timing.
            done.sort_by_key(|(index, _)| *index);
            done.into_iter().map(|(_, checked)| checked).collect()
        })
    }

    pub fn read_all(
        &self,
        paths: &[PathBuf],
        overrides: CsvOverrides,
    ) -> Result<(Vec<RawTable>, Vec<String>)> {
        let files: Vec<table::ReadFile> = paths
            .par_iter()
            .map(|p| read_file(p, &self.display_name(p), overrides, self.adapter_for(p)))
            .collect::<Result<_>>()?;
        let mut tables = Vec::new();
        let mut skipped = Vec::new();
        for file in files {
            tables.extend(file.tables);
            skipped.extend(file.skipped);
        }
        Ok((tables, skipped))
    }

    /// Reads the school registry (through its adapter, if one matches).
    pub fn read_schools(&self, overrides: CsvOverrides) -> Result<RawTable> {
        let name = self.display_name(&self.schools);
        let mut file = read_file(
            &self.schools,
            &name,
            overrides,
            self.adapter_for(&self.schools),
        )?;
        match file.tables.len() {
            1 => Ok(file.tables.remove(0)),
            n => bail!("{name}: таблицы на {n} листах; оставьте реестр на одном листе"),
        }
    }
}

/// Reads `adapters.toml` (if present) and loads each adapter's SQL.
fn load_adapters(root: &Path) -> Result<Vec<Adapter>> {
    let path = root.join("adapters.toml");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = crate::files::read_settings(&path, "adapters.toml")?;
    let file: AdapterFile = toml::from_str(&text).with_context(|| {
        format!(
            "{} с ошибкой: см. README, раздел «Bringing your region's exports»",
            path.display()
        )
    })?;
    file.adapter
        .into_iter()
        .map(|mut a| {
            glob::Pattern::new(&a.files).with_context(|| {
                format!(
                    "{}: `files = \"{}\"` — неверный шаблон имени файла",
                    path.display(),
                    a.files
                )
            })?;
            if a.query.is_none() && a.sheet.is_none() && a.header_row.is_none() && a.set.is_empty() {
                bail!(
                    "{}: адаптер files = «{}» ничего не задаёт; укажите query, sheet, header_row или set",
                    path.display(),
                    a.files
                );
            }
            if let Some(query) = &a.query {
                a.sql = adapter_sql(root, &path, query)?;
            }
            Ok(a)
        })
        .collect()
}

/// An adapter's SQL text: a shipped one (`builtin:NAME`) or a file inside
/// the data directory.
fn adapter_sql(root: &Path, settings: &Path, query: &str) -> Result<String> {
    match query.strip_prefix("builtin:") {
        Some(name) => BUILTIN_ADAPTERS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, q)| q.to_string())
            .with_context(|| {
                format!(
                    "{}: встроенного адаптера `{query}` нет; встроенные адаптеры: {}",
                    settings.display(),
                    BUILTIN_ADAPTERS
                        .iter()
                        .map(|(n, _)| format!("builtin:{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        None => {
            let what = format!("adapters.toml: query = «{query}»");
            let path = crate::files::confined(root, query, &what)?;
            crate::files::read_settings(&path, &what)
        }
    }
}

/// The table files under `dir`, sorted. Links are followed only when they
/// stay inside `root`, each folder is walked once (a link back up is a loop,
/// not more files), and anything but a regular file — a FIFO would hang the
/// read, a device never ends — is reported, not read.
fn list_files(root: &Path, dir: &Path, ignored: &mut Vec<String>) -> Result<Vec<PathBuf>> {
    // Links may lead anywhere inside the folder walked, not above it: a
    // link up to the data directory would read the registry as results.
    let walked_real = dir
        .canonicalize()
        .with_context(|| format!("не удаётся открыть папку {}", dir.display()))?;
    let walked_name = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
    let walked_name = if walked_name.is_empty() {
        ".".into()
    } else {
        walked_name
    };
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut found = Vec::new();
    let mut visited = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        if !visited.insert(current.canonicalize().unwrap_or_else(|_| current.clone())) {
            ignored.push(format!(
                "{}: папка уже прочитана (ссылка образует цикл); повторно не читается",
                shown(&current)
            ));
            continue;
        }
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("не удаётся прочитать папку {}", current.display()))?;
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if file_name.starts_with('.') {
                continue;
            }
            let kind = match entry_kind(&entry, &walked_real, &walked_name) {
                Ok(kind) => kind,
                Err(why) => {
                    ignored.push(format!("{}: не читается ({why})", shown(&path)));
                    continue;
                }
            };
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if format::InputFormat::of(&path).is_some() {
                found.push(path);
            } else {
                ignored.push(format!(
                    "{}: не читается (читаются только файлы CSV, Parquet и XLSX)",
                    shown(&path)
                ));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// What a folder entry is, after following a link that stays inside
/// `walked_real`; `Err` says why it is not read.
fn entry_kind(
    entry: &std::fs::DirEntry,
    walked_real: &Path,
    walked_name: &str,
) -> Result<std::fs::FileType, String> {
    let mut kind = entry.file_type().map_err(|e| e.to_string())?;
    if kind.is_symlink() {
        let target = entry
            .path()
            .canonicalize()
            .map_err(|_| "символическая ссылка никуда не ведёт".to_string())?;
        if !target.starts_with(walked_real) {
            return Err(format!(
                "символическая ссылка ведёт за пределы папки {walked_name}"
            ));
        }
        kind = std::fs::metadata(&target)
            .map_err(|e| e.to_string())?
            .file_type();
    }
    if kind.is_dir() || kind.is_file() {
        Ok(kind)
    } else {
        Err("не обычный файл: устройство, канал или сокет".into())
    }
}

/// Reads every CSV/Parquet file of a folder of earlier published lists,
/// each named `FOLDER/FILE` in messages.
pub fn read_previous_lists(dir: &Path, csv: CsvOverrides) -> Result<Vec<RawTable>> {
    let files = DataDirFiles::list_folder(dir)?;
    if files.is_empty() {
        bail!(
            "в папке прежних списков {} нет файлов CSV или Parquet",
            dir.display()
        );
    }
    let tables: Vec<RawTable> = files
        .iter()
        .map(|p| {
            let name = format!(
                "{}/{}",
                dir.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                p.strip_prefix(dir).unwrap_or(p).display()
            );
            read_table(p, &name, csv)
        })
        .collect::<Result<_>>()?;
    Ok(tables)
}
