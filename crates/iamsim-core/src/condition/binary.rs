//! `BinaryEquals` (docs/evaluation.md L41): the policy value is base64; the
//! request value is given base64 too (our convention, README), and the two
//! are compared as bytes.

use base64::Engine as _;

/// Decodes standard base64 (with padding).
pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_standard_base64() {
        assert_eq!(decode("QmluYXJ5VmFsdWU="), Some(b"BinaryValue".to_vec()));
        assert_eq!(decode("not base64!"), None);
    }
}
