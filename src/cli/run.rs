//! `aggregator run`: the daemon in the foreground, wired to signals and systemd.
//! SIGTERM/SIGINT stop it gracefully; SIGHUP reloads both config files.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::{CliError, CliResult};
use crate::daemon::{self, DaemonError, Systemd};
use crate::refresh;

pub fn run(config_path: &Path) -> CliResult {
    // A broken config is a usage error (exit 2) before anything starts (the daemon loads it
    // again, and compiles the watchlists, as it starts).
    crate::config::load(config_path, &crate::watch::Syntax)
        .map_err(|e| CliError::Usage(e.into()))?;
    let runtime = refresh::runtime().context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let mut hup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
        let (reload_tx, reload_rx) = mpsc::channel(4);
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the configuration");
                let _ = reload_tx.try_send(());
            }
        });
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                _ = int.recv() => tracing::info!("SIGINT: stopping"),
            }
        };
        daemon::run(
            config_path.to_path_buf(),
            shutdown,
            reload_rx,
            Arc::new(Systemd),
        )
        .await
        .map_err(|e| match e {
            DaemonError::Config(c) => CliError::Usage(c.into()),
            other => CliError::Runtime(other.into()),
        })
    });
    drop(runtime);
    result.map(|_| ())
}
