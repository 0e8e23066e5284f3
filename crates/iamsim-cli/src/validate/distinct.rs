//! Each distinct policy document of a world compiled and linted once: a
//! document written identically in many places (one inline policy given
//! to a thousand users, one trust policy on a thousand roles) is checked
//! at its first place, and its findings are moved to every other place,
//! so that each occurrence is still reported at its own line and JSON
//! path. Managed policies are linted once already: where they are defined,
//! not where they are attached.

use super::collect::{Findings, lint_one};
use iamsim_core::diag::{Diagnostic, Location, SourceId, Sources};
use iamsim_core::json::{Node, Span};
use iamsim_core::policy::{Policy, PolicyKind};
use iamsim_core::validate::Finding;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::rc::Rc;

/// The outcome of a document at its first place.
struct Outcome {
    /// The text its findings point into, and where the document starts.
    source: SourceId,
    start: u32,
    /// Its JSON path there.
    path: String,
    /// Its findings and compile errors there.
    found: Findings,
    /// The compiled policy; `None` when it does not compile.
    policy: Option<Rc<Policy>>,
}

/// The documents linted so far, by kind and exact text (hashed with
/// rustc-hash's FxHash, several times faster than the standard SipHash on
/// the documents' text, and no input here is chosen to collide).
#[derive(Default)]
pub(super) struct Distinct {
    seen: HashMap<PolicyKind, FxHashMap<String, Outcome>>,
}

impl Distinct {
    /// Compiles and lints the policy document `node` of `source`, at JSON
    /// path `path`, unless its text was seen before with the same kind;
    /// either way its findings, located at this place, are added to
    /// `found`. Returns the compiled policy.
    pub(super) fn lint(
        &mut self,
        sources: &Sources,
        (source, node): (SourceId, &Node),
        path: &str,
        kind: PolicyKind,
        found: &mut Findings,
    ) -> Option<Rc<Policy>> {
        node.as_object()?;
        let text = sources
            .get(source)
            .and_then(|f| f.text.get(node.span.start as usize..node.span.end as usize));
        let Some(text) = text else {
            return lint_one(source, node, path, kind, found).map(Rc::new);
        };
        let by_text = self.seen.entry(kind).or_default();
        if let Some(o) = by_text.get(text) {
            let to = (source, node.span.start, path);
            found.list.extend(o.found.list.iter().map(|f| Finding {
                diagnostic: o.moved(&f.diagnostic, to),
                ..f.clone()
            }));
            found
                .compile_errors
                .extend(o.found.compile_errors.iter().map(|d| o.moved(d, to)));
            return o.policy.clone();
        }
        let mut first = Findings::default();
        let policy = lint_one(source, node, path, kind, &mut first).map(Rc::new);
        found.list.extend(first.list.iter().cloned());
        found
            .compile_errors
            .extend(first.compile_errors.iter().cloned());
        by_text.insert(
            text.to_string(),
            Outcome {
                source,
                start: node.span.start,
                path: path.to_string(),
                found: first,
                policy: policy.clone(),
            },
        );
        policy
    }
}

impl Outcome {
    /// A diagnostic of the first place, moved to the same text starting
    /// at `start` of `source`, at JSON path `path`.
    fn moved(&self, d: &Diagnostic, (source, start, path): (SourceId, u32, &str)) -> Diagnostic {
        let location = d.location.as_ref().map(|l| {
            if l.source != self.source {
                return l.clone();
            }
            let shift = |at: u32| at.saturating_sub(self.start).saturating_add(start);
            Location {
                source,
                span: Span {
                    start: shift(l.span.start),
                    end: shift(l.span.end),
                },
                path: match l.path.strip_prefix(&self.path) {
                    Some(rest) => format!("{path}{rest}"),
                    None => l.path.clone(),
                },
            }
        });
        Diagnostic {
            location,
            message: d.message.clone(),
        }
    }
}
