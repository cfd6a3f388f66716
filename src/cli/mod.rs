//! The command line: argument definitions, and one file per subcommand. Each subcommand returns
//! a [`CliError`] that says which exit code it maps to.

mod ack;
mod backup;
mod check_feed;
mod config_check;
mod export;
mod feeds;
mod list;
mod output;
mod poll;
mod prune;
mod rematch;
mod restory;
mod run;
mod search;
mod show;
mod stats;
mod status;
pub mod timespec;
mod user;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
pub use user::{UserArgs, UserCommand};

/// Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or a broken config: exit 2.
    Usage(anyhow::Error),
    /// Something failed while working: exit 1.
    Runtime(anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }

    pub fn error(&self) -> &anyhow::Error {
        match self {
            CliError::Usage(e) | CliError::Runtime(e) => e,
        }
    }
}

/// Runtime failures convert implicitly; config and usage errors are marked where they arise,
/// and a database that belongs to another program is a usage error wherever it shows.
impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(e: E) -> Self {
        let e = e.into();
        let foreign = e.chain().any(|c| {
            matches!(
                c.downcast_ref::<crate::store::StoreError>(),
                Some(crate::store::StoreError::Foreign { .. })
            )
        });
        if foreign {
            CliError::Usage(e)
        } else {
            CliError::Runtime(e)
        }
    }
}

pub type CliResult = Result<(), CliError>;

#[derive(Debug, Parser)]
#[command(
    name = "aggregator",
    version,
    about = "Polls wire-service feeds, stores each item once, flags watchlist matches"
)]
pub struct Cli {
    /// Main config file [default: ./config/aggregator.toml if present, else /etc/aggregator/aggregator.toml]
    #[arg(
        short,
        long,
        global = true,
        env = "AGGREGATOR_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every feed once, store, match, and print a summary line
    Poll(PollArgs),
    /// Stories (one row per wire story, with its first source and outlets), newest first;
    /// --items lists raw items
    List(ListArgs),
    /// One story's timeline: every outlet and reissue, with its delay after the first
    Show(ShowArgs),
    /// Mark a story as handled, for the whole desk: by whom (default $USER), when, an optional
    /// note; `list --unacked` leaves it out
    Ack(AckArgs),
    /// Remove a story's acknowledgement
    Unack(UnackArgs),
    /// Re-cluster stored items into stories from a time on, after the rules changed
    Restory(RestoryArgs),
    /// Re-check stored items against the current watchlists, adding and removing matches
    Rematch(RematchArgs),
    /// Write reports in other formats (an Atom feed of a watchlist's stories)
    #[command(subcommand)]
    Export(ExportCommand),
    /// Fetch and parse one feed without storing it
    CheckFeed(CheckFeedArgs),
    /// Configured feeds with their last fetch result; `feeds export` / `feeds import FILE.opml`
    /// move feed lists in and out as OPML
    Feeds(FeedsArgs),
    /// Full-text search over stored titles and summaries, best matches first
    Search(SearchArgs),
    /// Items and stories per feed and per day, matches per watchlist, fetch errors
    Stats(StatsArgs),
    /// Delete what the retention policy no longer keeps, and give the space back
    Prune(PruneArgs),
    /// A consistent copy of the database, taken while the daemon runs
    Backup(BackupArgs),
    /// Shell completion script for bash, zsh, fish, elvish or powershell, on stdout
    Completions(CompletionsArgs),
    /// The man page (roff), generated from this command line's definition, on stdout
    Man,
    /// Run as a daemon: every feed on its own schedule until SIGTERM/SIGINT; SIGHUP reloads
    Run,
    /// Each feed's fetch state and schedule: last result, validators, interval and why, next poll;
    /// --alerts: alert deliveries per sink
    Status(StatusArgs),
    /// Configuration commands
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Web users: `user add NAME` prints a [[web.user]] table with a password hash,
    /// `user token NAME` makes an API token
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Args)]
pub struct PollArgs {
    /// Poll every feed once and exit (continuous polling is the daemon's job)
    #[arg(long, required = true)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only stories (items) published from this time on: the feed's date (a story's is its
    /// first item's), never later than when it was seen; 90m, 24h, 7d, 2024-03-26, or RFC 3339
    /// [default: no limit]
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only stories (items) published before this time (same time and forms as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only items of this feed
    #[arg(long, value_name = "NAME")]
    pub feed: Option<String>,
    /// Only items that matched this watchlist
    #[arg(long, value_name = "NAME")]
    pub watchlist: Option<String>,
    /// Only items that matched any watchlist; the table shows what matched, highlighted on a
    /// terminal (unless NO_COLOR is set)
    #[arg(long)]
    pub matched: bool,
    /// Only stories nobody acknowledged (`aggregator ack`); with --items, their items
    #[arg(long)]
    pub unacked: bool,
    /// At most this many rows (stories, or items with --items)
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: u64,
    /// List raw items instead of stories
    #[arg(long)]
    pub items: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The story's id, as `list` shows it
    #[arg(value_name = "STORY-ID")]
    pub story_id: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct AckArgs {
    /// The story's id, as `list` shows it
    #[arg(value_name = "STORY-ID")]
    pub story_id: i64,
    /// Who handled it [default: $USER, else "cli"]
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// A note for the desk (acknowledging again replaces who, when and the note)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnackArgs {
    /// The story's id, as `list` shows it
    #[arg(value_name = "STORY-ID")]
    pub story_id: i64,
}

#[derive(Debug, Args)]
pub struct RestoryArgs {
    /// Re-cluster items published from this time on (the feed's date, never later than when
    /// the item was seen): 90m, 24h, 7d, 2024-03-26, or RFC 3339
    #[arg(long, value_name = "WHEN", required = true)]
    pub since: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RematchArgs {
    /// Re-check items seen (stored here) from this time on, whatever their published date:
    /// 90m, 24h, 7d, 2024-03-26, or RFC 3339
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub since: String,
    /// Only this watchlist (if it is no longer configured, its matches in range are removed)
    #[arg(long, value_name = "NAME")]
    pub watchlist: Option<String>,
    /// Raise (and deliver) alerts for stories that newly match; by default a re-check only
    /// records matches
    #[arg(long)]
    pub alert: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// An Atom feed of a watchlist's stories, newest first
    Atom(AtomArgs),
}

#[derive(Debug, Args)]
pub struct AtomArgs {
    /// The watchlist
    #[arg(long, value_name = "NAME", required = true)]
    pub watchlist: String,
    /// Stories published from this time on (their first item's feed date, never later than
    /// when it was seen) [default: 7d]
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub since: String,
    /// At most this many stories
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: u64,
    /// Write to this file (atomically) instead of stdout
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show the alert outbox per sink instead of feeds
    #[arg(long)]
    pub alerts: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct CheckFeedArgs {
    /// An http(s) or file URL, or a path
    #[arg(value_name = "URL|PATH")]
    pub source: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: Option<FeedsCommand>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Write the configured feeds as OPML 2.0
    Export(FeedsExportArgs),
    /// Add the feeds of an OPML file to the config file, in place (comments and layout kept);
    /// feeds already configured (same URL) are skipped, a name already in use gets "-2"
    Import(FeedsImportArgs),
}

#[derive(Debug, Args)]
pub struct FeedsExportArgs {
    /// Write to this file (atomically) instead of stdout
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FeedsImportArgs {
    /// The OPML file
    #[arg(value_name = "FILE.opml")]
    pub file: PathBuf,
    /// Report what would be added without changing the config file
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (all must appear), "quoted phrases", OR, NOT, parentheses, title:/summary:
    /// prefixes, a trailing * for any ending; Korean words also match with particles
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Only items published from this time on (the feed's date, never later than when the
    /// item was seen): 90m, 24h, 7d, 2024-03-26, or RFC 3339
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only items published before this time (same time and forms as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only items of this feed
    #[arg(long, value_name = "NAME")]
    pub feed: Option<String>,
    /// Only items that matched this watchlist
    #[arg(long, value_name = "NAME")]
    pub watchlist: Option<String>,
    /// At most this many results
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Count what was seen (stored here) from this time on, whatever its published date:
    /// 90m, 24h, 7d, 2024-03-26, or RFC 3339
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub since: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every column, nothing cut (piped output without $COLUMNS is never cut either)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Report what would be deleted without deleting
    #[arg(long)]
    pub dry_run: bool,
    /// Also rewrite the whole file (VACUUM): needed once for databases created before
    /// incremental vacuum was enabled; needs free space the size of the database
    #[arg(long)]
    pub vacuum: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where the copy goes (must not exist unless --force)
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Replace PATH if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate both config files and print what was loaded
    Check(FormatArgs),
}

/// Output formats shared by every listing command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Runs the parsed command line. Commands that match or deliver load the config strictly
/// ([`load_strict`]); reports, and `ack`/`unack` (which neither match nor deliver), load it
/// without sink secrets and go on without a broken watchlist file ([`load`]). Reports on the
/// database need it to exist: those that open it with `Reader::open` say so after checking
/// their arguments; `status` reads an absent database as "no feeds", and `ack`/`unack` would
/// create one, so they are checked first ([`with_database`]).
pub fn run(cli: Cli) -> CliResult {
    let config_path = config::resolve_path(cli.config.as_deref());
    let path = config_path.as_path();
    match cli.command {
        Command::Poll(_) => poll::run(&load_strict(path)?),
        Command::List(args) => list::run(&load(path)?, &args),
        Command::Show(args) => show::run(&load(path)?, &args),
        Command::Ack(args) => ack::ack(&with_database(load(path)?)?, &args),
        Command::Unack(args) => ack::unack(&with_database(load(path)?)?, &args),
        Command::Restory(args) => restory::run(&load_strict(path)?, &args),
        Command::CheckFeed(args) => check_feed::run(cli.config.as_deref(), path, &args),
        Command::Feeds(args) => feeds::run(path, &args),
        Command::Search(args) => search::run(&load(path)?, &args),
        Command::Stats(args) => stats::run(&load(path)?, &args),
        Command::Prune(args) => prune::run(&load(path)?, &args),
        Command::Backup(args) => backup::run(&load(path)?, &args),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "aggregator", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            man_page(&cmd, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Command::Run => run::run(path),
        Command::Status(args) => status::run(&with_database(load(path)?)?, &args),
        Command::Rematch(args) => rematch::run(&load_strict(path)?, &args),
        Command::Export(ExportCommand::Atom(args)) => export::atom(&load(path)?, &args),
        Command::Config(ConfigCommand::Check(args)) => {
            config_check::run(&load_strict(path)?, args.format)
        }
        Command::User(cmd) => user::run(path, &cmd),
    }
}

/// The man page: one page, `aggregator(1)`, with a section per subcommand. clap_mangen's own
/// subcommand list names a page per subcommand (`aggregator-list(1)`), which is never
/// generated; this list names the sections below instead.
fn man_page(cmd: &clap::Command, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    writeln!(out, ".SH SUBCOMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        writeln!(out, ".TP\n\\fBaggregator {}\\fR", sub.get_name())?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", roff_text(&about.to_string()))?;
        }
    }
    writeln!(
        out,
        ".PP\nEach has a section of its own below; \\fBaggregator\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR says the same."
    )?;
    man_subcommands(cmd, "aggregator", out)?;
    page.render_version_section(out)?;
    Ok(())
}

/// Text as a roff line: a leading `.` or `'` would be read as a request, `\` as an escape.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with(['.', '\'']) {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Appends a section per subcommand (and theirs) to the man page: synopsis, description,
/// options.
fn man_subcommands(
    cmd: &clap::Command,
    prefix: &str,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix} {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        page.render_synopsis_section(out)?;
        page.render_description_section(out)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(out)?;
        }
        man_subcommands(sub, &name, out)?;
    }
    Ok(())
}

/// The config for a command that matches or delivers: every part must be usable (secrets in
/// sink headers set, the watchlist file valid); a problem is a usage error (exit 2).
fn load_strict(path: &std::path::Path) -> Result<Config, CliError> {
    crate::watch::load_config(path).map_err(|e| CliError::Usage(e.into()))
}

/// The config for a report: sink secrets are not needed, and a watchlist file that does not
/// load is a warning (naming the file and the problem), not an error: the report goes on
/// without watchlists. Any other problem is a usage error (exit 2).
pub(crate) fn load(path: &std::path::Path) -> Result<Config, CliError> {
    let (config, set_aside) =
        crate::watch::load_for_reports(path).map_err(|e| CliError::Usage(e.into()))?;
    if let Some(e) = set_aside {
        let file = config.watchlists_path.as_deref().unwrap_or(&config.path);
        tracing::warn!(
            file = %file.display(),
            error = %e,
            "watchlist file not loaded: reporting without watchlists (--watchlist filters use stored matches only; `export atom` needs the file)"
        );
    }
    Ok(config)
}

/// `config`, if its database exists; otherwise the error naming it and how to point at the
/// right one (exit 1): an empty report would hide that the daemon's database is elsewhere.
fn with_database(config: Config) -> Result<Config, CliError> {
    if !config.database.exists() {
        return Err(CliError::Runtime(
            crate::store::StoreError::Missing {
                path: config.database.clone(),
            }
            .into(),
        ));
    }
    Ok(config)
}
