//! Where a problem is and how it is reported: [`Location`] (file, line, column),
//! [`ConfigError`], the error of every loader, and the file being checked ([`Source`]).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub line_col: Option<(usize, usize)>,
}

impl Location {
    /// The whole file, no line or column.
    pub fn file(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            line_col: None,
        }
    }

    pub(super) fn at(path: &Path, src: &str, span: Option<Range<usize>>) -> Self {
        Self {
            path: path.to_path_buf(),
            line_col: span.map(|s| line_col(src, s.start)),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((l, c)) => write!(f, "{}:{l}:{c}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// A config problem a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config file: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },
    #[error("{at}: {key}: {message}")]
    Invalid {
        at: Location,
        key: String,
        message: String,
    },
}

/// The file being checked: its path and text, to place problems in it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Source<'_> {
    /// The value at `span` is wrong for `key`.
    pub(super) fn invalid(&self, span: Range<usize>, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            at: Location::at(self.path, self.text, Some(span)),
            key: key.into(),
            message,
        }
    }

    /// The 1-based line byte `offset` is on.
    pub(super) fn line(&self, offset: usize) -> usize {
        line_col(self.text, offset).0
    }
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
