//! The `iamsim` command: runs scenario files and answers single questions
//! about AWS IAM access, offline. It reads files, runs batches on rayon and
//! prints; every decision comes from `iamsim-core`.

mod batch;
mod can;
mod files;
mod import;
mod render;

use clap::{Parser, Subcommand, ValueEnum};
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::request::Clock;
use iamsim_core::scenario::Detail;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Offline AWS IAM evaluator: can X do Y, and why?
#[derive(Parser)]
#[command(name = "iamsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table a person reads.
    Table,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run every scenario of the files (directories: all *.json in them, world files skipped), in parallel.
    Run {
        /// Use this world for every file, whatever the files name.
        #[arg(long)]
        world: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Worker threads (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        /// After each scenario's line, walk through every gate of every step (table format).
        #[arg(long)]
        explain: bool,
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Answer one question: can PRINCIPAL do ACTION on RESOURCE?
    Can(can::CanArgs),
    /// Turn AWS CLI outputs (authorization details, bucket policies, Organizations) into a world.
    Import(import::ImportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            world,
            format,
            jobs,
            explain,
            paths,
        } => run(&paths, world.as_deref(), format, jobs, explain),
        Command::Can(args) => can::can(&args),
        Command::Import(args) => import::import(&args),
    };
    ExitCode::from(code)
}

/// Prints diagnostics to stderr; returns the bad-input exit status.
fn fail(sources: &Sources, errors: &[Diagnostic]) -> u8 {
    let mut err = std::io::stderr().lock();
    for d in errors {
        let _ = writeln!(err, "{}", d.render(sources));
    }
    let _ = writeln!(
        err,
        "iamsim: {} error{} in the input; nothing was evaluated",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    2
}

/// Writes to stdout; a closed pipe ends quietly.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn run(
    paths: &[PathBuf],
    world: Option<&std::path::Path>,
    format: Format,
    jobs: Option<usize>,
    explain: bool,
) -> u8 {
    if let Some(n) = jobs {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            return fail(&Sources::new(), &[Diagnostic::bare(format!("--jobs: {e}"))]);
        }
    }
    let batch = match batch::Batch::load(paths, world) {
        Ok(b) => b,
        Err((sources, errors)) => return fail(&sources, &errors),
    };
    let detail = if explain || format == Format::Json {
        Detail::Explanations
    } else {
        Detail::Decisions
    };
    let outcomes = match batch.run(&Clock::new(jiff::Timestamp::now()), detail) {
        Ok(o) => o,
        Err(errors) => return fail(&batch.sources, &errors),
    };
    let text = match format {
        Format::Table => render::table(&outcomes, explain),
        Format::Json => outcomes
            .iter()
            .map(|o| render::scenario_json(&o.file, &o.result).to_string() + "\n")
            .collect(),
    };
    print(&text);
    if outcomes.iter().all(|o| o.result.pass) {
        0
    } else {
        1
    }
}
