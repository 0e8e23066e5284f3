//! The organization's gates: RCPs of the resource's account (R20, R21) and
//! SCPs of the principal's account, level by level (R18, R19).

use super::scan::{Input, Source};
use super::{Gate, GateReport, Hit, RCP_SERVICES, Verdict, report};
use crate::policy::PolicyKind;
use crate::world::World;

/// What the organization's policies decided.
pub(super) struct OrgGates<'a> {
    /// One report for RCPs, then one per SCP level.
    pub reports: Vec<GateReport<'a>>,
    /// Deny statements of SCPs and RCPs that match.
    pub denies: Vec<Hit<'a>>,
    /// Some SCP level has no allow.
    pub scp_failed: bool,
}

/// Runs the RCP gate and the SCP gates.
pub(super) fn gates<'a>(world: &'a World, input: &Input<'a, '_>) -> OrgGates<'a> {
    let mut out = OrgGates {
        reports: Vec::new(),
        denies: Vec::new(),
        scp_failed: false,
    };
    rcps(world, input, &mut out);
    scps(world, input, &mut out);
    out
}

fn rcps<'a>(world: &'a World, input: &Input<'a, '_>, out: &mut OrgGates<'a>) {
    let racct = input.req.target.account.as_str();
    let service = input.action.service;
    let account = world.accounts.get(racct);
    let skip = |why: String| report(Gate::Rcp, Verdict::Skip, Vec::new(), why);
    let report_ = match account {
        _ if !RCP_SERVICES.contains(&service) => {
            skip(format!("RCPs do not govern {service} actions"))
        }
        Some(a) if a.is_management => skip(format!(
            "account {racct} is the management account, exempt from RCPs"
        )),
        Some(a) if a.levels.is_empty() => skip(format!(
            "account {racct} is not a member of an organization"
        )),
        None => skip(format!(
            "account {racct} is not a member of an organization"
        )),
        Some(_) if input.req.caller.is_service_linked() => {
            skip("calls by service-linked roles are exempt from RCPs".into())
        }
        Some(a) => {
            let mut scan = super::scan::Scan::default();
            for level in &a.levels {
                input.scan_into(
                    &Source::level(world, level, &level.rcps, PolicyKind::Rcp),
                    &mut scan,
                );
            }
            let verdict = if scan.denies.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            out.denies.extend(scan.denies.iter().copied());
            report(
                Gate::Rcp,
                verdict,
                scan.denies,
                format!(
                    "RCPFullAWSAccess allows at every level of account {racct}; customer RCPs can only deny"
                ),
            )
        }
    };
    out.reports.push(report_);
}

fn scps<'a>(world: &'a World, input: &Input<'a, '_>, out: &mut OrgGates<'a>) {
    let caller = input.req.caller;
    let pacct = caller.account();
    let skip = |why: String| {
        report(
            Gate::Scp(format!("account {pacct}")),
            Verdict::Skip,
            Vec::new(),
            why,
        )
    };
    let account = match world.accounts.get(pacct) {
        Some(a) if a.is_management => {
            out.reports.push(skip(format!(
                "account {pacct} is the management account, exempt from SCPs"
            )));
            return;
        }
        Some(a) if !a.levels.is_empty() && caller.is_service_linked() => {
            out.reports
                .push(skip("service-linked roles are exempt from SCPs".into()));
            return;
        }
        Some(a) if !a.levels.is_empty() => a,
        _ => {
            out.reports.push(skip(format!(
                "account {pacct} is not a member of an organization"
            )));
            return;
        }
    };
    for level in &account.levels {
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
        let scan = input.scan(&Source::level(world, level, ids, PolicyKind::Scp));
        out.denies.extend(scan.denies.iter().copied());
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
}
