//! Terraform resource addresses and references, as the plan prints them
//! (`module.app["x"].aws_iam_role.reader[0]`, `aws_iam_policy.p["a"].arn`;
//! <https://developer.hashicorp.com/terraform/cli/state/resource-addressing>).

/// The dot-separated segments of an address, each with its index kept
/// (`aws_iam_policy.p["a.b"]` is two segments: the dot inside the quoted
/// key does not split).
pub fn segments(address: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0usize, false, false, 0usize);
    for (i, c) in address.char_indices() {
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                out.push(address.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(address.get(start..).unwrap_or(""));
    out
}

/// A segment without its `[index]`.
fn bare(segment: &str) -> &str {
    segment.split_once('[').map_or(segment, |(b, _)| b)
}

/// The key of a resource's block in `configuration`: the module calls'
/// names without their indexes, then the resource's own address
/// (`app.sub|aws_iam_role.r`), so every instance of a `count` or
/// `for_each` finds its one block.
pub fn config_key(module_address: &str, resource: &str) -> String {
    let modules: Vec<&str> = if module_address.is_empty() {
        Vec::new()
    } else {
        segments(module_address)
            .into_iter()
            .filter(|s| *s != "module")
            .map(bare)
            .collect()
    };
    format!("{}|{resource}", modules.join("."))
}

/// A reference of `configuration` split into the resource it names
/// (`aws_iam_policy.p["a"]`, `data.aws_iam_policy_document.d`) and the
/// attribute read from it, if any. `None` for what is not a resource
/// (`var.x`, `local.y`, `each.key`, `count.index`, `module.m.out`).
pub fn reference(text: &str) -> Option<(String, Option<String>)> {
    let segs = segments(text);
    let head = segs.first()?;
    let take = match *head {
        "data" => 3,
        "var" | "local" | "each" | "count" | "path" | "terraform" | "module" | "self" => {
            return None;
        }
        _ => 2,
    };
    if segs.len() < take {
        return None;
    }
    let resource = segs.get(..take)?.join(".");
    let attr = segs.get(take).map(|a| bare(a).to_string());
    Some((resource, attr))
}

/// The one resource attribute a list of references names, when the
/// expression they come from refers to nothing else: Terraform lists a
/// reference with each of its prefixes (`aws_iam_role.r.id`,
/// `aws_iam_role.r`), so those prefixes are the same reference.
pub fn single_reference(refs: &[&str]) -> Option<(String, String)> {
    let mut found: Option<(String, String)> = None;
    let mut bases = Vec::new();
    for r in refs {
        let (resource, attr) = reference(r)?;
        match attr {
            Some(a) => {
                if found
                    .as_ref()
                    .is_some_and(|(res, at)| *res != resource || *at != a)
                {
                    return None;
                }
                found = Some((resource, a));
            }
            None => bases.push(resource),
        }
    }
    let (resource, attr) = found?;
    let whole = bare_resource(&resource);
    bases
        .iter()
        .all(|b| *b == resource || *b == whole)
        .then_some((resource, attr))
}

/// The resource a reference like `aws_iam_policy.this[count.index].arn`
/// names: Terraform lists it as the bare resource and `count.index` (or
/// `each.key`), dropping the attribute, so the index is the referring
/// instance's own (`own_index`, e.g. `[0]` or `["a"]`, the end of its
/// address). `None` for anything else.
pub fn indexed_reference(refs: &[&str], own_index: &str) -> Option<String> {
    let mut resource: Option<String> = None;
    let mut by_index = false;
    for r in refs {
        match *r {
            "count.index" | "each.key" => by_index = true,
            _ => match reference(r)? {
                (res, None)
                    if !res.ends_with(']') && resource.as_ref().is_none_or(|x| *x == res) =>
                {
                    resource = Some(res);
                }
                _ => return None,
            },
        }
    }
    (by_index && !own_index.is_empty()).then_some(format!("{}{own_index}", resource?))
}

/// The `[index]` that ends an address, or nothing.
pub fn own_index(address: &str) -> &str {
    let last = segments(address).pop().unwrap_or("");
    last.find('[').and_then(|i| last.get(i..)).unwrap_or("")
}

/// A resource address without the index of its last segment.
fn bare_resource(resource: &str) -> String {
    resource
        .rsplit_once('[')
        .filter(|(_, rest)| rest.ends_with(']'))
        .map_or(resource, |(b, _)| b)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_key_keeps_its_dots() {
        assert_eq!(
            segments(r#"module.a["x.y"].aws_iam_policy.p["a.b"]"#),
            vec!["module", r#"a["x.y"]"#, "aws_iam_policy", r#"p["a.b"]"#]
        );
        assert_eq!(
            config_key(r#"module.a["x.y"].module.b[0]"#, "aws_iam_role.r"),
            "a.b|aws_iam_role.r"
        );
        assert_eq!(config_key("", "aws_iam_role.r"), "|aws_iam_role.r");
    }

    #[test]
    fn an_index_of_the_referring_instance_names_one_instance() {
        assert_eq!(
            own_index(r#"module.a["x"].aws_iam_role_policy_attachment.this[0]"#),
            "[0]"
        );
        assert_eq!(own_index("aws_iam_role.r"), "");
        assert_eq!(
            indexed_reference(&["aws_iam_policy.this", "count.index"], "[1]"),
            Some("aws_iam_policy.this[1]".into())
        );
        // Near misses: no instance index of its own, or another reference beside.
        assert_eq!(
            indexed_reference(&["aws_iam_policy.this", "count.index"], ""),
            None
        );
        assert_eq!(
            indexed_reference(&["aws_iam_policy.this", "count.index", "var.x"], "[1]"),
            None
        );
    }

    #[test]
    fn one_attribute_with_its_prefixes_is_a_single_reference() {
        let r = single_reference(&[
            r#"aws_iam_policy.p["a"].arn"#,
            r#"aws_iam_policy.p["a"]"#,
            "aws_iam_policy.p",
        ]);
        assert_eq!(r, Some((r#"aws_iam_policy.p["a"]"#.into(), "arn".into())));
        // Near misses: two attributes, or a variable beside the reference.
        assert_eq!(
            single_reference(&["aws_iam_role.r.id", "aws_iam_role.r.arn", "aws_iam_role.r"]),
            None
        );
        assert_eq!(single_reference(&["aws_iam_role.r.id", "var.suffix"]), None);
        assert_eq!(single_reference(&["aws_iam_user.u", "count.index"]), None);
        assert_eq!(
            single_reference(&[
                "data.aws_iam_policy_document.d.json",
                "data.aws_iam_policy_document.d"
            ]),
            Some(("data.aws_iam_policy_document.d".into(), "json".into()))
        );
    }
}
