//! The `aggregator` binary: parse arguments, set up logging, run, map errors to exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use aggregator::cli::{self, Cli};
use aggregator::text::clean_line;

/// jemalloc gives freed memory back to the system; glibc's malloc kept the peak of every large
/// parse in its per-thread arenas (README, "Memory").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: a background thread returns freed pages to the
/// system a second after they fall idle (`dirty_decay_ms`), straight away rather than through
/// lazily freed pages that still count as resident (`muzzy_decay_ms:0`). `MALLOC_CONF` in the
/// environment (`_RJEM_MALLOC_CONF`) still overrides them.
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: Option<&'static u8> =
    Some(&b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0"[0]);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon reports its events (start, reload, moves, stores) by default; one-shot
    // commands only warnings.
    let base = u8::from(matches!(cli.command, cli::Command::Run));
    init_tracing(cli.verbose.saturating_add(base));
    // Panics are contained where input is parsed; make any that happen a log line, not a
    // backtrace dump on the terminal or in the journal.
    std::panic::set_hook(Box::new(
        |info| tracing::error!(panic = %info, "internal error"),
    ));
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let err = e.error();
            if is_broken_pipe(err) {
                // The reader went away (`aggregator list | head`): not an error.
                return ExitCode::SUCCESS;
            }
            // Messages can quote feed or config text: print them cleaned, and skip a cause
            // whose text the message before it already includes.
            let mut shown = clean_line(&err.to_string());
            eprintln!("error: {shown}");
            for cause in err.chain().skip(1) {
                let text = clean_line(&cause.to_string());
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                shown = text;
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
            // serde_json's error hides the io::Error it wraps from `source()`.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    // Under systemd the journal stamps every line itself.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        fmt.without_time().init();
    } else {
        fmt.init();
    }
}
