//! The command line (FORMAT §11), as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pick::SpecArg;

/// Executable integration test specs.
#[derive(Debug, Parser)]
#[command(name = "itspec", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Read this configuration instead of the nearest itspec.toml.
    #[arg(long, global = true, value_name = "FILE", env = "ITSPEC_CONFIG")]
    pub config: Option<PathBuf>,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and lint specs, reporting every problem in one pass.
    Check(CheckArgs),
    /// List specs and their cases.
    List(ListArgs),
    /// Write a new spec from the template, Status Draft.
    New(NewArgs),
    /// Run specs against the service.
    Run(RunArgs),
    /// Run each passing case again with its response, a row it wrote, a
    /// fixture value or a mock's answer changed, and report the changes no
    /// check caught.
    Mutate(MutateArgs),
    /// Stories → specs → cases → last result.
    Trace(TraceArgs),
    /// Put back the rows a run saved when it could not restore the
    /// database (target/itspec/recorded-rows-*.json).
    Restore(RestoreArgs),
    /// Work with run reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print a shell completion script: `itspec completions bash >
    /// ~/.local/share/bash-completion/completions/itspec`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `itspec man > ~/.local/share/man/man1/itspec.1`;
    /// `itspec man run` prints itspec-run(1).
    Man(ManArgs),
}

/// `itspec man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command, for its own page.
    pub command: Option<String>,
}

/// `itspec completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `itspec report`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of several runs (the shards of one run) and
    /// write them as JSON, JUnit or HTML.
    Merge(MergeArgs),
}

/// `itspec report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports (`run --report json=PATH`).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// What to write: `json=PATH`, `junit=PATH`, `html=PATH` (repeatable);
    /// without any, the merged JSON goes to standard output.
    #[arg(long = "report", value_name = "KIND=PATH", value_parser = parse_report)]
    pub outputs: Vec<ReportOutput>,
}

/// `itspec restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The file of recorded rows the run named.
    pub file: PathBuf,
    /// Override a setting of itspec.toml, like `database.url=…`.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_var)]
    pub set: Vec<(String, String)>,
}

/// `itspec trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Spec files or folders (default: `specs` of itspec.toml, else the current folder).
    pub paths: Vec<PathBuf>,
    /// The JSON report of the last run, for each case's last result.
    #[arg(long, value_name = "REPORT")]
    pub from: Option<PathBuf>,
    /// Trace the OpenAPI contracts instead of the stories: each operation's
    /// documented statuses and the cases that expect them, and the
    /// operations no case touches.
    #[arg(long)]
    pub contract: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Md)]
    pub format: TraceFormat,
}

/// `trace` output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// Markdown.
    Md,
    /// JSON.
    Json,
    /// One HTML page.
    Html,
}

/// A report to write: its format and where.
pub use itspec_report::files::ReportFile as ReportOutput;

fn parse_report(text: &str) -> Result<ReportOutput, String> {
    let (kind, path) = text
        .split_once('=')
        .filter(|(_, path)| !path.is_empty())
        .ok_or_else(|| format!("`{text}` is not KIND=PATH (json=, junit= or html=)"))?;
    let format = itspec_report::files::ReportFormat::parse(kind).ok_or_else(|| {
        format!(
            "`{}` is not a report kind: use json, junit or html",
            kind.to_ascii_lowercase()
        )
    })?;
    Ok(ReportOutput {
        format,
        path: PathBuf::from(path),
    })
}

fn parse_shard(text: &str) -> Result<itspec_runner::shard::Shard, String> {
    itspec_runner::shard::Shard::parse(text).map_err(|e| e.to_string())
}

/// `itspec run`.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Spec files or folders (default: `specs` of itspec.toml, else the
    /// current folder); `FILE:LINE` or `FILE::ID` runs one case.
    #[arg(value_parser = SpecArg::parse, value_name = "PATHS")]
    pub paths: Vec<SpecArg>,
    /// Run only cases whose id, name or `ID: Name` matches this glob or
    /// holds this text (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Rerun only the cases that failed (or errored) in the last run; all
    /// of them when none did.
    #[arg(long = "last-failed", visible_alias = "lf")]
    pub last_failed: bool,
    /// Stop after the first case that fails or errors (the cases running
    /// finish, and the database is put back).
    #[arg(short = 'x', long)]
    pub fail_fast: bool,
    /// Keep running: rerun the specs whose file changed, with the service,
    /// its mocks and the database record kept up between runs; when
    /// itspec.toml changes, start again from it. Ctrl-C stops.
    #[arg(long)]
    pub watch: bool,
    /// List every check of each case, the ones that passed too.
    #[arg(short, long)]
    pub verbose: bool,
    /// Run only cases with one of these tags.
    #[arg(long, value_delimiter = ',', value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Run only specs of these priorities.
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        ignore_case = true,
        value_name = "PRIORITIES"
    )]
    pub priority: Vec<PriorityArg>,
    /// Run Draft specs too.
    #[arg(long)]
    pub include_drafts: bool,
    /// Prose assertions fail their case.
    #[arg(long)]
    pub strict: bool,
    /// Run every concurrency case this many times (instead of its Repeat or
    /// `[concurrency] iterations`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: Option<u32>,
    /// Run every iteration of a concurrency case even after one failed, and
    /// report how many failed.
    #[arg(long)]
    pub keep_going: bool,
    /// Run a case that failed again, up to N times, from the same state; one
    /// that then passes is FLAKY (default: `[run] retries`, else 0).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Whether a FLAKY case fails the run (default: `[run] flaky_result`,
    /// else fail).
    #[arg(long, value_enum, value_name = "RESULT")]
    pub flaky_result: Option<FlakyResultArg>,
    /// Run every case N times and report its pass rate with a 95% interval
    /// (a concurrency case's iterations count each).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "retries")]
    pub runs: Option<u32>,
    /// Run every case again and again until it fails or DURATION has passed
    /// (`10m`, `30s`): a hunt for a rare race.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with_all = ["retries", "runs"])]
    pub until_fail: Option<std::time::Duration>,
    /// Define a variable (a number, `true`, `false` and `null` keep their type).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Override a setting of itspec.toml, like `target.timeout=30s`.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_var)]
    pub set: Vec<(String, String)>,
    /// Read this dotenv file (instead of `[service] env_file`) for
    /// `{{env.NAME}}` and the service's environment; the environment wins.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Send requests to a service you started yourself, at URL: overrides
    /// `target.base_url`, and `[service]` is not started.
    #[arg(long, value_name = "URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// Do not start `[service]`: send requests to `target.base_url`, where
    /// a service you started yourself answers.
    #[arg(long)]
    pub no_service: bool,
    /// Run specs on N workers, each with its own service, database copy and
    /// mocks (default: `[workers] jobs`, else 1).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// A JSON report of an earlier run: workers take the longest specs first.
    #[arg(long, value_name = "REPORT")]
    pub timings: Option<PathBuf>,
    /// Also write reports: `json=PATH`, `junit=PATH`, `html=PATH` (repeatable).
    #[arg(long = "report", value_name = "KIND=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportOutput>,
    /// Console output: human, or human with GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// A Ready spec whose cases all passed becomes Implemented (only its
    /// Status line changes).
    #[arg(long)]
    pub update_status: bool,
    /// Run part i of n of the cases (also found from CI_NODE_INDEX/TOTAL,
    /// CIRCLE_NODE_*, BUILDKITE_PARALLEL_JOB*, JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<itspec_runner::shard::Shard>,
    /// The number of shards, for JOB_COMPLETION_INDEX (Kubernetes indexed Jobs).
    #[arg(long, value_name = "N", env = "ITSPEC_SHARD_TOTAL")]
    pub shard_total: Option<u32>,
}

/// `--flaky-result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlakyResultArg {
    /// A flaky case fails the run.
    Fail,
    /// A flaky case passes it.
    Pass,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    itspec_spec::parse_duration(text)
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is not a duration: write it like `30s`, `10m` or `500ms`"))
}

/// `itspec mutate`.
#[derive(Debug, Args)]
pub struct MutateArgs {
    /// Spec files or folders (default: `specs` of itspec.toml, else the
    /// current folder); `FILE:LINE` or `FILE::ID` mutates one case.
    #[arg(value_parser = SpecArg::parse, value_name = "PATHS")]
    pub paths: Vec<SpecArg>,
    /// Only cases whose id, name or `ID: Name` matches this glob or holds
    /// this text (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Only cases with one of these tags.
    #[arg(long, value_delimiter = ',', value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Only specs of these priorities.
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        ignore_case = true,
        value_name = "PRIORITIES"
    )]
    pub priority: Vec<PriorityArg>,
    /// Start no mutant after this long (`10m`, `90s`); the rest are
    /// reported as not tried.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub budget: Option<std::time::Duration>,
    /// Run specs on N workers, as `run --jobs`.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Define a variable, as `run --var`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Override a setting of itspec.toml, as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_var)]
    pub set: Vec<(String, String)>,
    /// Read this dotenv file, as `run --env-file`.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Send requests to a service you started yourself, at URL.
    #[arg(long, value_name = "URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// Do not start `[service]`: send requests to `target.base_url`.
    #[arg(long)]
    pub no_service: bool,
    /// Output: human, or one JSON document.
    #[arg(long, value_enum, default_value_t = MutateFormat::Human)]
    pub format: MutateFormat,
}

impl MutateArgs {
    /// The run it makes: the same selection and environment.
    pub fn run_args(&self) -> RunArgs {
        RunArgs {
            paths: self.paths.clone(),
            filter: self.filter.clone(),
            tags: self.tags.clone(),
            priority: self.priority.clone(),
            jobs: self.jobs,
            vars: self.vars.clone(),
            set: self.set.clone(),
            env_file: self.env_file.clone(),
            base_url: self.base_url.clone(),
            no_service: self.no_service,
            ..RunArgs::default()
        }
    }
}

/// `mutate` output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MutateFormat {
    /// Each case's score and its survivors, at their lines.
    Human,
    /// One JSON document (docs/cli.md).
    Json,
}

/// `run` console formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// A line per case, failures as code frames.
    #[default]
    Human,
    /// The same, then a GitHub Actions annotation per failed check.
    Github,
    /// One JSON event per line, for tools (docs/machine-interface.md).
    Jsonl,
}

/// `itspec check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Spec files or folders (default: `specs` of itspec.toml, else the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat prose assertions and prose setup lines as errors.
    #[arg(long)]
    pub strict: bool,
    /// Define a variable, as `run --var` would.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Override a setting of itspec.toml, like `vars.currency=EUR`.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_var)]
    pub set: Vec<(String, String)>,
    /// Read this dotenv file (instead of `[service] env_file`) for
    /// `{{env.NAME}}`, as `run --env-file` would.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
}

/// `itspec list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Spec files or folders (default: `specs` of itspec.toml, else the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
    /// List the cases of part i of n, as `run --shard i/n` would run them.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<itspec_runner::shard::Shard>,
    /// The number of shards, for JOB_COMPLETION_INDEX (Kubernetes indexed Jobs).
    #[arg(long, value_name = "N", env = "ITSPEC_SHARD_TOTAL")]
    pub shard_total: Option<u32>,
}

/// `itspec new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The component under test, like `Inventory Reservation` (with
    /// --from-openapi, the operation's summary unless given).
    #[arg(required_unless_present = "from_openapi", num_args = 1..)]
    pub component: Vec<String>,
    /// Story ids, comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub stories: Vec<String>,
    /// The API contract: `POST /path` or `openapi.yaml#operationId`.
    #[arg(long, value_name = "CONTRACT", conflicts_with = "from_openapi")]
    pub contract: Option<String>,
    /// Write the cases from an operation of this OpenAPI document: the
    /// happy path, one case per documented error status, and a race for a
    /// POST or PATCH.
    #[arg(long, value_name = "FILE", requires = "operation")]
    pub from_openapi: Option<PathBuf>,
    /// The operation of --from-openapi: its operationId, or a JSON pointer
    /// like `/paths/~1orders/post`.
    #[arg(long, value_name = "ID", requires = "from_openapi")]
    pub operation: Option<String>,
    /// The priority.
    #[arg(long, value_enum, ignore_case = true, default_value_t = PriorityArg::Medium)]
    pub priority: PriorityArg,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Diagnostic output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Code frames with help lines.
    Human,
    /// One JSON document (docs/diagnostics.md).
    Json,
    /// GitHub Actions annotations.
    Github,
}

/// `list` output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// JSON.
    Json,
}

/// When to colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Priorities on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    /// Critical.
    Critical,
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
}

impl From<PriorityArg> for itspec_spec::model::Priority {
    fn from(value: PriorityArg) -> Self {
        match value {
            PriorityArg::Critical => Self::Critical,
            PriorityArg::High => Self::High,
            PriorityArg::Medium => Self::Medium,
            PriorityArg::Low => Self::Low,
        }
    }
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

/// A `--base-url`: an `http://` or `https://` URL.
fn parse_base_url(text: &str) -> Result<String, String> {
    match text.split_once("://") {
        Some((scheme, rest))
            if (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
                && !rest.is_empty() =>
        {
            Ok(text.to_string())
        }
        Some((scheme, _)) => Err(format!(
            "`{text}` is not an HTTP URL (its scheme is `{scheme}`): write http://… or https://…"
        )),
        None => Err(format!(
            "`{text}` has no scheme: write http://{text} (or https://{text})"
        )),
    }
}
