//! Stage 3: measures per procedure (failure counts, shares, intervals). The
//! social risk score is measured by the methodology's SQL (classify stage),
//! because its construction is part of the methodology.

pub mod clean_students;
pub mod procedures;
pub mod repeats;
pub mod row_hash;
pub mod score_ranks;
pub mod statistics;
