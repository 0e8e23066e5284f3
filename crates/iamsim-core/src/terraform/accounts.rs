//! Which account each provider configuration acts in. A plan does not say:
//! `--terraform-account [PROVIDER=]ID` says it, else a
//! `data.aws_caller_identity` of the prior state
//! (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity>),
//! else what the configuration or the plan's known ARNs show: a constant
//! `assume_role.role_arn` or a single `allowed_account_ids` of the provider
//! block (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs#argument-reference>),
//! or the `arn` of a resource that already exists.

use super::plan::Plan;
use crate::arn::is_account_id;
use crate::diag::Diagnostic;
use crate::json::{Node, Value};
use rustc_hash::FxHashMap;

/// One `--terraform-account` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountArg {
    /// The provider configuration key it is for; `None` for every
    /// configuration that has no argument of its own.
    pub provider: Option<String>,
    /// The 12-digit account id.
    pub account: String,
}

impl AccountArg {
    /// Parses `ID` or `PROVIDER=ID`; the error names the argument.
    pub fn parse(text: &str) -> Result<AccountArg, Diagnostic> {
        let (provider, account) = match text.rsplit_once('=') {
            Some((p, a)) => (Some(p.to_string()), a),
            None => (None, text),
        };
        if !is_account_id(account) || provider.as_deref() == Some("") {
            return Err(Diagnostic::bare(format!(
                "argument --terraform-account '{text}': must be ACCOUNT or PROVIDER=ACCOUNT, with ACCOUNT a 12-digit account id"
            )));
        }
        Ok(AccountArg {
            provider,
            account: account.to_string(),
        })
    }
}

/// The account and region of each provider configuration.
pub struct Accounts {
    by_key: FxHashMap<String, String>,
    regions: FxHashMap<String, String>,
}

impl Accounts {
    /// Settles every provider key of the plan that can be settled; an
    /// argument naming a key the plan does not have is an error.
    pub fn new(plan: &Plan<'_>, args: &[AccountArg]) -> Result<Accounts, Diagnostic> {
        let keys = plan.provider_keys();
        let mut by_key = FxHashMap::default();
        let mut bare = None;
        for a in args {
            match &a.provider {
                Some(p) if !keys.contains(p) => {
                    return Err(Diagnostic::bare(format!(
                        "argument --terraform-account '{p}={}': the plan has no provider configuration \"{p}\" (it has: {})",
                        a.account,
                        keys.join(", ")
                    )));
                }
                Some(p) => {
                    by_key.insert(p.clone(), a.account.clone());
                }
                None => bare = Some(a.account.clone()),
            }
        }
        let mut regions = FxHashMap::default();
        for key in &keys {
            let block = plan
                .providers
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, n)| *n);
            if let Some(r) = block
                .and_then(|b| constant(b, "region"))
                .and_then(Node::as_str)
            {
                regions.insert(key.clone(), r.to_string());
            }
            if by_key.contains_key(key) {
                continue;
            }
            let found = bare
                .clone()
                .or_else(|| {
                    plan.identities
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, a)| a.clone())
                })
                .or_else(|| block.and_then(from_provider_block))
                .or_else(|| from_known_arns(plan, key));
            if let Some(a) = found {
                by_key.insert(key.clone(), a);
            }
        }
        Ok(Accounts { by_key, regions })
    }

    /// The account of a provider key, if known.
    pub fn account(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }

    /// The region of a provider key, when its block gives a constant one.
    pub fn region(&self, key: &str) -> Option<&str> {
        self.regions.get(key).map(String::as_str)
    }
}

/// `expressions.NAME.constant_value` of a block.
fn constant<'n>(block: &'n Node, name: &str) -> Option<&'n Node> {
    block.get("expressions")?.get(name)?.get("constant_value")
}

/// The account a provider block names: its `assume_role` role ARN, or its
/// only allowed account id.
fn from_provider_block(block: &Node) -> Option<String> {
    let exprs = block.get("expressions")?;
    let role = match exprs.get("assume_role").map(|a| &a.value) {
        Some(Value::Array(items)) => items.first(),
        Some(Value::Object(_)) => exprs.get("assume_role"),
        _ => None,
    };
    let from_role = role
        .and_then(|r| r.get("role_arn"))
        .and_then(|r| r.get("constant_value"))
        .and_then(Node::as_str)
        .and_then(account_of_arn);
    from_role.or_else(
        || match constant(block, "allowed_account_ids").map(|n| &n.value) {
            Some(Value::Array(ids)) if ids.len() == 1 => ids
                .first()
                .and_then(Node::as_str)
                .filter(|a| is_account_id(a))
                .map(str::to_string),
            _ => None,
        },
    )
}

/// The account field of an ARN, when it is an account id.
pub fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    is_account_id(account).then(|| account.to_string())
}

/// The account of the known `arn`s of the key's resources, when they all
/// agree.
fn from_known_arns(plan: &Plan<'_>, key: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for c in plan
        .changes
        .iter()
        .filter(|c| c.aws && c.provider_key() == key)
    {
        for side in [c.before, c.after].into_iter().flatten() {
            let Some(a) = side
                .get("arn")
                .and_then(Node::as_str)
                .and_then(account_of_arn)
            else {
                continue;
            };
            if found.as_ref().is_some_and(|f| *f != a) {
                return None;
            }
            found = Some(a);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_is_an_account_or_a_provider_and_an_account() {
        assert_eq!(
            AccountArg::parse("module.app:aws.edge=111111111111").ok(),
            Some(AccountArg {
                provider: Some("module.app:aws.edge".into()),
                account: "111111111111".into()
            })
        );
        assert_eq!(
            AccountArg::parse("111111111111")
                .ok()
                .and_then(|a| a.provider),
            None
        );
        // Near misses: 11 digits, an empty provider.
        assert!(AccountArg::parse("11111111111").is_err());
        assert!(AccountArg::parse("=111111111111").is_err());
    }
}
