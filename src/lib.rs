//! shnor: identification of ШНОР (schools with low educational results) and
//! ШНСУ (schools in unfavourable social conditions) from regional assessment
//! exports.
//!
//! The pipeline, one module per stage:
//! [`ingest`] → [`validate`] → [`measure`] → [`classify`] → [`write`](mod@write),
//! orchestrated by [`pipeline`]. The rule itself is data: a
//! [`methodology`] file and the SQL in `queries/`.

pub mod check;
pub mod classify;
pub mod codes;
pub mod compare;
pub mod explain;
pub mod files;
pub mod finished;
pub mod ingest;
pub mod measure;
pub mod methodology;
pub mod outputs;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rerun;
pub mod resources;
pub mod russian;
pub mod sample;
pub mod sql_guard;
pub mod validate;
pub mod write;
