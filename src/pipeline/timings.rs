//! The stage timer: how long each stage took (for the manifest) and the
//! progress shown while it runs.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::progress::Progress;

/// Stage timer for the manifest, and the progress shown while it runs.
#[derive(Default)]
pub struct Timings {
    pub(crate) done: BTreeMap<String, u128>,
    current: Option<(String, Instant)>,
    pub progress: Progress,
}

impl Timings {
    pub fn new(progress: Progress) -> Self {
        Self {
            progress,
            ..Default::default()
        }
    }

    pub(crate) fn stage(&mut self, name: &str) {
        self.stage_of(name, None);
    }

    /// A stage whose work (bytes of input) is known, for a progress bar.
    pub(crate) fn stage_of(&mut self, name: &str, work: Option<u64>) {
        self.finish();
        self.current = Some((name.to_string(), Instant::now()));
        self.progress.stage(&stage_label(name), work);
    }

    pub(crate) fn finish(&mut self) {
        if let Some((name, start)) = self.current.take() {
            self.done.insert(name, start.elapsed().as_millis());
        }
        self.progress.finish();
    }
}

/// The stages as the manifest names them and as the progress shows them.
const STAGES: [(&str, &str); 6] = [
    ("1_methodology", "методика"),
    ("2_read_and_check_results", "чтение и проверка результатов"),
    ("3_read_and_check_survey", "чтение и проверка анкет"),
    ("4_measure", "расчёт по процедурам"),
    ("5_classify", "отнесение к спискам"),
    ("6_write", "запись результатов"),
];

/// `2_read_and_check_results` → `[2/6] чтение и проверка результатов`.
fn stage_label(name: &str) -> String {
    let number = name.split_once('_').map_or("", |(n, _)| n);
    let words = STAGES
        .iter()
        .find(|(key, _)| *key == name)
        .map_or(name, |(_, label)| label);
    format!("[{number}/{}] {words}", STAGES.len())
}
