//! `iamsim validate`: worlds, scenario files and bare policy documents
//! checked, every finding located and named by its rule. Exit 0 clean, 1
//! warnings only (notes do not count), 2 errors or unreadable input.

mod collect;
mod distinct;
mod output;

use crate::print;
use crate::timings::Timings;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output formats of `iamsim validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Findings a person reads, then a count.
    Table,
    /// One JSON object per finding per line.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Arguments of `iamsim validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: ValidateFormat,
    /// Worlds, scenario files or policy documents; a directory means every
    /// `*.json` in it, recursively, but for AWS CLI outputs, Terraform
    /// plans and folders named bad.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Runs `iamsim validate`; returns 0 clean, 1 warnings only, 2 errors.
pub fn validate(args: &ValidateArgs) -> u8 {
    let mut timings = Timings::start();
    let mut found = collect::Found::default();
    let mut files = 0;
    for path in &args.files {
        match crate::files::collect(std::slice::from_ref(path)) {
            Ok(listed) => {
                for (file, from_dir) in listed {
                    files += usize::from(found.check(&file, from_dir, &mut timings));
                }
            }
            Err(d) => {
                found.unreadable(path, d);
                files += 1;
            }
        }
    }
    let located = found.findings;
    let text = match args.format {
        ValidateFormat::Table => output::table(&located, files),
        ValidateFormat::Json => output::json_lines(&located),
        ValidateFormat::Sarif => output::sarif(&located).to_string() + "\n",
    };
    print(&text);
    timings.lap("print");
    timings.print();
    match output::counts(&located) {
        (0, 0, _) => 0,
        (0, _, _) => 1,
        _ => 2,
    }
}
