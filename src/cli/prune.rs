//! `aggregator prune`: apply the retention policy.

use super::{CliError, CliResult, PruneArgs};
use crate::config::Config;

pub fn run(_config: &Config, _args: &PruneArgs) -> CliResult {
    Err(CliError::Usage(anyhow::anyhow!("not implemented yet")))
}
