//! How the gates combine: the same-account rule (R05–R11, R22, R23) and
//! the cross-account rule (R12–R15), in one place.

use super::Request;
use crate::policy::Grant;

/// What each side of the request allows.
#[derive(Clone, Copy, Debug)]
pub struct Sides {
    /// Principal and resource are in one account.
    pub same_account: bool,
    /// How the resource-based policy names the caller, if it allows.
    pub grant: Option<Grant>,
    /// An identity-based policy allows (always true for a root user).
    pub id_ok: bool,
    /// No boundary, or the boundary allows.
    pub bnd_ok: bool,
    /// No session policy, or it allows.
    pub sess_ok: bool,
    /// The resource policy is a role's trust policy.
    pub is_trust: bool,
}

impl Sides {
    /// The principal's side: identity within boundary and session policy.
    pub fn principal_side(&self) -> bool {
        self.id_ok && self.bnd_ok && self.sess_ok
    }

    /// Whether the request is allowed once no Deny applies and every
    /// RCP and SCP level allows.
    pub fn allowed(&self, req: &Request<'_>) -> bool {
        let principal = self.principal_side();
        if !self.same_account {
            // R12: both the principal's account and the resource's must allow.
            return self.grant.is_some() && principal;
        }
        let by_resource_policy = match self.grant {
            // R06, R09, R10; a trust policy naming the caller directly is
            // still limited by the caller's boundary (ambiguities A2).
            Some(Grant::Direct) => !self.is_trust || self.bnd_ok,
            // R08: a grant to the role ARN is limited by the role's boundary
            // and the session policy.
            Some(Grant::Role) => self.bnd_ok && self.sess_ok,
            // R07: naming the account delegates to identity policies.
            Some(Grant::Account) | None => false,
        };
        // R05, with R11/R22: trust and key policies must allow even here.
        let by_identity = principal && (!req.target.policy_required || self.grant.is_some());
        (by_resource_policy || by_identity) && (!req.identity_required || principal)
    }

    /// The rule in words, for the explanation.
    pub fn rule(&self, req: &Request<'_>) -> String {
        let (pacct, racct) = (req.caller.account(), req.target.account);
        if !self.same_account {
            return format!(
                "cross-account (principal in {pacct}, resource in {racct}): both the principal's side (identity-based policies within boundary and session policy) and the resource-based policy must allow (R12)"
            );
        }
        if req.target.is_aws_managed_policy() {
            return format!(
                "AWS managed policy {}: it belongs to AWS, not to an account, and has no resource-based policy, so the caller's identity-based policies (within boundary and session policy) decide alone",
                req.target.arn
            );
        }
        if req.target.policy_required {
            return format!(
                "same account {pacct}: the {} must allow even here; if it names only the account, an identity-based allow is needed too (R22, R23)",
                if self.is_trust {
                    "trust policy"
                } else {
                    "key policy"
                }
            );
        }
        format!(
            "same account {pacct}: an allow in either the identity-based policies or the resource-based policy is enough (R05)"
        )
    }
}
