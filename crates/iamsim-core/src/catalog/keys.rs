//! Condition keys as data: their types (`condition-keys.tsv`, from the
//! service authorization reference, and `global-keys.tsv`, the keys of
//! AWS's page "AWS global condition context keys",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>)
//! and which actions of its service take a key.

/// The type of a key's values, as the reference names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// `String`: any text.
    String,
    /// `ARN`: an ARN.
    Arn,
    /// `Bool`: `true` or `false`, ignoring case.
    Bool,
    /// `Numeric`: a number.
    Numeric,
    /// `Date`: a date, a date and time, or epoch seconds.
    Date,
    /// `IPAddress`: an IPv4 or IPv6 address.
    IpAddress,
    /// `Binary`: base64 text.
    Binary,
}

/// A key's type: its values' type, and whether it holds a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyType {
    /// The type of each value.
    pub base: Base,
    /// True for a multivalued key (`ArrayOfString`...).
    pub multi: bool,
}

impl KeyType {
    fn parse(name: &str) -> Option<KeyType> {
        let (multi, base) = match name.strip_prefix("ArrayOf") {
            Some(b) => (true, b),
            None => (false, name),
        };
        let base = match base {
            "String" => Base::String,
            "ARN" => Base::Arn,
            "Bool" | "Boolean" => Base::Bool,
            "Numeric" => Base::Numeric,
            "Date" => Base::Date,
            "IPAddress" => Base::IpAddress,
            "Binary" => Base::Binary,
            _ => return None,
        };
        Some(KeyType { base, multi })
    }

    /// As the reference writes it: `Bool`, `ArrayOfString`...
    pub fn name(&self) -> String {
        let base = match self.base {
            Base::String => "String",
            Base::Arn => "ARN",
            Base::Bool => "Bool",
            Base::Numeric => "Numeric",
            Base::Date => "Date",
            Base::IpAddress => "IPAddress",
            Base::Binary => "Binary",
        };
        if self.multi {
            format!("ArrayOf{base}")
        } else {
            base.to_string()
        }
    }
}

/// The actions of its service that take a key.
#[derive(Debug)]
enum Takers {
    /// Every action (and every global key).
    All,
    /// Runs of indices into the service's action list, inclusive.
    Runs(Vec<(usize, usize)>),
}

/// One condition key.
#[derive(Debug)]
pub struct KeyDef {
    /// As the reference writes it: `s3:ExistingObjectTag/<key>`.
    pub key: String,
    /// Lower-cased, up to its `${...}` or `<...>` part when it has one:
    /// such a key covers every key with that prefix and a tag key after it.
    lower: String,
    /// True when it ends in a `${TagKey}`-style part.
    tagged: bool,
    /// Its type.
    pub ty: KeyType,
    takers: Takers,
}

impl KeyDef {
    fn new(key: &str, ty: KeyType, takers: Takers) -> KeyDef {
        let cut = key.find("${").or_else(|| key.find('<'));
        KeyDef {
            key: key.to_string(),
            lower: key
                .get(..cut.unwrap_or(key.len()))
                .unwrap_or(key)
                .to_ascii_lowercase(),
            tagged: cut.is_some(),
            ty,
            takers,
        }
    }

    /// True when `lower_key` (lower-cased) is this key, or, for a key with
    /// a tag part, its prefix followed by a non-empty tag key.
    pub fn covers(&self, lower_key: &str) -> bool {
        if self.tagged {
            lower_key.len() > self.lower.len() && lower_key.starts_with(&self.lower)
        } else {
            lower_key == self.lower
        }
    }

    /// True when the action at `index` of its service's list takes it.
    pub fn taken_by(&self, index: usize) -> bool {
        match &self.takers {
            Takers::All => true,
            Takers::Runs(runs) => runs.iter().any(|&(a, b)| (a..=b).contains(&index)),
        }
    }
}

/// The keys of `global-keys.tsv`: key, tab, type.
pub(super) fn parse_globals(text: &str) -> Vec<KeyDef> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (key, ty) = line.split_once('\t')?;
            Some(KeyDef::new(key, KeyType::parse(ty)?, Takers::All))
        })
        .collect()
}

/// The lines of `condition-keys.tsv`: service prefix (lower-cased) and
/// its key.
pub(super) fn parse_service_keys(text: &str) -> Vec<(String, KeyDef)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (prefix, key, ty, takers) =
                (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
            let takers = if takers == "*" {
                Takers::All
            } else {
                Takers::Runs(
                    takers
                        .split(',')
                        .filter_map(|run| match run.split_once('-') {
                            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                            None => run.parse().ok().map(|a| (a, a)),
                        })
                        .collect(),
                )
            };
            Some((
                prefix.to_ascii_lowercase(),
                KeyDef::new(key, KeyType::parse(ty)?, takers),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_the_reference_writes_them() {
        let t = KeyType::parse("ArrayOfString").unwrap();
        assert!(t.multi);
        assert_eq!(t.base, Base::String);
        assert_eq!(t.name(), "ArrayOfString");
        assert_eq!(KeyType::parse("Bool").unwrap().name(), "Bool");
        assert!(KeyType::parse("Text").is_none());
    }

    #[test]
    fn a_key_with_a_tag_part_covers_its_prefix_and_a_tag_key() {
        let d = KeyDef::new(
            "aws:PrincipalTag/${TagKey}",
            KeyType::parse("String").unwrap(),
            Takers::All,
        );
        assert!(d.covers("aws:principaltag/team"));
        assert!(!d.covers("aws:principaltag/"));
        assert!(!d.covers("aws:principaltags"));
        let keys = parse_service_keys("# header\ns3\ts3:prefix\tString\t1,3-5\n");
        let (service, def) = keys.first().unwrap();
        assert_eq!(service, "s3");
        assert!(def.covers("s3:prefix"));
        assert!(!def.covers("s3:prefixes"));
        assert!(def.taken_by(4) && def.taken_by(1));
        assert!(!def.taken_by(2) && !def.taken_by(6));
    }
}
