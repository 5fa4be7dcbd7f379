//! Fitting the run to a cap on virtual memory (`ulimit -v`, RLIMIT_AS).
//!
//! Under such a cap the run fails not for lack of memory but of address
//! space: glibc reserves 64 MB of it for each malloc arena (one per thread
//! that allocates, up to eight per core), and every thread reserves its
//! stack. A failed reservation aborts the process or leaves a polars worker
//! thread unspawned, and the pool then waits for it forever. So when a cap
//! is set the arenas are limited to two, the threads are as many as the cap
//! leaves room for, and reading is capped below it (as `--max-memory` does)
//! so that a large input is refused with a message instead of an abort.

use anyhow::{Result, bail};

/// Address space for the program, its libraries and a small run.
const BASE: u64 = 320 << 20;
/// Address space per thread of work: its stack and those of the polars and
/// async threads that come with it.
const PER_THREAD: u64 = 32 << 20;

/// What a cap on virtual memory leaves the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// Threads of work (rayon and polars pools).
    pub threads: usize,
    /// Memory for reading inputs, as `--max-memory` gives it.
    pub memory: u64,
}

/// The fit for the process's own cap; None when there is none.
pub fn fit_to_address_space(cores: usize) -> Result<Option<Fit>> {
    match address_space_cap() {
        Some(cap) => fit(cap, cores).map(Some),
        None => Ok(None),
    }
}

/// The fit for `cap` bytes of address space and `cores` cores.
pub fn fit(cap: u64, cores: usize) -> Result<Fit> {
    let room = cap.saturating_sub(BASE);
    let threads = (room / PER_THREAD) as usize;
    if threads == 0 {
        bail!(
            "ограничение виртуальной памяти (ulimit -v) {} МБ меньше нужного для запуска (не меньше {} МБ); \
             поднимите его",
            cap >> 20,
            (BASE + PER_THREAD) >> 20
        );
    }
    let threads = threads.min(cores.max(1));
    Ok(Fit {
        threads,
        memory: room - threads as u64 * PER_THREAD,
    })
}

#[cfg(unix)]
fn address_space_cap() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) };
    // rlim_t is not u64 on every target.
    #[allow(clippy::unnecessary_cast)]
    let cap = limit.rlim_cur as u64;
    (status == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(cap)
}

#[cfg(not(unix))]
fn address_space_cap() -> Option<u64> {
    None
}

/// Limits glibc to two malloc arenas; call before any thread starts.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_decides_threads_and_reading_memory() {
        let big = fit(1 << 30, 16).unwrap();
        assert_eq!(big.threads, 16);
        assert_eq!(big.memory, (1 << 30) - BASE - 16 * PER_THREAD);
        assert_eq!(fit(384 << 20, 16).unwrap().threads, 2);
        assert_eq!(fit(512 << 20, 16).unwrap().threads, 6);
        assert_eq!(fit(64 << 30, 4).unwrap().threads, 4);
        let err = fit(256 << 20, 2).unwrap_err().to_string();
        assert!(err.contains("ulimit -v) 256 МБ меньше нужного"), "{err}");
    }
}
