//! Action patterns (docs/evaluation.md L08–L15): `*` or `service:name`, both
//! parts matched ignoring case, `*` and `?` allowed in the name only.

use crate::pattern::{self, NoVars, Syntax, Tok};

/// One compiled `Action` / `NotAction` entry, lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActionPattern {
    /// `*`: every action of every service.
    Any,
    /// `service:name-pattern`.
    Service {
        /// The service prefix, lower-cased.
        service: Box<str>,
        /// The name pattern, lower-cased.
        name: NamePattern,
    },
}

/// The name part of an action pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NamePattern {
    /// `service:*`.
    Any,
    /// A name without wildcards.
    Exact(Box<str>),
    /// A name with `*` or `?`.
    Glob(Vec<Tok>),
}

/// A request's action, lower-cased and split once.
#[derive(Clone, Copy, Debug)]
pub struct RequestAction<'a> {
    /// The service prefix, lower-cased.
    pub service: &'a str,
    /// The action name, lower-cased.
    pub name: &'a str,
}

impl<'a> RequestAction<'a> {
    /// Splits a lower-cased `service:name`.
    pub fn parse(lower: &'a str) -> Option<RequestAction<'a>> {
        let (service, name) = lower.split_once(':')?;
        if service.is_empty() || name.is_empty() || name.contains(':') {
            return None;
        }
        Some(RequestAction { service, name })
    }
}

impl ActionPattern {
    /// Compiles an entry, with AWS's errors for malformed ones (L71).
    pub fn compile(text: &str) -> Result<ActionPattern, String> {
        if text == "*" {
            return Ok(ActionPattern::Any);
        }
        let lower = text.to_lowercase();
        let Some((service, name)) = lower.split_once(':') else {
            return Err(format!(
                "action \"{text}\" must be \"*\" or written service:action (\"Actions/Conditions must be prefaced by a vendor\")"
            ));
        };
        if name.contains(':') {
            return Err(format!("action \"{text}\" can contain only one colon"));
        }
        if service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "action \"{text}\": the service prefix must be letters, digits and '-', without wildcards"
            ));
        }
        if name.is_empty() {
            return Err(format!(
                "action \"{text}\" has no action name after the colon"
            ));
        }
        let name = if name == "*" {
            NamePattern::Any
        } else if name.contains(['*', '?']) {
            NamePattern::Glob(pattern::compile(
                name,
                Syntax {
                    wildcards: true,
                    variables: false,
                },
            )?)
        } else {
            NamePattern::Exact(name.into())
        };
        Ok(ActionPattern::Service {
            service: service.into(),
            name,
        })
    }

    /// True when the request action is covered.
    pub fn matches(&self, a: &RequestAction<'_>) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Service { service, name } => {
                **service == *a.service
                    && match name {
                        NamePattern::Any => true,
                        NamePattern::Exact(n) => **n == *a.name,
                        NamePattern::Glob(toks) => {
                            pattern::matches(toks, a.name, &NoVars) == Some(true)
                        }
                    }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, a: &str) -> bool {
        let lower = a.to_lowercase();
        ActionPattern::compile(p)
            .unwrap()
            .matches(&RequestAction::parse(&lower).unwrap())
    }

    #[test]
    fn case_insensitive_with_wildcards() {
        assert!(m("IAM:listaccesskeys", "iam:ListAccessKeys"));
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(m("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(!m("s3:GetObjectAc?", "s3:GetObject"));
        assert!(m("*", "ec2:RunInstances"));
        assert!(!m("s3:*", "s3express:CreateSession"));
    }

    #[test]
    fn malformed_entries_are_errors() {
        for bad in ["s3", "s3:Get:Object", "s*:GetObject", ":GetObject", "s3:"] {
            assert!(ActionPattern::compile(bad).is_err(), "{bad}");
        }
    }
}
