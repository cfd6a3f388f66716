//! The config loaders: `watch::load_config` (the main file, which also reads the watchlist file
//! it names) and `watch::parse_watchlists` (a watchlist file's text), both on the same input.
//!
//! `load_config` needs a file: the input is written to `aggregator.toml` in a directory made once
//! per process, beside a fixed, valid `watchlists.toml` (no feed or sink names, so any config can
//! name it). An input whose `watchlists` key leaves that directory (absolute, `..`) is skipped:
//! reading `/dev/zero` or `/dev/stdin` would be the fuzzer's doing, not a bug.
//!
//! Oracle: no panic; a loaded config has the invariants `load_config` validates (a compiled watch
//! set, unique feed names, min_interval ≤ max_interval, stories window ≤ 30 days).
#![no_main]

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use aggregator::watch::{WatchSet, load_config, parse_watchlists};
use libfuzzer_sys::fuzz_target;

const WATCHLISTS: &str = r#"
[[watchlist]]
name = "dprk-japan"
terms = [["Kim Yo-jong", "김여정"], "\"Japan-DPRK summit\"", "북일", "/hwasong-\\d+/"]
exclude = ["K-pop"]
priority = "high"

[[watchlist]]
name = "korea-japan"
query = '(Japan OR 일본) AND ("North Korea" OR 북한) AND NOT K-pop'
"#;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("aggregator-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("watchlists.toml"), WATCHLISTS).expect("watchlists file");
        dir
    })
}

/// Whether the config's `watchlists` names a file outside the fuzzing directory.
fn escapes(text: &str) -> bool {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return false; // `load_config` stops at the same syntax error, before any read
    };
    let Some(w) = table.get("watchlists").and_then(|w| w.as_str()) else {
        return false;
    };
    !Path::new(w)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fuzz_target!(
    init: {
        dir();
    },
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let _ = parse_watchlists(Path::new("watchlists.toml"), text);
        if escapes(text) {
            return;
        }
        let path = dir().join("aggregator.toml");
        std::fs::write(&path, text).expect("write config");
        let Ok(config) = load_config(&path) else {
            return;
        };
        WatchSet::from_config(&config).expect("a loaded config compiles");
        let mut names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), config.feeds.len(), "duplicate feed names");
        assert!(config.defaults.min_interval <= config.defaults.max_interval);
        assert!(config.stories.window <= Duration::from_secs(30 * 86_400));
    }
);
