//! The organization's gates: RCPs of the resource's account (R20, R21) and
//! SCPs of the principal's account, level by level (R18, R19). Which levels
//! apply is decided once ([`rcp_levels`], [`scp_levels`]) for both the fast
//! path and the explanation.

use super::scan::{Input, Source};
use super::{Gate, GateReport, Hit, RCP_SERVICES, Verdict, report};
use crate::condition::Condition;
use crate::policy::PolicyKind;
use crate::world::{OrgLevel, World};

/// Why an organization gate does not apply.
#[derive(Clone, Copy, Debug)]
pub(super) enum Skip {
    /// RCPs do not govern this service.
    Service,
    /// The management account is exempt.
    Management,
    /// The account is not a member of an organization.
    NotMember,
    /// Service-linked roles are exempt.
    ServiceLinked,
}

/// The levels whose RCPs apply: those of the resource's account.
pub(super) fn rcp_levels<'w>(
    world: &'w World,
    input: &Input<'_, '_>,
) -> Result<&'w [OrgLevel], Skip> {
    if RCP_SERVICES.binary_search(&input.action.service).is_err() {
        return Err(Skip::Service);
    }
    match world.accounts.get(input.req.target.account) {
        Some(a) if a.is_management => Err(Skip::Management),
        Some(a) if a.levels.is_empty() => Err(Skip::NotMember),
        None => Err(Skip::NotMember),
        Some(_) if input.req.caller.is_service_linked() => Err(Skip::ServiceLinked),
        Some(a) => Ok(&a.levels),
    }
}

/// The levels whose SCPs apply: those of the principal's account.
pub(super) fn scp_levels<'w>(
    world: &'w World,
    input: &Input<'_, '_>,
) -> Result<&'w [OrgLevel], Skip> {
    match world.accounts.get(input.req.caller.account()) {
        Some(a) if a.is_management => Err(Skip::Management),
        Some(a) if a.levels.is_empty() => Err(Skip::NotMember),
        None => Err(Skip::NotMember),
        Some(_) if input.req.caller.is_service_linked() => Err(Skip::ServiceLinked),
        Some(a) => Ok(&a.levels),
    }
}

/// The fast path: does an SCP or RCP deny, and does some SCP level lack an allow?
pub(super) fn flags(world: &World, input: &Input<'_, '_>) -> (bool, bool) {
    let (mut deny, mut scp_failed) = (false, false);
    for level in rcp_levels(world, input).unwrap_or_default() {
        deny |= input
            .flags(Source::level(world, level, &level.rcps, PolicyKind::Rcp))
            .deny;
    }
    for level in scp_levels(world, input).unwrap_or_default() {
        if let Some(ids) = &level.scps {
            let f = input.flags(Source::level(world, level, ids, PolicyKind::Scp));
            deny |= f.deny;
            scp_failed |= !f.allow;
        }
    }
    (deny, scp_failed)
}

/// What the organization's policies decided, for the explanation.
pub(super) struct OrgGates<'a> {
    /// One report for RCPs, then one per SCP level.
    pub reports: Vec<GateReport<'a>>,
    /// Deny statements of SCPs and RCPs that match.
    pub denies: Vec<Hit<'a>>,
    /// Some SCP level has no allow.
    pub scp_failed: bool,
    /// Conditions of their statements whose key the request lacks.
    pub absent: Vec<&'a Condition>,
}

/// Runs the RCP gate and the SCP gates, keeping what decided them.
pub(super) fn gates<'a>(world: &'a World, input: &Input<'a, '_>) -> OrgGates<'a> {
    let mut out = OrgGates {
        reports: Vec::new(),
        denies: Vec::new(),
        scp_failed: false,
        absent: Vec::new(),
    };
    let racct = input.req.target.account;
    match rcp_levels(world, input) {
        Err(why) => {
            let note = match why {
                Skip::Service => format!("RCPs do not govern {} actions", input.action.service),
                Skip::Management => {
                    format!("account {racct} is the management account, exempt from RCPs")
                }
                Skip::NotMember => format!("account {racct} is not a member of an organization"),
                Skip::ServiceLinked => {
                    "calls by service-linked roles are exempt from RCPs".to_string()
                }
            };
            out.reports
                .push(report(Gate::Rcp, Verdict::Skip, Vec::new(), note));
        }
        Ok(levels) => {
            let scan = input.scan(
                levels
                    .iter()
                    .flat_map(|l| Source::level(world, l, &l.rcps, PolicyKind::Rcp)),
            );
            let verdict = if scan.denies.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            out.denies.extend(scan.denies.iter().copied());
            out.absent.extend(scan.absent.iter().copied());
            let note = format!(
                "RCPFullAWSAccess allows at every level of account {racct}; customer RCPs can only deny"
            );
            out.reports
                .push(report(Gate::Rcp, verdict, scan.denies, note));
        }
    }
    let pacct = input.req.caller.account();
    let levels = match scp_levels(world, input) {
        Ok(levels) => levels,
        Err(why) => {
            let note = match why {
                Skip::Management => {
                    format!("account {pacct} is the management account, exempt from SCPs")
                }
                Skip::ServiceLinked => "service-linked roles are exempt from SCPs".to_string(),
                Skip::NotMember | Skip::Service => {
                    format!("account {pacct} is not a member of an organization")
                }
            };
            out.reports.push(report(
                Gate::Scp(format!("account {pacct}")),
                Verdict::Skip,
                Vec::new(),
                note,
            ));
            return out;
        }
    };
    for level in levels {
        let gate = Gate::Scp(level.target.clone());
        let Some(ids) = &level.scps else {
            out.reports.push(report(
                gate,
                Verdict::Pass,
                Vec::new(),
                "no SCP list given: AWS's default FullAWSAccess allows everything",
            ));
            continue;
        };
        let scan = input.scan(Source::level(world, level, ids, PolicyKind::Scp));
        out.denies.extend(scan.denies.iter().copied());
        out.absent.extend(scan.absent.iter().copied());
        if scan.allows() {
            out.reports
                .push(report(gate, Verdict::Pass, scan.allows, ""));
            continue;
        }
        out.scp_failed = true;
        let note = if ids.is_empty() {
            format!(
                "no SCP is attached at {}, so nothing is allowed below it",
                level.target
            )
        } else {
            format!(
                "no SCP attached at {} allows {} (every level from the root down to the account must allow)",
                level.target, input.req.action
            )
        };
        out.reports
            .push(report(gate, Verdict::Fail, Vec::new(), note));
    }
    out
}
