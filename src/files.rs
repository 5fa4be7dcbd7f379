//! Reading the files a run is pointed at, safely: only regular files (never a
//! device, a FIFO or a folder), small ones where a setting is expected, and
//! only inside the folder that names them.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The largest methodology, SQL, adapter or table-of-settings file read.
pub const MAX_SETTINGS_BYTES: u64 = 16 << 20;

/// Refuses anything but a regular file (links are followed: where they lead
/// is checked by [`confined`]); `what` names it in the message.
pub fn regular_file(path: &Path, what: &str) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{what}: файл {} не найден или не читается", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{what}: {} — не обычный файл (папка, устройство или канал); укажите файл с данными",
            path.display()
        );
    }
    Ok(meta)
}

/// A small text file (methodology, query, table of settings), read whole
/// after checking that it is a regular file of at most [`MAX_SETTINGS_BYTES`].
pub fn read_settings(path: &Path, what: &str) -> Result<String> {
    let meta = regular_file(path, what)?;
    if meta.len() > MAX_SETTINGS_BYTES {
        bail!(
            "{what}: {} занимает {} МБ, больше допустимых {} МБ для файла настроек; проверьте, тот ли это файл",
            path.display(),
            meta.len() >> 20,
            MAX_SETTINGS_BYTES >> 20
        );
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SETTINGS_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("{what}: не удаётся прочитать {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{what}: {} не в кодировке UTF-8; сохраните файл в UTF-8",
            path.display()
        )
    })
}

/// `reference` (relative to `root`, or absolute) resolved, links included,
/// and refused unless it lies inside `root`: a setting in a folder may only
/// point into that folder.
pub fn confined(root: &Path, reference: &str, what: &str) -> Result<PathBuf> {
    let path = root.join(reference);
    let root_real = root
        .canonicalize()
        .with_context(|| format!("{what}: папка {} не найдена", root.display()))?;
    let real = path
        .canonicalize()
        .with_context(|| format!("{what}: файл {} не найден", path.display()))?;
    if !real.starts_with(&root_real) {
        bail!(
            "{what}: «{reference}» указывает за пределы папки {}; файлы, на которые ссылаются \
             настройки, должны лежать в этой папке",
            root.display()
        );
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_root_are_read() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("q.sql"), "SELECT 1").unwrap();
        let inside = confined(dir.path(), "q.sql", "запрос").unwrap();
        assert_eq!(read_settings(&inside, "запрос").unwrap(), "SELECT 1");
        let err = confined(dir.path(), "../../../../etc/passwd", "запрос").unwrap_err();
        assert!(err.to_string().contains("за пределы папки"), "{err}");
        let err = confined(dir.path(), "/etc/hostname", "запрос").unwrap_err();
        assert!(err.to_string().contains("за пределы папки"), "{err}");
        let err = read_settings(Path::new("/dev/zero"), "запрос").unwrap_err();
        assert!(err.to_string().contains("не обычный файл"), "{err}");
        let err = read_settings(dir.path(), "запрос").unwrap_err();
        assert!(err.to_string().contains("не обычный файл"), "{err}");
    }
}
