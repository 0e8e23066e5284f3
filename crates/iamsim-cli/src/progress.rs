//! A progress bar on stderr for long batches, shown only on a terminal and
//! without NO_COLOR: off a terminal, output stays plain.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Batches shorter than this finish before a bar is worth drawing.
const LONG: u64 = 1000;

/// A bar over `len` scenarios (a spinner with a count when unknown),
/// hidden unless stderr is a terminal and NO_COLOR is unset.
pub fn bar(len: Option<u64>) -> ProgressBar {
    let shown = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && len.is_none_or(|n| n >= LONG);
    if !shown {
        return ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(n) => (
            ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            "{bar:40} {pos}/{len} scenarios, {per_sec}, {eta} left",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {pos} scenarios, {per_sec}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
