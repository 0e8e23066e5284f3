//! The AWS pages that explanations cite: one per gate, and one for the rule
//! that decided a request. `docs/evaluation.md` gives every rule with its
//! page; these are the ones an explanation points a reader to.

use super::Gate;

/// Policy evaluation logic: default deny, explicit deny, the order of the
/// gates, and the trust-policy and key-policy exception (D01–D05, D11).
pub const EVALUATION: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html";
/// Cross-account policy evaluation: both sides must allow (D12–D14).
pub const CROSS_ACCOUNT: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html";
/// The Principal element: how a resource-based policy names a caller
/// (D06–D10, D25).
pub const PRINCIPAL: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html";
/// Permissions boundaries (D16).
pub const BOUNDARIES: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html";
/// Session policies (D17).
pub const SESSION_POLICIES: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session";
/// Service control policies (D18, D19).
pub const SCPS: &str =
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html";
/// Resource control policies (D20, D21).
pub const RCPS: &str =
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html";
/// Switching to a role with the API: the root user cannot (D27).
pub const ROOT_CANNOT_ASSUME: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-api.html";
/// Session tags, transitive tags and `sts:TagSession` (D31).
pub const SESSION_TAGS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html";
/// Source identity and `sts:SetSourceIdentity` (D32).
pub const SOURCE_IDENTITY: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html";

impl Gate {
    /// The AWS page that describes this gate; for the combining rule, the
    /// cross-account page when the request crosses accounts. `None` for an
    /// AWS protection, whose page is that of the protection that refused
    /// the request ([`crate::protection::Rule::page`]), which the decision
    /// carries.
    pub fn page(&self, cross_account: bool) -> Option<&'static str> {
        let page = match self {
            Gate::AwsProtection => return None,
            Gate::RootUser => ROOT_CANNOT_ASSUME,
            Gate::ExplicitDeny | Gate::Identity => EVALUATION,
            Gate::Rcp => RCPS,
            Gate::Scp(_) => SCPS,
            Gate::ResourcePolicy => PRINCIPAL,
            Gate::Boundary => BOUNDARIES,
            Gate::SessionPolicy => SESSION_POLICIES,
            Gate::Combine if cross_account => CROSS_ACCOUNT,
            Gate::Combine => EVALUATION,
        };
        Some(page)
    }
}
