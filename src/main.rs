//! `shnor`: the command line at the edge of the library.

mod cmd;

use std::process::ExitCode;

use shnor::resources::Fit;

fn main() -> ExitCode {
    let cli = cmd::parse();
    match threads().and_then(|fit| cmd::execute(cli, fit)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ошибка: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Sets up the thread pools, fitted to a cap on virtual memory if there is
/// one (see `shnor::resources`). Runs before any other thread starts.
fn threads() -> anyhow::Result<Option<Fit>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let fit = shnor::resources::fit_to_address_space(cores)?;
    // Files are read and checked on rayon's pool; polars plans recurse deeply,
    // so give its threads the main thread's stack size rather than 2 MiB.
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
    if let Some(fit) = fit {
        shnor::resources::limit_malloc_arenas();
        let asked = std::env::var("POLARS_MAX_THREADS")
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        // SAFETY: no other thread exists yet to read the environment.
        unsafe { std::env::set_var("POLARS_MAX_THREADS", asked.min(fit.threads).to_string()) };
        pool = pool.num_threads(fit.threads);
    }
    let _ = pool.build_global();
    Ok(fit)
}
