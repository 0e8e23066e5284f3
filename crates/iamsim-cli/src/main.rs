//! The `iamsim` command: runs scenario files and answers single questions
//! about AWS IAM access, offline. It reads files, runs batches on rayon and
//! prints; every decision comes from `iamsim-core`.

mod batch;
mod can;
mod diff;
mod files;
mod import;
mod names;
mod progress;
mod render;
mod semdiff;
mod stream;
mod terraform;
mod timings;
mod validate;
mod what_can;
mod who_can;

use clap::{Parser, Subcommand, ValueEnum};
use iamsim_core::diag::{Diagnostic, Sources};
use iamsim_core::request::Clock;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: loading a world and parsing scenarios allocate and free
/// millions of small strings, where it is several times faster than the
/// system allocator (see benches/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Offline AWS IAM evaluator: can X do Y, and why?
#[derive(Parser)]
#[command(name = "iamsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table a person reads.
    Table,
    /// One JSON object per line.
    Json,
    /// JUnit XML, for CI systems (files are read whole).
    Junit,
}

/// Output formats of the questions (`can`, `who-can`, `what-can`): no
/// JUnit, since a question has no expectation to pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AnswerFormat {
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
        /// Read every file scenario by scenario, in bounded memory (automatic above 8 MiB).
        #[arg(long)]
        stream: bool,
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        names: names::UnknownNames,
    },
    /// Answer one question: can PRINCIPAL do ACTION on RESOURCE?
    Can(can::CanArgs),
    /// The scenarios whose decision differs between two worlds; without scenario files, every access the change newly allows or removes.
    Diff(diff::DiffArgs),
    /// Lint worlds, scenario files and policy documents for CI: each finding with its rule, level and place; exit 0 clean, 1 warnings, 2 errors.
    Validate(validate::ValidateArgs),
    /// Turn AWS CLI outputs (authorization details, bucket policies, Organizations), or a Terraform plan, into a world.
    Import(import::ImportArgs),
    /// Every principal that can do ACTION on RESOURCE, directly or through role chains.
    WhoCan(who_can::WhoCanArgs),
    /// What PRINCIPAL can do to the world's resources, directly and through the roles it reaches.
    WhatCan(what_can::WhatCanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            world,
            format,
            jobs,
            explain,
            stream,
            paths,
            names,
        } => run(
            &paths,
            world.as_deref(),
            format,
            (jobs, explain, stream),
            names.allow_unknown_names,
        ),
        Command::Can(args) => can::can(&args),
        Command::Import(args) => import::import(&args),
        Command::Diff(args) => diff::diff(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::WhoCan(args) => who_can::run(&args),
        Command::WhatCan(args) => what_can::run(&args),
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

/// Prints warnings to stderr, located as errors are.
fn warn(sources: &Sources, warnings: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in warnings {
        let _ = writeln!(err, "{}", d.render_as(sources, "warning"));
    }
}

/// Writes to stdout; a closed pipe ends quietly.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn run(
    paths: &[PathBuf],
    world: Option<&std::path::Path>,
    format: Format,
    (jobs, explain, stream): (Option<usize>, bool, bool),
    allow_unknown_names: bool,
) -> u8 {
    if let Some(n) = jobs {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            return fail(&Sources::new(), &[Diagnostic::bare(format!("--jobs: {e}"))]);
        }
    }
    // JUnit is one document: its files are read whole, not streamed.
    let streaming = match (format, stream) {
        (Format::Junit, _) => batch::Streaming::Never,
        (_, true) => batch::Streaming::Always,
        _ => batch::Streaming::Auto,
    };
    let mut batch = match batch::Batch::load(paths, world, streaming, allow_unknown_names) {
        Ok(b) => b,
        Err((sources, errors)) => return fail(&sources, &errors),
    };
    let clock = Clock::new(jiff::Timestamp::now());
    let output = stream::Output {
        json: format == Format::Json,
        explain,
    };
    // Large files first, into a temporary file: nothing reaches stdout
    // unless every input is good.
    let mut counts = stream::Counts::default();
    let mut spool = match Spool::create() {
        Ok(s) => s,
        Err(e) => {
            return fail(
                &batch.sources,
                &[Diagnostic::bare(format!(
                    "cannot create a temporary file: {e}"
                ))],
            );
        }
    };
    for (path, from_dir) in std::mem::take(&mut batch.streamed) {
        if let Err(errors) = stream::run(
            &mut batch,
            &path,
            from_dir,
            &clock,
            output,
            &mut spool.file,
            &mut counts,
        ) {
            return fail(&batch.sources, &errors);
        }
    }
    let empty = batch.without_scenarios(paths);
    if !empty.is_empty() {
        return fail(&batch.sources, &empty);
    }
    warn(&batch.sources, &batch.warnings);
    warn(&batch.sources, &batch.duplicate_names);
    let outcomes = match batch.run(&clock, output.detail()) {
        Ok(o) => o,
        Err(errors) => return fail(&batch.sources, &errors),
    };
    let text: String = match format {
        Format::Junit => match render::junit(&outcomes) {
            Ok(xml) => xml + "\n",
            Err(e) => return fail(&batch.sources, &[Diagnostic::bare(e)]),
        },
        _ => outcomes
            .iter()
            .map(|o| match format {
                Format::Json => render::json_line(o, explain),
                _ => render::line(o, explain),
            })
            .collect(),
    };
    print(&text);
    if let Err(e) = spool.copy_to_stdout() {
        return fail(
            &batch.sources,
            &[Diagnostic::bare(format!(
                "cannot copy streamed results: {e}"
            ))],
        );
    }
    for o in &outcomes {
        counts.add(o.result.pass);
    }
    if format == Format::Table {
        print(&render::closing(
            counts.passed,
            counts.failed,
            counts.without,
        ));
    }
    if counts.failed == 0 { 0 } else { 1 }
}

/// A temporary file for streamed results, removed when dropped.
struct Spool {
    path: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
}

impl Spool {
    fn create() -> std::io::Result<Spool> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("iamsim-{}-{nanos}.out", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Spool {
            path,
            file: std::io::BufWriter::new(file),
        })
    }

    fn copy_to_stdout(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let mut f = std::fs::File::open(&self.path)?;
        let mut out = std::io::stdout().lock();
        match std::io::copy(&mut f, &mut out) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
