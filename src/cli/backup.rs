//! `aggregator backup PATH [--force]`: a consistent copy of the database with SQLite's online
//! backup, safe while the daemon writes. Restore by stopping the daemon and putting the copy
//! in the database's place (README, "Backup and restore").

use std::io::Write;

use super::{BackupArgs, CliError, CliResult};
use crate::config::Config;
use crate::store::maintenance::{BackupError, backup};

pub fn run(config: &Config, args: &BackupArgs) -> CliResult {
    let bytes = backup(&config.database, &args.path, args.force).map_err(|e| match e {
        BackupError::Exists(_)
        | BackupError::IsDatabase(_)
        | BackupError::Store(crate::store::StoreError::Foreign { .. }) => CliError::Usage(e.into()),
        e => CliError::Runtime(e.into()),
    })?;
    writeln!(
        std::io::stdout(),
        "backup: {} → {} ({bytes} bytes)",
        config.database.display(),
        args.path.display()
    )?;
    Ok(())
}
