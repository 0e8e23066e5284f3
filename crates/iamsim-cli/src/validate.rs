//! `iamsim validate`: worlds, scenario files and bare policy documents
//! checked, every finding located. Errors are what AWS (or the world
//! format) rejects; warnings are what AWS accepts but is almost certainly a
//! mistake (iamsim_core::validate).

use crate::files::FsLoader;
use crate::print;
use clap::Args;
use iamsim_core::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use iamsim_core::json::{Node, Value};
use iamsim_core::policy::{PolicyKind, parse};
use iamsim_core::{scenario, validate, world};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `iamsim validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// Worlds, scenario files or policy documents.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Default)]
struct Findings {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// Runs `iamsim validate`; returns 0 clean, 1 findings, 2 unreadable.
pub fn validate(args: &ValidateArgs) -> u8 {
    let mut sources = Sources::new();
    let mut loader = FsLoader::default();
    let mut found = Findings::default();
    let mut unreadable = Vec::new();
    for path in &args.files {
        let id = match loader.read(&mut sources, path) {
            Ok(id) => id,
            Err(d) if d.location.is_none() => {
                unreadable.push(d);
                continue;
            }
            Err(d) => {
                found.errors.push(d);
                continue;
            }
        };
        let node = match world::parse_source(&sources, id) {
            Ok(n) => n,
            Err(d) => {
                found.errors.push(d);
                continue;
            }
        };
        check(&mut sources, &mut loader, id, &node, &mut found);
    }
    let mut out = String::new();
    for d in &found.errors {
        let _ = writeln!(out, "{}", d.render(&sources));
    }
    for d in &found.warnings {
        let _ = writeln!(out, "{}", d.render_as(&sources, "warning"));
    }
    for d in &unreadable {
        let _ = writeln!(out, "{}", d.render(&sources));
    }
    let _ = writeln!(
        out,
        "{} errors, {} warnings, {} unreadable",
        found.errors.len(),
        found.warnings.len(),
        unreadable.len()
    );
    print(&out);
    if !unreadable.is_empty() {
        2
    } else if found.errors.is_empty() && found.warnings.is_empty() {
        0
    } else {
        1
    }
}

fn check(
    sources: &mut Sources,
    loader: &mut FsLoader,
    id: SourceId,
    node: &Node,
    found: &mut Findings,
) {
    let doc = Doc { source: id };
    if node.get("accounts").is_some() && node.get("scenarios").is_none() {
        if let Err(errors) = world::load_world_node(sources, doc, node, &JsonPath::ROOT, loader) {
            found.errors.extend(errors);
        }
        lint_world(sources, loader, (id, node), "$", found);
    } else if node.get("scenarios").is_some() {
        match scenario::parse_node(sources, id, node, loader, false) {
            Ok(mut file) => {
                found.warnings.append(&mut file.warnings);
                if let scenario::WorldRef::Inline(w) = &file.world {
                    if let Err(errors) = world::load_world_node(
                        sources,
                        doc,
                        w,
                        &JsonPath::ROOT.key("world"),
                        loader,
                    ) {
                        found.errors.extend(errors);
                    }
                    lint_world(sources, loader, (id, w), "$.world", found);
                }
            }
            Err(errors) => found.errors.extend(errors),
        }
    } else {
        lint_one(id, node, "$", bare_kind(node), found, true);
    }
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

/// Compiles one policy document given as an object; reports its error when
/// `report_errors` (a world's policies already reported theirs), else lints.
fn lint_one(
    id: SourceId,
    node: &Node,
    path: &str,
    kind: PolicyKind,
    found: &mut Findings,
    report_errors: bool,
) {
    if node.as_object().is_none() {
        return;
    }
    match parse::compile(&Doc { source: id }, node, &JsonPath::ROOT, kind) {
        Ok(policy) => found
            .warnings
            .extend(validate::lint_policy(id, node, path, &policy, kind)),
        Err(mut d) if report_errors => {
            if let Some(loc) = &mut d.location {
                if loc.path.starts_with('$') && path != "$" {
                    loc.path = format!("{path}{}", loc.path.trim_start_matches('$'));
                }
            }
            found.errors.push(d);
        }
        Err(_) => {}
    }
}

/// Lints a world's policy document in any of its forms: an object in
/// place, or a JSON string (plain or URL-encoded) or `{"file": ...}`,
/// read as the world loader reads it; findings then point into that text.
/// Errors were reported when the world loaded.
fn lint_world_policy(
    sources: &mut Sources,
    loader: &mut FsLoader,
    (id, node): (SourceId, &Node),
    path: &str,
    kind: PolicyKind,
    found: &mut Findings,
) {
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
            Ok(world::terraform::PolicyForm::Unknown(_)) | Err(_) => return,
        };
    let path = path.as_str();
    match world::policy_node(sources, loader, Doc { source: id }, node, &JsonPath::ROOT) {
        Ok(Some((doc, inner))) => lint_one(doc.source, &inner, path, kind, found, false),
        Ok(None) => lint_one(id, node, path, kind, found, false),
        Err(_) => {}
    }
}

fn members(n: Option<&Node>) -> &[iamsim_core::json::Member] {
    n.and_then(Node::as_object).unwrap_or_default()
}

/// Lints every policy document a world holds, in whichever form.
fn lint_world(
    sources: &mut Sources,
    loader: &mut FsLoader,
    (id, w): (SourceId, &Node),
    root: &str,
    found: &mut Findings,
) {
    let mut one = |n: &Node, path: String, kind: PolicyKind| {
        lint_world_policy(sources, loader, (id, n), &path, kind, found);
    };
    for m in members(w.get("aws_managed_policies")) {
        one(
            &m.node,
            format!("{root}.aws_managed_policies[\"{}\"]", m.key),
            PolicyKind::Identity,
        );
    }
    let lists = |n: &Node, path: &str, one: &mut dyn FnMut(&Node, String, PolicyKind)| {
        for (key, kind) in [("scps", PolicyKind::Scp), ("rcps", PolicyKind::Rcp)] {
            if let Some(Value::Array(items)) = n.get(key).map(|l| &l.value) {
                for (i, p) in items.iter().enumerate() {
                    match world::named_policy(p) {
                        Some((_, doc, _)) => one(doc, format!("{path}.{key}[{i}].policy"), kind),
                        None => one(p, format!("{path}.{key}[{i}]"), kind),
                    }
                }
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
                &format!("{root}.organization.ous[\"{}\"]", m.key),
                &mut one,
            );
        }
    }
    for a in members(w.get("accounts")) {
        let ap = format!("{root}.accounts[\"{}\"]", a.key);
        lists(&a.node, &ap, &mut one);
        for m in members(a.node.get("policies")) {
            one(
                &m.node,
                format!("{ap}.policies[\"{}\"]", m.key),
                PolicyKind::Identity,
            );
        }
        for (entities, what) in [("users", "users"), ("groups", "groups"), ("roles", "roles")] {
            for e in members(a.node.get(entities)) {
                let ep = format!("{ap}.{what}[\"{}\"]", e.key);
                for m in members(e.node.get("inline_policies")) {
                    one(
                        &m.node,
                        format!("{ep}.inline_policies[\"{}\"]", m.key),
                        PolicyKind::Identity,
                    );
                }
                if let Some(b) = e.node.get("permissions_boundary") {
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
                    format!("{ap}.buckets[\"{}\"].policy", m.key),
                    PolicyKind::Bucket,
                );
            }
        }
        for m in members(a.node.get("resources")) {
            if let Some(p) = m.node.get("policy") {
                one(
                    p,
                    format!("{ap}.resources[\"{}\"].policy", m.key),
                    PolicyKind::Resource,
                );
            }
        }
    }
}
