//! The command line, as clap types only; `run` in main.rs turns these into work.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "flycluster",
    version,
    about = "Set up an existing Phoenix project for Erlang clustering on Fly.io",
    long_about = "Set up an existing Phoenix project for Erlang clustering on Fly.io: node naming in \
rel/env.sh.eex, the dns_cluster dependency and child, its runtime config, the Dockerfile's IPv6 \
settings and fly.toml's [env]. Every change is shown as a diff first."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan every edit, preview the diffs, confirm, and apply them atomically
    Init(InitArgs),
    /// Check that the clustering setup is complete and consistent (read-only)
    Doctor(DoctorArgs),
    /// After a deploy: ask every started Machine what its node sees, and why a pair is not connected
    #[command(
        long_about = "After a deploy: list the app's Machines with `fly machines list`, run one `bin/APP rpc` \
    expression on each started one through `fly ssh console` (in parallel), and show which node sees which, \
    with the reason for each pair that is not connected and a one-line fix. Nothing but the fly CLI you are \
    logged in with talks to Fly. Exit 0 when every started node sees every other, 1 when not, 2 when fly is \
    missing, not logged in, does not know the app, or the app has no started Machine."
    )]
    Verify(VerifyArgs),
    /// Print a new release cookie (40 random bytes, URL-safe base64)
    Cookie(CookieArgs),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from these definitions: `flycluster man | man -l -`
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CookieMode {
    /// Print the `fly secrets set` command; the cookie goes into no file
    Secret,
    /// Write RELEASE_COOKIE into fly.toml's [env] (fly.toml is usually committed)
    FlyToml,
    /// Leave the cookie alone
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Phoenix's dns_cluster library (what `mix phx.new` uses since 1.7.8)
    #[value(name = "dns_cluster", alias = "dns-cluster")]
    DnsCluster,
    /// libcluster with a DNSPoll topology
    Libcluster,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatabaseArg {
    /// Fly Postgres or Fly's managed Postgres, on the private IPv6 network: set ECTO_IPV6 and make
    /// the Repo honour it
    Fly,
    /// A database outside Fly (IPv4): no ECTO_IPV6, the Repo connects over IPv4
    External,
    /// No database: leave ECTO_IPV6 and the Repo alone
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project folder (holding mix.exs)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Fly app name [default: `app` in fly.toml, else the OTP app with `_` as `-`]
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// OTP app to configure [default: detected from mix.exs]
    #[arg(long, value_name = "NAME")]
    pub otp_app: Option<String>,
    /// Apply without prompting
    #[arg(short, long, conflicts_with_all = ["dry_run", "check"])]
    pub yes: bool,
    /// Print the diffs and write nothing
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Write nothing; exit 1 when init would change something (for CI)
    #[arg(long)]
    pub check: bool,
    /// Where the release cookie goes
    #[arg(long, value_enum, value_name = "MODE")]
    pub cookie: Option<CookieMode>,
    /// Clustering library [default: what the project uses, else dns_cluster]
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub strategy: Option<StrategyArg>,
    /// Where the Repo's database lives [default: fly with an Ecto repo, else none]
    #[arg(long, value_enum, value_name = "WHERE")]
    pub database: Option<DatabaseArg>,
    /// Only these kinds of edit: env-sh, deps, application, runtime, dockerfile, fly-toml
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "KIND,...",
        conflicts_with = "skip"
    )]
    pub only: Vec<String>,
    /// Every kind of edit but these
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub skip: Vec<String>,
    /// Replace conflicting values instead of reporting them
    #[arg(long)]
    pub force: bool,
    /// Set the cookie with `fly secrets set --stage` (needs the fly CLI on PATH)
    #[arg(long, conflicts_with_all = ["dry_run", "check"])]
    pub set_secret: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format; json prints one document on stdout and nothing else there
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub format: Format,
    /// When to colour output (NO_COLOR is honoured)
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print only errors, warnings and manual steps
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project folder (holding mix.exs)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Fly app name [default: `app` in fly.toml]
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// OTP app to check [default: detected from mix.exs]
    #[arg(long, value_name = "NAME")]
    pub otp_app: Option<String>,
    /// Where the Repo's database lives [default: fly when ECTO_IPV6 is set, else not known]
    #[arg(long, value_enum, value_name = "WHERE")]
    pub database: Option<DatabaseArg>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CookieArgs {
    /// Print the whole `fly secrets set` command for the project at PATH
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = ".")]
    pub fly: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The project folder (holding mix.exs): the OTP app, fly.toml's app, the Dockerfile's release path
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Fly app name [default: `app` in fly.toml, else the OTP app with `_` as `-`]
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// How many Machines to ask at once
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u8).range(1..))]
    pub jobs: u8,
    /// Seconds each Machine may take to answer (`fly ssh console` is ended then)
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}
