//! Time arguments of the report commands (`--since`, `--until`), read by
//! [`crate::timespec::parse_time`].

use chrono::{DateTime, Utc};

pub use crate::timespec::parse_time;

/// Parses the value of a time flag (`--since`, `--until`); a bad one is a usage error naming
/// the flag.
pub fn time_arg(s: &str, flag: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, super::CliError> {
    parse_time(s, now).map_err(|m| super::CliError::Usage(anyhow::anyhow!("{flag}: {m}")))
}

/// [`time_arg`] for a flag that may be absent.
pub fn optional_time_arg(
    s: &Option<String>,
    flag: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, super::CliError> {
    s.as_deref().map(|s| time_arg(s, flag, now)).transpose()
}
