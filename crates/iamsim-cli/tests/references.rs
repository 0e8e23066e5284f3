//! Every reference in the repository resolves inside it or to a public URL:
//! the rule ids that code, tests, test data and READMEs cite are defined in
//! `docs/evaluation.md`, each with its AWS page; no file points at notes
//! outside the repository or cites the old, colliding rule ids; and
//! relative Markdown links name files that exist.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly on anything unexpected"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const RULES: &str = "docs/evaluation.md";
/// This file, which names what it looks for.
const THIS: &str = "crates/iamsim-cli/tests/references.rs";

/// Text that names the authors' notes outside the repository.
const OUTSIDE: &[&str] = &[
    "semantics-decision",
    "semantics-language",
    "ambiguities",
    "spec/formats.md",
    "../shared",
    "../spec/",
    "/work/",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every text file the project writes: sources, docs, tests, test data and
/// the fuzzers' seed corpus (built from the test data). Left out: build
/// output and AWS's own data files shipped in `crates/iamsim-core/data`.
fn files() -> Vec<(String, String)> {
    const SKIP: &[&str] = &[
        "target",
        ".git",
        "crates/iamsim-core/data",
        "fuzz/target",
        "fuzz/artifacts",
    ];
    const EXT: &[&str] = &["rs", "md", "json", "snap", "toml", "py", "sh"];
    let root = root();
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if SKIP.contains(&rel.as_str()) {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if rel.starts_with("fuzz/corpus/")
                || path
                    .extension()
                    .is_some_and(|e| EXT.contains(&e.to_string_lossy().as_ref()))
            {
                // Files that are not UTF-8 are bad input on purpose
                // (testdata/bad) or random bytes (fuzz/corpus/evaluate);
                // they cite nothing.
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((rel, text));
                }
            }
        }
    }
    out.sort();
    assert!(out.len() > 100, "found only {} files", out.len());
    out
}

/// The ids `docs/evaluation.md` defines: list items `- **D01** ...`, each
/// with the AWS page it comes from.
fn defined_rules() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(RULES)).unwrap();
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("- **") else {
            continue;
        };
        let Some((id, sentence)) = rest.split_once("**") else {
            continue;
        };
        assert!(
            sentence.contains("<https://"),
            "{RULES}: rule {id} gives no AWS page"
        );
        assert!(ids.insert(id.to_string()), "{RULES}: {id} is defined twice");
    }
    assert!(ids.contains("D01") && ids.contains("L01"), "{ids:?}");
    ids
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Tokens of one of `letters` followed by `min..=max` digits, standing
/// alone as a word (so `arn:...:role/R1` or `S3` are not tokens of `R`).
fn tokens(text: &str, letters: &str, min: usize, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !letters.contains(c) || (i > 0 && is_word(chars[i - 1])) {
            continue;
        }
        let digits = chars[i + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        let after = chars.get(i + 1 + digits).copied();
        if (min..=max).contains(&digits) && !after.is_some_and(is_word) {
            out.push(chars[i..=i + digits].iter().collect());
        }
    }
    out
}

/// The line number of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |n| n + 1)
}

/// What `find` finds in each file but those in `skip`, as `path:line: what`.
fn find_in_files(skip: &[&str], find: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in files() {
        if skip.contains(&path.as_str()) {
            continue;
        }
        for what in find(&text) {
            found.push(format!("{path}:{}: {what}", line_of(&text, &what)));
        }
    }
    found
}

/// Fails, listing them, if there are findings.
fn assert_none(what: &str, found: &[String]) {
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn every_cited_rule_is_defined_in_docs_evaluation_md() {
    let defined = defined_rules();
    let undefined = find_in_files(&[], |text| {
        tokens(text, "DL", 2, 2)
            .into_iter()
            .filter(|id| !defined.contains(id))
            .collect()
    });
    assert_none(&format!("rule ids not defined in {RULES}"), &undefined);
}

#[test]
fn no_file_cites_an_old_rule_id() {
    // The old decision ids (`R` and two digits) and the old language ids
    // (`G`, `C`, `O`, `M`, `V` or `X` and one or two digits). The old `A`
    // and one-digit `R` ids are not checked here, since Sids and role
    // names look the same; `rule` fields are checked below.
    let old = find_in_files(&[RULES, THIS], |text| {
        let mut ids = tokens(text, "R", 2, 2);
        ids.extend(tokens(text, "GCOMVX", 1, 2));
        ids
    });
    assert_none(
        &format!("old rule ids (see the table at the end of {RULES})"),
        &old,
    );
}

#[test]
fn no_file_points_outside_the_repository() {
    let found = find_in_files(&[THIS], |text| {
        OUTSIDE
            .iter()
            .filter(|needle| text.contains(*needle))
            .map(|needle| needle.to_string())
            .collect()
    });
    assert_none("references outside the repository", &found);
}

fn rule_fields(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("rule", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => rule_fields(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| rule_fields(v, out)),
        _ => {}
    }
}

#[test]
fn every_rule_field_of_the_test_data_names_a_defined_rule() {
    let defined = defined_rules();
    let mut bad = Vec::new();
    let mut count = 0;
    for (path, text) in files() {
        if !path.ends_with(".json") {
            continue;
        }
        // Bad input on purpose (testdata/bad) need not parse.
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut rules = Vec::new();
        rule_fields(&v, &mut rules);
        count += rules.len();
        for r in rules {
            if !defined.contains(&r) {
                bad.push(format!("{path}: \"rule\": \"{r}\""));
            }
        }
    }
    assert!(count > 100, "found only {count} rule fields");
    assert_none(&format!("rule fields that {RULES} does not define"), &bad);
}

#[test]
fn relative_markdown_links_name_files_that_exist() {
    let root = root();
    let mut broken = Vec::new();
    for (path, text) in files() {
        if !path.ends_with(".md") {
            continue;
        }
        let dir = root.join(&path).parent().unwrap().to_path_buf();
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|&c| c != ')').collect();
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                continue;
            }
            if !dir.join(file).exists() {
                broken.push(format!("{path}: {target}"));
            }
        }
    }
    assert_none("broken links", &broken);
}
