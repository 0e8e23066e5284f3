//! Numeric operators (docs/evaluation.md L37): integers and decimals,
//! compared as numbers. Text that is not a plain decimal number (`1e3`,
//! `inf`, `0x10`) is not a number.

/// Reads `-12`, `3.25`, `+7`; `None` for anything else.
pub(super) fn parse(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_plain_decimals() {
        assert_eq!(parse("10"), Some(10.0));
        assert_eq!(parse("-2.5"), Some(-2.5));
        assert_eq!(parse("+7"), Some(7.0));
        for bad in ["", "1e3", "inf", "NaN", "1.", ".5", "0x10", "1 "] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
