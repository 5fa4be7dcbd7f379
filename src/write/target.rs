//! Where a run may write. The output folder is replaced as a whole, so it
//! must be one this tool wrote (a folder with a shnor `manifest.json`), an
//! empty folder or a new one, and it may never be or hold an input. One run
//! at a time writes to a folder (an advisory lock beside it), and a commit
//! cut short by a kill is repaired by the next run.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The largest `manifest.json` read to decide whether a folder is ours.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// An output folder claimed for one run: checked, locked, repaired.
#[derive(Debug)]
pub struct OutputTarget {
    pub path: PathBuf,
    /// Held until the run ends; the OS releases it if the process dies.
    _lock: File,
    /// What was repaired (a previous run killed mid-commit), to be reported.
    pub notes: Vec<String>,
}

/// The inputs an output folder must keep clear of.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// Files and folders the output may not be, nor contain.
    pub read: Vec<&'a Path>,
    /// Folders whose whole contents are read: the output may not lie inside.
    pub walked: Vec<PathBuf>,
}

impl OutputTarget {
    /// Checks `out` against `inputs`, takes the lock and repairs an
    /// interrupted commit. Nothing is written when it fails.
    pub fn claim(out: &Path, inputs: &Inputs) -> Result<Self> {
        let out = absolute(out)?;
        refuse_inputs(&out, inputs)?;
        refuse_foreign(&out)?;
        let (parent, name) = parent_and_name(&out)?;
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("не удаётся создать папку {}", parent.display()))?;
        let lock = take_lock(&parent, &name, &out)?;
        let notes = repair(&parent, &name, &out)?;
        Ok(Self {
            path: out,
            _lock: lock,
            notes,
        })
    }

    /// The sibling folder a run stages its outputs in.
    pub fn staging_path(&self) -> PathBuf {
        let (parent, name) = parent_and_name(&self.path).expect("checked in claim");
        parent.join(format!(".{name}.partial-{}", std::process::id()))
    }

    /// Where the previous outputs wait while the new ones are moved in.
    pub fn aside_path(&self) -> PathBuf {
        let (parent, name) = parent_and_name(&self.path).expect("checked in claim");
        parent.join(format!(".{name}.previous-{}", std::process::id()))
    }
}

/// An absolute path without `.`/`..`, resolving links of the part that exists
/// (the output may not exist yet).
fn absolute(path: &Path) -> Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut existing = joined.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut resolved = real;
            for part in rest.iter().rev() {
                resolved.push(part);
            }
            return Ok(normalise(&resolved));
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return Ok(normalise(&joined)),
        }
    }
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parent_and_name(out: &Path) -> Result<(PathBuf, String)> {
    match (out.parent(), out.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_string_lossy().into())),
        _ => bail!(
            "--out {}: корень файловой системы не может быть папкой результатов; укажите отдельную папку, например out",
            out.display()
        ),
    }
}

/// The output may not be an input, contain one, or lie in a folder that is
/// read as a whole (the next run would read the lists as results).
fn refuse_inputs(out: &Path, inputs: &Inputs) -> Result<()> {
    for input in &inputs.read {
        let input = absolute(input)?;
        if input == out || input.starts_with(out) {
            bail!(
                "--out {}: эта папка содержит входные данные ({}); запись результатов удалила бы их. \
                 Укажите другую папку, например {}",
                out.display(),
                input.display(),
                suggestion(out)
            );
        }
    }
    for walked in &inputs.walked {
        let walked = absolute(walked)?;
        if out.starts_with(&walked) {
            bail!(
                "--out {}: папка лежит внутри {}, которая читается как входные данные; \
                 следующий запуск прочитал бы результаты как исходные файлы. Укажите папку вне неё",
                out.display(),
                walked.display()
            );
        }
    }
    Ok(())
}

fn suggestion(out: &Path) -> String {
    out.parent()
        .map(|p| p.join("shnor-out").display().to_string())
        .unwrap_or_else(|| "out".into())
}

/// A file, a link or a folder of other files is never replaced.
fn refuse_foreign(out: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        bail!(
            "--out {}: это символическая ссылка; укажите саму папку результатов",
            out.display()
        );
    }
    if !meta.is_dir() {
        bail!(
            "--out {}: это файл, а не папка; результаты пишутся в папку. Укажите другую папку",
            out.display()
        );
    }
    if is_ours(out) {
        return Ok(());
    }
    let mut entries: Vec<String> = std::fs::read_dir(out)
        .with_context(|| format!("не удаётся прочитать папку {}", out.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    entries.sort();
    let shown: Vec<&str> = entries.iter().take(3).map(String::as_str).collect();
    bail!(
        "--out {}: папка не пуста и не похожа на результаты shnor (нет manifest.json shnor; в ней: {}{}). \
         Запуск заменяет папку результатов целиком, поэтому в неё не пишет. Укажите новую или пустую папку",
        out.display(),
        shown.join(", "),
        if entries.len() > 3 { ", …" } else { "" }
    )
}

/// A folder with a `manifest.json` written by shnor.
pub fn is_ours(dir: &Path) -> bool {
    let path = dir.join("manifest.json");
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return false;
    };
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return false;
    }
    std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|json| json["tool"] == "shnor" && json["run_id"].is_string())
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

fn take_lock(parent: &Path, name: &str, out: &Path) -> Result<File> {
    let path = parent.join(format!(".{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("не удаётся создать файл блокировки {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "--out {}: в эту папку сейчас пишет другой запуск shnor; дождитесь его окончания \
             или укажите другую папку",
            out.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("не удаётся заблокировать {}", path.display()))
        }
    }
}

/// With the lock held no other run is writing here, so leftovers are from
/// killed runs: staging folders go; outputs moved aside by a commit that was
/// cut short come back when the folder is missing, and go otherwise.
fn repair(parent: &Path, name: &str, out: &Path) -> Result<Vec<String>> {
    let partial = format!(".{name}.partial-");
    let previous = format!(".{name}.previous-");
    let mut notes = Vec::new();
    let mut leftovers: Vec<PathBuf> = std::fs::read_dir(parent)
        .with_context(|| format!("не удаётся прочитать папку {}", parent.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&partial) || n.starts_with(&previous)
        })
        .map(|e| e.path())
        .collect();
    leftovers.sort();
    for path in leftovers {
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let aside = file_name.starts_with(&previous);
        if aside && !out.exists() && is_ours(&path) {
            std::fs::rename(&path, out).with_context(|| {
                format!("не удаётся вернуть прежние результаты {}", path.display())
            })?;
            notes.push(format!(
                "прежний запуск был прерван при замене результатов: результаты до него восстановлены в {}",
                out.display()
            ));
        } else if !aside || is_ours(&path) || is_empty_dir(&path) {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("не удаётся удалить {}", path.display()))?;
        }
    }
    Ok(notes)
}
