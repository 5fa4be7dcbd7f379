//! Methodology and adapter SQL may only read the tables the run registers.
//! polars' SQL has table functions that read files (`read_csv('…')` and
//! friends); a query that names one is refused before it runs.

use anyhow::{Result, bail};

/// polars SQL table functions that read from the file system.
const FILE_READERS: [&str; 4] = ["read_csv", "read_parquet", "read_ipc", "read_json"];

/// Refuses SQL that reads files; `origin` names the query in the message.
pub fn check(sql: &str, origin: &str) -> Result<()> {
    let lowered = sql.to_lowercase();
    let compact: String = lowered.chars().filter(|c| !c.is_whitespace()).collect();
    for reader in FILE_READERS {
        if compact.contains(&format!("{reader}(")) {
            bail!(
                "query {origin} calls {reader}(…): queries may only read the tables the run gives them \
                 (raw, procedures, schools, …), not files"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_reading_functions_are_refused() {
        assert!(check("SELECT * FROM raw", "a").is_ok());
        let err = check("SELECT * FROM READ_CSV ('/etc/passwd')", "adapters/x.sql").unwrap_err();
        assert!(
            err.to_string().contains("adapters/x.sql calls read_csv"),
            "{err}"
        );
        assert!(check("select * from read_parquet('x')", "q").is_err());
    }
}
