//! `aggregator stats`: counts per feed, per day and per watchlist.

use super::{CliError, CliResult, StatsArgs};
use crate::config::Config;

pub fn run(_config: &Config, _args: &StatsArgs) -> CliResult {
    Err(CliError::Usage(anyhow::anyhow!("not implemented yet")))
}
