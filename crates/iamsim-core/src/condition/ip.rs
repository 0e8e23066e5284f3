//! IP address operators (docs/evaluation.md L42): IPv4 and IPv6 CIDR ranges;
//! an address without a prefix is a single host (`/32`, `/128`). An IPv4
//! address is never inside an IPv6 range, nor the reverse. ipnet does the
//! parsing and containment.

use ipnet::IpNet;
use std::net::IpAddr;

/// Reads a CIDR range or a single address.
pub(super) fn parse_net(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        s.parse().ok()
    } else {
        parse_addr(s).map(IpNet::from)
    }
}

/// Reads a request's address.
pub(super) fn parse_addr(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_hosts() {
        let n = parse_net("2001:DB8::/32").unwrap();
        assert!(n.contains(&parse_addr("2001:db8::1").unwrap()));
        assert!(!n.contains(&parse_addr("10.0.0.1").unwrap()));
        let h = parse_net("203.0.113.7").unwrap();
        assert!(h.contains(&parse_addr("203.0.113.7").unwrap()));
        assert!(!h.contains(&parse_addr("203.0.113.8").unwrap()));
        assert!(parse_net("10.0.0.0/33").is_none());
        assert!(parse_net("10.0.0").is_none());
    }
}
