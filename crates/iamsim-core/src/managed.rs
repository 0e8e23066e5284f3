//! AWS managed policies shipped inside the library, with the version of
//! each (`data/aws-managed/manifest.json` records version, date and source).
//! A world may define its own copy by name, which wins over these.

/// One shipped AWS managed policy.
#[derive(Clone, Copy, Debug)]
pub struct Shipped {
    /// The policy name, e.g. `AmazonS3ReadOnlyAccess`.
    pub name: &'static str,
    /// The JSON document.
    pub document: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(Shipped { name: $name, document: include_str!(concat!("../data/aws-managed/", $name, ".json")) }),*]
    };
}

/// Every shipped policy, by name.
pub const SHIPPED: &[Shipped] = shipped![
    "AdministratorAccess",
    "PowerUserAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonS3FullAccess",
    "AmazonEC2FullAccess",
    "AmazonEC2ReadOnlyAccess",
    "IAMReadOnlyAccess",
    "IAMFullAccess",
];

/// The manifest: for each shipped policy its AWS version id, date and source.
pub const MANIFEST: &str = include_str!("../data/aws-managed/manifest.json");

/// The prefix of every AWS managed policy ARN.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// The shipped policy of that name.
pub fn find(name: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.name == name)
}

/// The AWS version id the shipped copy of `name` has (`v3`...).
pub fn version(name: &str) -> Option<String> {
    let manifest: serde_json::Value = serde_json::from_str(MANIFEST).ok()?;
    manifest
        .get(name)?
        .get("version")?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Doc, JsonPath, Sources};
    use crate::policy::{PolicyKind, parse};

    #[test]
    fn every_shipped_policy_compiles_and_has_a_version() {
        let mut sources = Sources::new();
        for s in SHIPPED {
            let id = sources.add(s.name, s.document);
            let node = crate::json::parse(s.document).unwrap();
            let compiled = parse::compile(
                &Doc { source: id },
                &node,
                &JsonPath::ROOT,
                PolicyKind::Identity,
            );
            assert!(compiled.is_ok(), "{}: {:?}", s.name, compiled.err());
            assert!(
                version(s.name).is_some_and(|v| v.starts_with('v')),
                "{}",
                s.name
            );
        }
        assert!(find("AmazonS3ReadOnlyAccess").is_some());
        assert!(find("AmazonS3ReadOnly").is_none());
    }
}
