//! Loading the config files with this module's term and query syntax. The config module reads
//! and checks both files but does not know how terms and queries are written: it asks
//! [`Syntax`] about each one and reports what it rejects at its line and column. Every command
//! that matches or delivers, and the daemon (at start and on reload), load through
//! [`load_config`]; reports load through [`load_for_reports`].

use std::path::Path;

use super::{WatchSet, parse_query, parse_term};
use crate::config::{self, Config, ConfigError, TermError, TermSyntax, WatchlistSpec};

/// The syntax of terms ([`parse_term`]) and queries ([`parse_query`]), for the config loader.
#[derive(Debug, Clone, Copy, Default)]
pub struct Syntax;

impl TermSyntax for Syntax {
    fn check_term(&self, term: &str) -> Result<(), TermError> {
        parse_term(term).map(|_| ())
    }

    fn check_query(&self, query: &str) -> Result<(), TermError> {
        parse_query(query).map(|_| ())
    }
}

/// Reads and validates the main config file and the watchlist file it names, every term and
/// query included ([`config::load`] with [`Syntax`]), and checks that the watchlists compile.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    load(path).map(|(config, _)| config)
}

/// The config as reports read it ([`config::load_for`] with [`Syntax`] and
/// [`config::Purpose::Reports`]): sink secrets are not read, and a watchlist file that does not
/// load is set aside and returned, for the caller to warn about.
pub fn load_for_reports(path: &Path) -> Result<(Config, Option<ConfigError>), ConfigError> {
    config::load_for(path, &Syntax, config::Purpose::Reports)
}

/// [`load_config`], also returning the watchlists compiled (once per load: the daemon keeps
/// them).
pub fn load(path: &Path) -> Result<(Config, WatchSet), ConfigError> {
    let config = config::load(path, &Syntax)?;
    let set = WatchSet::from_config(&config)?;
    Ok((config, set))
}

/// Reads a watchlist file's text (`path` is only used in messages): every term, query and
/// setting is checked, but not the feed and sink names it refers to
/// ([`config::parse_watchlists`] with [`Syntax`]).
pub fn parse_watchlists(path: &Path, src: &str) -> Result<Vec<WatchlistSpec>, ConfigError> {
    config::parse_watchlists(path, src, &Syntax)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error loading a main config `a.toml` that names `w.toml` with `watchlists`, the
    /// temporary directory shown as `DIR`.
    fn err(watchlists: &str) -> String {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("w.toml"), watchlists).unwrap();
        let main = d.path().join("a.toml");
        std::fs::write(&main, "watchlists = \"w.toml\"\n").unwrap();
        let e = load_config(&main).unwrap_err().to_string();
        e.replace(&d.path().display().to_string(), "DIR")
    }

    #[test]
    fn bad_terms_and_queries_are_reported_where_they_are() {
        let e = err("[[watchlist]]\nname = \"x\"\nterms = [\"ok\", \"  \"]\n");
        assert!(
            e.starts_with("DIR/w.toml:3:17: watchlist.terms: watchlist \"x\": empty term"),
            "{e}"
        );
        let e = err("[[watchlist]]\nname = \"x\"\nany = [[\"ok\", 'title:\"Kim']]\n");
        assert!(
            e.starts_with("DIR/w.toml:3:22: watchlist.any: watchlist \"x\": unterminated quote"),
            "{e}"
        );
        let e = err("[[watchlist]]\nname = \"x\"\nquery = \"\"\"\nKim AND\n(Japan\"\"\"\n");
        assert!(
            e.starts_with("DIR/w.toml:5:1: watchlist.query: watchlist \"x\": "),
            "{e}"
        );
    }

    #[test]
    fn good_files_load_and_compile() {
        let d = tempfile::tempdir().unwrap();
        let w = "[[watchlist]]\nname = \"x\"\nterms = [[\"Kim Yo-jong\", \"김여정\"], \"/hwasong-\\\\d+/\"]\nquery = '(Japan OR 일본) AND NOT K-pop'\n";
        std::fs::write(d.path().join("w.toml"), w).unwrap();
        let main = d.path().join("a.toml");
        std::fs::write(&main, "watchlists = \"w.toml\"\n").unwrap();
        let config = load_config(&main).unwrap();
        assert_eq!(WatchSet::from_config(&config).unwrap().names(), ["x"]);
        let specs = parse_watchlists(Path::new("w.toml"), w).unwrap();
        assert_eq!(specs, config.watchlists);
    }
}
