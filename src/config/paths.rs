//! Where the paths a config names lead: relative to the directory of the file that names them,
//! without `.` and `..` (so `config check` and messages show `target/demo/aggregator.db`, not
//! `config/../target/demo/aggregator.db`), and the database of a config under `/etc` in the
//! service's state directory rather than beside the config.

use std::path::{Component, Path, PathBuf};

use toml::Spanned;

use super::error::{ConfigError, Source};

/// The service's state directory (the unit's `StateDirectory=aggregator`). A config under
/// `/etc` keeps a relative (or default) `database` here, so the CLI run from a root shell and
/// the daemon find the same file, and nothing is ever created in `/etc`.
pub const STATE_DIR: &str = "/var/lib/aggregator";

/// Environment variable that, when set, replaces the config's `database`.
pub const DATABASE_ENV: &str = "AGGREGATOR_DATABASE";

/// `path` without `.` components, and with each `..` taking away the name before it (lexically:
/// symbolic links are not followed). A leading `..` of a relative path stays.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// `name` relative to `base` (unless absolute), normalised.
pub(super) fn resolve(base: &Path, name: &str) -> PathBuf {
    normalise(&base.join(name))
}

/// The directory a relative `database` resolves against for the main config at `config`: the
/// config's own directory, or [`STATE_DIR`] when that directory is under `/etc`.
pub fn database_dir(config: &Path) -> PathBuf {
    let dir = config.parent().unwrap_or(Path::new(""));
    let absolute = std::path::absolute(dir).map_or_else(|_| dir.to_path_buf(), |d| normalise(&d));
    if absolute.starts_with("/etc") {
        PathBuf::from(STATE_DIR)
    } else {
        normalise(dir)
    }
}

/// `database` (default `aggregator.db`), relative to [`database_dir`], unless [`DATABASE_ENV`]
/// names one.
pub(super) fn database(
    raw: Option<&Spanned<String>>,
    config: &Path,
    src: Source,
) -> Result<PathBuf, ConfigError> {
    let name = match raw {
        Some(db) if db.get_ref().trim().is_empty() => {
            return Err(src.invalid(db.span(), "database", "must not be empty".into()));
        }
        Some(db) => sqlite_path(db.get_ref())
            .map_err(|message| src.invalid(db.span(), "database", message))?,
        None => "aggregator.db",
    };
    let database = resolve(&database_dir(config), name);
    // The service unit points the database into its state directory this way too, so one
    // config file serves both a checkout and an installed service.
    Ok(match std::env::var_os(DATABASE_ENV) {
        Some(db) if !db.is_empty() => match db.to_str() {
            Some(text) => {
                let path = sqlite_path(text).map_err(|message| ConfigError::Invalid {
                    at: super::error::Location::file(config),
                    key: DATABASE_ENV.into(),
                    message,
                })?;
                normalise(Path::new(path))
            }
            None => normalise(Path::new(&db)),
        },
        _ => database,
    })
}

/// The SQLite file a `database` value names: a path as it is, or a `sqlite:` URL
/// (`sqlite:///var/lib/aggregator/aggregator.db`, `sqlite:aggregator.db`). Any other
/// `scheme://` is refused, naming it, rather than taken for a relative path (where
/// `postgres://…` would silently become a directory named `postgres:`).
fn sqlite_path(value: &str) -> Result<&str, String> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        return if path.is_empty() {
            Err(
                "a sqlite: URL needs a file path (`sqlite:///var/lib/aggregator/aggregator.db`)"
                    .into(),
            )
        } else {
            Ok(path)
        };
    }
    let Some((scheme, _)) = value.split_once("://") else {
        return Ok(value);
    };
    let is_scheme = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        return Ok(value);
    }
    // The value is shown without a password it may carry.
    let shown = match url::Url::parse(value) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => value.to_string(),
    };
    Err(match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => format!(
            "`{shown}` names a PostgreSQL database, which this version cannot use yet: give the \
             path of a SQLite file (or a `sqlite:` URL)"
        ),
        _ => format!(
            "`{shown}` is a `{scheme}://` URL, not a database this version can use: give the path \
             of a SQLite file (or a `sqlite:` URL)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_value_is_a_path_or_a_sqlite_url_and_nothing_else() {
        assert_eq!(sqlite_path("aggregator.db"), Ok("aggregator.db"));
        assert_eq!(sqlite_path("/var/lib/a/x.db"), Ok("/var/lib/a/x.db"));
        assert_eq!(
            sqlite_path("sqlite:///var/lib/a/x.db"),
            Ok("/var/lib/a/x.db")
        );
        assert_eq!(sqlite_path("sqlite:x.db"), Ok("x.db"));
        assert_eq!(
            sqlite_path("dir with :// inside/x.db"),
            Ok("dir with :// inside/x.db")
        );
        assert!(sqlite_path("sqlite:").is_err());
        let pg = sqlite_path("postgres://desk:s3cret@db.example:5432/news").unwrap_err();
        assert!(
            pg.contains("PostgreSQL") && pg.contains("db.example"),
            "{pg}"
        );
        assert!(!pg.contains("s3cret"), "the password is not shown: {pg}");
        let other = sqlite_path("mysql://db.example/news").unwrap_err();
        assert!(other.contains("`mysql://db.example/news`"), "{other}");
    }

    #[test]
    fn paths_are_shown_without_dot_dot() {
        let n = |p: &str| normalise(Path::new(p)).display().to_string();
        assert_eq!(
            n("config/../target/demo/aggregator.db"),
            "target/demo/aggregator.db"
        );
        assert_eq!(n("/srv/app/./config/../db/x.db"), "/srv/app/db/x.db");
        assert_eq!(n("../shared/x.db"), "../shared/x.db");
        assert_eq!(n("a/../../x"), "../x");
        assert_eq!(n("/../x"), "/x");
        assert_eq!(n("./x"), "x");
    }

    #[test]
    fn a_config_under_etc_keeps_its_database_in_the_state_directory() {
        let dir = |p: &str| database_dir(Path::new(p)).display().to_string();
        assert_eq!(
            dir("/etc/aggregator/aggregator.toml"),
            "/var/lib/aggregator"
        );
        assert_eq!(
            dir("/etc/aggregator/../aggregator/x.toml"),
            "/var/lib/aggregator"
        );
        assert_eq!(dir("/etc/aggregator.toml"), "/var/lib/aggregator");
        // Anywhere else, beside the config.
        assert_eq!(dir("/srv/desk/config/aggregator.toml"), "/srv/desk/config");
        assert_eq!(dir("/etcetera/aggregator.toml"), "/etcetera");
        assert_eq!(dir("config/../config/aggregator.toml"), "config");
        let db = resolve(
            &database_dir(Path::new("/etc/aggregator/a.toml")),
            "aggregator.db",
        );
        assert_eq!(db, Path::new("/var/lib/aggregator/aggregator.db"));
        // An absolute `database` stays where it says.
        let db = resolve(
            &database_dir(Path::new("/etc/aggregator/a.toml")),
            "/srv/x.db",
        );
        assert_eq!(db, Path::new("/srv/x.db"));
    }
}
