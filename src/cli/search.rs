//! `aggregator search QUERY`: full-text search over stored titles and summaries.

use super::{CliError, CliResult, SearchArgs};
use crate::config::Config;

pub fn run(_config: &Config, _args: &SearchArgs) -> CliResult {
    Err(CliError::Usage(anyhow::anyhow!("not implemented yet")))
}
