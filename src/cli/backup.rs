//! `aggregator backup PATH`: an online copy of the database.

use super::{CliError, CliResult, BackupArgs};
use crate::config::Config;

pub fn run(_config: &Config, _args: &BackupArgs) -> CliResult {
    Err(CliError::Usage(anyhow::anyhow!("not implemented yet")))
}
