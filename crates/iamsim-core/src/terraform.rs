//! Terraform plans in: the world after a plan (`iamsim import
//! --terraform`), and the world before it (`iamsim diff --terraform`).
//!
//! Reads the output of `terraform show -json PLANFILE` as Terraform's "JSON
//! Output Format" page describes it
//! (<https://developer.hashicorp.com/terraform/internals/json-format>),
//! from `resource_changes` (`before`, `after`, `after_unknown`, `actions`),
//! not `planned_values`, which drops deleted resources and cannot tell
//! unknown from null. [`plan`] reads and checks the file, [`address`]
//! splits addresses and references, [`accounts`] settles the account of
//! each provider configuration, [`references`] resolves what is unknown at
//! plan time, [`resources`] turns each resource type into world edits, and
//! [`apply`] makes them on a world in the world format, which the normal
//! loader then validates.
//!
//! Every policy written carries its Terraform address (`{"terraform":
//! ADDRESS, "document": DOC}`), and what stays unknown is written as
//! `{"terraform": ADDRESS, "unknown": ATTRIBUTE}` or an entity's `unknown`
//! list, so decisions that depend on it are indeterminate.

pub mod accounts;
pub mod address;
pub mod apply;
pub mod plan;
pub mod references;
pub mod resources;

use crate::diag::{Diagnostic, Doc, JsonPath, SourceId, Sources};
use crate::import::Reader;
use crate::json::Node;
use crate::world::{NoFiles, load_world, parse_source};
pub use accounts::AccountArg;
use accounts::Accounts;
use plan::{Action, Change};
use references::Known;
use resources::{Build, Item, Side};
use serde_json::{Value as Out, json};

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--terraform-account` arguments.
    pub accounts: Vec<AccountArg>,
    /// `--strict`: anything known only after apply is an error.
    pub strict: bool,
}

/// Which world of the plan to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// The world before the plan: the base with every object the plan
    /// found (`before` of each change that is not a create).
    Before,
    /// The world after the plan: the base with every change applied.
    After,
}

/// A world built from a plan, with what the reader should know of it.
#[derive(Debug)]
pub struct Imported {
    /// The world, in the world format.
    pub world: Out,
    /// Warnings, located in the plan: unmodelled resource policies, and
    /// changes at odds with the base world.
    pub warnings: Vec<Diagnostic>,
    /// Every `ADDRESS ATTRIBUTE` known only after apply.
    pub unknowns: Vec<String>,
    /// Addresses of resources that carry no IAM meaning iamsim reads.
    pub skipped: Vec<String>,
}

/// Builds the world before or after a plan (a registered source), on a
/// base world (its JSON, already validated) or an empty one.
pub fn import(
    sources: &mut Sources,
    plan_id: SourceId,
    base: Option<Out>,
    opts: &Options,
    moment: Moment,
) -> Result<Imported, Vec<Diagnostic>> {
    let root = parse_source(sources, plan_id).map_err(|d| vec![d])?;
    let doc = Doc { source: plan_id };
    let plan = plan::read(doc, &root)?;
    let accounts = Accounts::new(&plan, &opts.accounts).map_err(|d| vec![d])?;
    let has_base = base.is_some();
    let mut world = apply::World::new(base);
    let mut b = Build {
        known: Known {
            plan: &plan,
            accounts: &accounts,
        },
        reader: Reader::new(sources),
        unknowns: Vec::new(),
        skipped: Vec::new(),
    };
    let mut warnings = Vec::new();
    let mut removals: Vec<(&Change<'_>, Item)> = Vec::new();
    let mut additions: Vec<(&Change<'_>, Item)> = Vec::new();
    for ch in &plan.changes {
        if ch.data || ch.action == Action::Read {
            continue;
        }
        if !ch.aws || !resources::READ.contains(&ch.kind.as_str()) {
            if ch.aws && resources::UNMODELLED_POLICIES.contains(&ch.kind.as_str()) {
                warnings.push(ch.located(doc, None, "", format!(
                    "{}: iamsim does not model {} yet; the access it grants or denies is not in the world",
                    ch.address, ch.kind
                )));
            } else {
                b.skipped.push(ch.address.clone());
            }
            continue;
        }
        if ch.kind == "aws_organizations_policy" {
            continue;
        }
        match moment {
            Moment::Before => {
                if ch.action.existed() {
                    additions.extend(b.items(ch, Side::Before).into_iter().map(|i| (ch, i)));
                }
            }
            Moment::After => {
                let entity_replaced = matches!(ch.action, Action::Delete | Action::Replace);
                let link_redone = matches!(ch.action, Action::Update | Action::NoOp);
                if (entity_replaced && !resources::delete_keeps(ch)) || link_redone {
                    for item in b.items(ch, Side::Before) {
                        if entity_replaced || item.tier() > 0 {
                            removals.push((ch, item));
                        }
                    }
                }
                let side = match ch.action {
                    Action::Delete => None,
                    Action::Forget => Some(Side::Before),
                    _ => Some(Side::After),
                };
                if let Some(side) = side {
                    for item in b.items(ch, side) {
                        if has_base {
                            base_warning(&world, doc, ch, &item, &mut warnings);
                        }
                        additions.push((ch, item));
                    }
                }
            }
        }
    }
    let mut skipped = std::mem::take(&mut b.skipped);
    let unknowns = std::mem::take(&mut b.unknowns);
    let mut errors = std::mem::take(&mut b.reader.errors);
    if opts.strict {
        errors.extend(unknowns.iter().map(|(_, d)| Diagnostic {
            message: format!("{} (--strict)", d.message),
            ..d.clone()
        }));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    removals.sort_by_key(|(_, i)| std::cmp::Reverse(i.tier()));
    for (_, item) in &removals {
        // A removal that finds nothing to remove has nothing to do.
        let _ = world.remove(item);
    }
    additions.sort_by_key(|(_, i)| i.tier());
    for (ch, item) in &additions {
        if let Err(e) = world.add(item) {
            errors.push(ch.located(doc, None, "", format!("{}: {e}", ch.address)));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    skipped.sort();
    skipped.dedup();
    let mut root_out = world.root;
    root_out.entry("accounts").or_insert_with(|| json!({}));
    let world = Out::Object(root_out);
    check_loads(b.reader.sources, doc, &root, &world, moment)?;
    Ok(Imported {
        world,
        warnings,
        unknowns: unknowns.into_iter().map(|(k, _)| k).collect(),
        skipped,
    })
}

/// The world built must load. A plan can name what the world format
/// refuses (a managed policy that exists neither in the base world nor in
/// the plan, a user name IAM would refuse), and an import must fail on it
/// with errors in the plan, never write a world that does not load: each
/// error of the loader is reported at the plan's `resource_changes`, with
/// the path in the built world that it names.
fn check_loads(
    sources: &mut Sources,
    doc: Doc,
    root: &Node,
    world: &Out,
    moment: Moment,
) -> Result<(), Vec<Diagnostic>> {
    let when = match moment {
        Moment::Before => "before",
        Moment::After => "after",
    };
    let text = serde_json::to_string_pretty(world).map_err(|e| {
        vec![Diagnostic::bare(format!(
            "cannot write the world {when} the plan: {e}"
        ))]
    })?;
    let id = sources.add(format!("(the world {when} the plan)"), text);
    let Err(errors) = load_world(sources, id, &mut NoFiles) else {
        return Ok(());
    };
    let key = JsonPath::ROOT.key("resource_changes");
    let (at, path) = match root.get("resource_changes") {
        Some(list) => (list, &key),
        None => (root, &JsonPath::ROOT),
    };
    Err(errors
        .into_iter()
        .map(|d| {
            let world_path = d.location.map(|l| l.path).unwrap_or_default();
            doc.err(
                at,
                path,
                format!(
                    "the plan makes a world {when} it that iamsim cannot load: {} (at {world_path} of that world)",
                    d.message
                ),
            )
        })
        .collect())
}

/// With `--base`, a plan that creates what the base has, or updates what
/// it lacks, is a warning naming both; the plan wins.
fn base_warning(
    world: &apply::World,
    doc: Doc,
    ch: &Change<'_>,
    item: &Item,
    out: &mut Vec<Diagnostic>,
) {
    let Some(has) = world.has(item) else {
        return;
    };
    let what = match item {
        Item::Principal { at, .. } => format!(
            "{} \"{}\" of account {}",
            at.holder.word(),
            at.name,
            at.account
        ),
        Item::Policy { account, name, .. } => format!("policy \"{name}\" of account {account}"),
        Item::Bucket { name, .. } => format!("bucket \"{name}\""),
        Item::Key { arn, .. } => format!("key {arn}"),
        _ => return,
    };
    let msg = match (ch.action, has) {
        (Action::Create, true) => format!(
            "{} creates {what}, which the base world already has; the plan wins",
            ch.address
        ),
        (Action::Update, false) => format!(
            "{} updates {what}, which the base world lacks; the plan wins",
            ch.address
        ),
        _ => return,
    };
    out.push(ch.located(doc, None, "", msg));
}

#[cfg(test)]
mod tests;
