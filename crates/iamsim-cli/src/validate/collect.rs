//! The findings of one input file: a world, a scenario file (read and
//! run as `iamsim run` would, so that `validate` is never more lenient),
//! or a bare policy document. Loader errors become findings of the rule
//! for what refused them; every policy the file holds is then linted
//! (iamsim_core::validate).

use crate::batch::{Batch, Streaming};
use crate::files::FsLoader;
use crate::timings::Timings;
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources, member_path};
use iamsim_core::json::{Node, Value};
use iamsim_core::policy::{Policy, PolicyKind, parse};
use iamsim_core::request::Clock;
use iamsim_core::scenario::{self, Detail};
use iamsim_core::validate::{self, Finding, Rule};
use iamsim_core::world;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::distinct::Distinct;
use super::output::{Located, source_named};

/// What tells two reported findings apart: rule, file, place, message.
type FindingKey = (Rule, String, Option<(usize, usize)>, String);

/// What was found in the inputs, each finding resolved to its file, line
/// and column.
#[derive(Default)]
pub struct Found {
    /// The findings, in the order found.
    pub findings: Vec<Located>,
    /// World files already linted (canonical paths), so that a world
    /// named by several scenario files is linted once.
    linted_worlds: HashSet<PathBuf>,
    /// Every finding reported: rule, file, place and message.
    seen: HashSet<FindingKey>,
}

/// Findings of one policy document, and the compile errors seen (to tell
/// a world's policy errors from its other errors).
#[derive(Default)]
pub(super) struct Findings {
    /// The findings, in the order found.
    pub(super) list: Vec<Finding>,
    /// The compile errors, each statement's.
    pub(super) compile_errors: Vec<Diagnostic>,
}

fn tag(rule: Rule, ds: impl IntoIterator<Item = Diagnostic>) -> impl Iterator<Item = Finding> {
    ds.into_iter().map(move |d| Finding::new(rule, d))
}

impl Found {
    /// Checks one input file; `from_dir` when a directory walk found it,
    /// which then passes over AWS CLI outputs and Terraform plans.
    /// Returns whether the file was checked. `timings` gets its phases:
    /// `read` (and parse), `load` (the world, or the scenario file run),
    /// `lint` and `report`.
    pub fn check(&mut self, path: &Path, from_dir: bool, timings: &mut Timings) -> bool {
        let mut sources = Sources::new();
        let Some(found) = self.check_file(&mut sources, path, from_dir, timings) else {
            return false;
        };
        self.report(&found, &sources, path);
        timings.lap("report");
        true
    }

    /// A command-line path that cannot be read.
    pub fn unreadable(&mut self, path: &Path, d: Diagnostic) {
        self.report(&[Finding::new(Rule::Unreadable, d)], &Sources::new(), path);
    }

    fn report(&mut self, found: &[Finding], sources: &Sources, path: &Path) {
        for f in found {
            // A world named by several inputs is reported once.
            let l = Located::new(f, sources, path);
            let key = (l.rule, l.file.clone(), l.line_col, l.message.clone());
            if self.seen.insert(key) {
                self.findings.push(l);
            }
        }
    }

    fn check_file(
        &mut self,
        sources: &mut Sources,
        path: &Path,
        from_dir: bool,
        timings: &mut Timings,
    ) -> Option<Vec<Finding>> {
        let mut loader = FsLoader::default();
        let id = match loader.read(sources, path) {
            Ok(id) => id,
            Err(d) => return Some(vec![Finding::new(Rule::Unreadable, d)]),
        };
        let node = match world::parse_source(sources, id) {
            Ok(n) => n,
            Err(d) => return Some(vec![Finding::new(Rule::JsonSyntax, d)]),
        };
        timings.lap("read");
        if from_dir && (iamsim_core::import::is_dump(&node) || scenario::is_terraform_plan(&node)) {
            return None;
        }
        Some(self.check_node(sources, &mut loader, (id, &node), (path, timings)))
    }

    fn check_node(
        &mut self,
        sources: &mut Sources,
        loader: &mut FsLoader,
        (id, node): (SourceId, &Node),
        (path, timings): (&Path, &mut Timings),
    ) -> Vec<Finding> {
        if let Some(d) = crate::batch::named_plan(id, node) {
            return vec![Finding::new(Rule::ScenarioFormat, d)];
        }
        let doc = Doc { source: id };
        if iamsim_core::import::is_dump(node) {
            let d = doc.err(
                node,
                &JsonPath::ROOT,
                "an AWS CLI output, read through the world that names it: validate that world",
            );
            return vec![Finding::new(Rule::WorldFormat, d)];
        }
        if node.as_object().is_none() {
            let d = doc.err(
                node,
                &JsonPath::ROOT,
                format!(
                    "a world, a scenario file or a policy document is a JSON object, found {}",
                    node.kind_name()
                ),
            );
            return vec![Finding::new(Rule::WorldFormat, d)];
        }
        let mut found = Findings::default();
        if node.get("scenarios").is_some() {
            return self.scenario_file(sources, path, timings);
        }
        if node.get("accounts").is_some() {
            let errors = world::load_world_node(sources, doc, node, &JsonPath::ROOT, loader)
                .err()
                .unwrap_or_default();
            timings.lap("load");
            lint_world(sources, loader, (id, node), "$", &mut found);
            timings.lap("lint");
            let mut out = world_errors(errors, &found.compile_errors);
            out.append(&mut found.list);
            return out;
        }
        lint_one(id, node, "$", bare_kind(node), &mut found);
        let mut out: Vec<Finding> = tag(Rule::PolicyGrammar, found.compile_errors).collect();
        out.append(&mut found.list);
        out
    }

    /// A scenario file, loaded and run as `iamsim run` does, then the
    /// policies of its world linted.
    fn scenario_file(
        &mut self,
        sources: &mut Sources,
        path: &Path,
        timings: &mut Timings,
    ) -> Vec<Finding> {
        let id = SourceId(0);
        let (mut loader, load_errors, mut out) =
            match Batch::load(&[path.to_path_buf()], None, Streaming::Never, false) {
                Ok(mut batch) => {
                    let mut out: Vec<Finding> =
                        tag(Rule::ScenarioName, std::mem::take(&mut batch.warnings))
                            .chain(tag(
                                Rule::DuplicateScenarioName,
                                std::mem::take(&mut batch.duplicate_names),
                            ))
                            .collect();
                    let clock = Clock::new(jiff::Timestamp::now());
                    if let Err(errors) = batch.run(&clock, Detail::Decisions) {
                        out.extend(tag(Rule::ScenarioRun, errors));
                    }
                    *sources = std::mem::take(&mut batch.sources);
                    (batch.loader, Vec::new(), out)
                }
                Err((batch_sources, errors)) => {
                    *sources = batch_sources;
                    let mut loader = FsLoader::default();
                    loader.register(id, path);
                    (loader, errors, Vec::new())
                }
            };
        timings.lap("load");
        // The policies of its world, linted, and compiled statement by
        // statement, which tells the world's policy errors from the others.
        let mut found = Findings::default();
        if let Ok(node) = world::parse_source(sources, id) {
            match node.get("world") {
                Some(w) if w.as_object().is_some() => {
                    lint_world(sources, &mut loader, (id, w), "$.world", &mut found);
                }
                Some(w) => {
                    if let Some(rel) = w.as_str() {
                        let p = loader.resolve(id, rel);
                        let key = p.canonicalize().unwrap_or_else(|_| p.clone());
                        if self.linted_worlds.insert(key) {
                            // The text the loader read, so that its
                            // errors and these point at one source.
                            let read = source_named(sources, &p.display().to_string())
                                .ok_or(())
                                .or_else(|()| loader.read(sources, &p).map_err(|_| ()));
                            if let Ok(wid) = read {
                                if let Ok(wn) = world::parse_source(sources, wid) {
                                    lint_world(sources, &mut loader, (wid, &wn), "$", &mut found);
                                }
                            }
                        }
                    }
                }
                None => {}
            }
        }
        timings.lap("lint");
        let mut errors = world_errors(load_errors, &found.compile_errors);
        for f in &mut errors {
            let scenario = f.diagnostic.location.as_ref().is_none_or(|l| {
                // Within the inline world, not the `world` key itself.
                l.source == id && !l.path.starts_with("$.world.") && !l.path.starts_with("$.world[")
            });
            if f.rule == Rule::WorldFormat && scenario {
                f.rule = Rule::ScenarioFormat;
            }
        }
        errors.append(&mut out);
        errors.append(&mut found.list);
        errors
    }
}

/// The compile errors the loader did not report (it stops at a policy's
/// first) come after, as the policy grammar's.
fn world_errors(errors: Vec<Diagnostic>, compile_errors: &[Diagnostic]) -> Vec<Finding> {
    let more: Vec<Finding> = compile_errors
        .iter()
        .filter(|c| !errors.iter().any(|d| same(c, d)))
        .map(|c| Finding::new(Rule::PolicyGrammar, c.clone()))
        .collect();
    errors
        .into_iter()
        .map(|d| {
            let rule = if compile_errors.iter().any(|c| same(c, &d)) {
                Rule::PolicyGrammar
            } else {
                Rule::WorldFormat
            };
            Finding::new(rule, d)
        })
        .chain(more)
        .collect()
}

/// Two diagnostics of the same fault: the same message at the same place.
fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.message == b.message
        && a.location.as_ref().map(|l| (l.source, l.span))
            == b.location.as_ref().map(|l| (l.source, l.span))
}

/// A bare document's kind: a trust policy names principals without
/// resources, another resource-based policy names both, an identity-based
/// policy names none.
fn bare_kind(node: &Node) -> PolicyKind {
    let statements: Vec<&Node> = match node.get("Statement").map(|s| &s.value) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(_) => node.get("Statement").into_iter().collect(),
        None => Vec::new(),
    };
    let has = |k: &str| statements.iter().any(|s| s.get(k).is_some());
    match (
        has("Principal") || has("NotPrincipal"),
        has("Resource") || has("NotResource"),
    ) {
        (true, false) => PolicyKind::Trust,
        (true, true) => PolicyKind::Resource,
        _ => PolicyKind::Identity,
    }
}

/// Compiles one policy document given as an object and lints it; a
/// compile error is kept in `found.compile_errors`, its path under `path`.
pub(super) fn lint_one(
    id: SourceId,
    node: &Node,
    path: &str,
    kind: PolicyKind,
    found: &mut Findings,
) -> Option<Policy> {
    node.as_object()?;
    match parse::compile(&Doc { source: id }, node, &JsonPath::ROOT, kind) {
        Ok(policy) => {
            found
                .list
                .extend(validate::lint_policy(id, node, path, &policy, kind));
            Some(policy)
        }
        Err(first) => {
            // Every statement's error, not only the document's first.
            let mut errors = vec![first];
            for d in validate::statement_errors(&Doc { source: id }, node, kind) {
                if !errors.iter().any(|e| same(e, &d)) {
                    errors.push(d);
                }
            }
            for mut d in errors {
                if let Some(loc) = &mut d.location {
                    if loc.path.starts_with('$') && path != "$" {
                        loc.path = format!("{path}{}", loc.path.trim_start_matches('$'));
                    }
                }
                found.compile_errors.push(d);
            }
            None
        }
    }
}

/// Lints a world's policy document in any of its forms: an object in
/// place, or a JSON string (plain or URL-encoded) or `{"file": ...}`,
/// read as the world loader reads it; findings then point into that text.
/// Each distinct text is linted once (see [`Distinct`]). Returns the
/// compiled policy.
fn lint_world_policy(
    (sources, loader, distinct): (&mut Sources, &mut FsLoader, &mut Distinct),
    (id, node): (SourceId, &Node),
    path: &str,
    kind: PolicyKind,
    found: &mut Findings,
) -> Option<Rc<Policy>> {
    // A text known only after apply has nothing to lint; a document given
    // with its Terraform address is linted as the document.
    let (node, path) =
        match world::terraform::policy_form(Doc { source: id }, node, &JsonPath::ROOT) {
            Ok(world::terraform::PolicyForm::Document {
                node: inner,
                terraform,
            }) => {
                let path = match terraform {
                    Some(_) => format!("{path}.document"),
                    None => path.to_string(),
                };
                (inner, path)
            }
            Ok(world::terraform::PolicyForm::Unknown(_)) | Err(_) => return None,
        };
    let path = path.as_str();
    match world::policy_node(sources, loader, Doc { source: id }, node, &JsonPath::ROOT) {
        Ok(Some((doc, inner))) => distinct.lint(sources, (doc.source, &inner), path, kind, found),
        Ok(None) => distinct.lint(sources, (id, node), path, kind, found),
        Err(_) => None,
    }
}

fn members(n: Option<&Node>) -> &[iamsim_core::json::Member] {
    n.and_then(Node::as_object).unwrap_or_default()
}

/// Lints one policy document of a world at a JSON path, as a kind;
/// returns the compiled policy.
type LintOne<'a> = dyn FnMut(&Node, String, PolicyKind) -> Option<Rc<Policy>> + 'a;

/// Lints every policy document a world holds, in whichever form.
fn lint_world(
    sources: &mut Sources,
    loader: &mut FsLoader,
    (id, w): (SourceId, &Node),
    root: &str,
    found: &mut Findings,
) {
    let mut scp_levels: Vec<(Diagnostic, bool)> = Vec::new();
    let mut distinct = Distinct::default();
    let mut one = |n: &Node, path: String, kind: PolicyKind| {
        lint_world_policy(
            (sources, loader, &mut distinct),
            (id, n),
            &path,
            kind,
            found,
        )
    };
    for m in members(w.get("aws_managed_policies")) {
        one(
            &m.node,
            member_path(&format!("{root}.aws_managed_policies"), &m.key),
            PolicyKind::Identity,
        );
    }
    // Each level's SCPs, compiled, to tell a level that allows nothing.
    let mut lists = |n: &Node, path: &str, one: &mut LintOne<'_>| {
        for (key, kind) in [("scps", PolicyKind::Scp), ("rcps", PolicyKind::Rcp)] {
            let Some(list) = n.get(key) else {
                continue;
            };
            let Value::Array(items) = &list.value else {
                continue;
            };
            let mut compiled = Vec::new();
            let mut complete = true;
            for (i, p) in items.iter().enumerate() {
                let policy = match world::named_policy(p) {
                    Some((_, doc, _)) => one(doc, format!("{path}.{key}[{i}].policy"), kind),
                    None => one(p, format!("{path}.{key}[{i}]"), kind),
                };
                match policy {
                    Some(p) => compiled.push(p),
                    None => complete = false,
                }
            }
            if kind == PolicyKind::Scp && complete {
                let refs: Vec<&Policy> = compiled.iter().map(|p| &**p).collect();
                let d = Diagnostic::at(
                    id,
                    list.span,
                    &JsonPath::ROOT,
                    format!(
                        "no SCP of this level has an Allow statement, so every request of the accounts under it is denied{}",
                        if items.is_empty() {
                            " (an empty list detaches AWS's FullAWSAccess)"
                        } else {
                            ""
                        }
                    ),
                );
                let d = Diagnostic {
                    location: d.location.map(|mut l| {
                        l.path = format!("{path}.{key}");
                        l
                    }),
                    ..d
                };
                scp_levels.push((d, validate::scp_level_allows_nothing(&refs)));
            }
        }
    };
    if let Some(org) = w.get("organization") {
        if let Some(r) = org.get("root") {
            lists(r, &format!("{root}.organization.root"), &mut one);
        }
        for m in members(org.get("ous")) {
            lists(
                &m.node,
                &member_path(&format!("{root}.organization.ous"), &m.key),
                &mut one,
            );
        }
    }
    for a in members(w.get("accounts")) {
        let ap = member_path(&format!("{root}.accounts"), &a.key);
        lists(&a.node, &ap, &mut one);
        for m in members(a.node.get("policies")) {
            one(
                &m.node,
                member_path(&format!("{ap}.policies"), &m.key),
                PolicyKind::Identity,
            );
        }
        for (entities, what) in [("users", "users"), ("groups", "groups"), ("roles", "roles")] {
            for e in members(a.node.get(entities)) {
                let ep = member_path(&format!("{ap}.{what}"), &e.key);
                for m in members(e.node.get("inline_policies")) {
                    one(
                        &m.node,
                        member_path(&format!("{ep}.inline_policies"), &m.key),
                        PolicyKind::Identity,
                    );
                }
                // A boundary named by ARN is a managed policy, linted
                // where it is defined.
                let boundary = e.node.get("permissions_boundary").filter(|b| {
                    b.as_str()
                        .is_none_or(iamsim_core::world::load::looks_like_document)
                });
                if let Some(b) = boundary {
                    one(
                        b,
                        format!("{ep}.permissions_boundary"),
                        PolicyKind::Boundary,
                    );
                }
                if let Some(t) = e.node.get("trust_policy") {
                    one(t, format!("{ep}.trust_policy"), PolicyKind::Trust);
                }
            }
        }
        for m in members(a.node.get("buckets")) {
            if let Some(p) = m.node.get("policy") {
                one(
                    p,
                    member_path(&format!("{ap}.buckets"), &m.key) + ".policy",
                    PolicyKind::Bucket,
                );
            }
        }
        for m in members(a.node.get("resources")) {
            if let Some(p) = m.node.get("policy") {
                one(
                    p,
                    member_path(&format!("{ap}.resources"), &m.key) + ".policy",
                    PolicyKind::Resource,
                );
            }
        }
    }
    for (d, allows_nothing) in scp_levels {
        if allows_nothing {
            found.list.push(Finding::new(Rule::ScpAllowsNothing, d));
        }
    }
}
