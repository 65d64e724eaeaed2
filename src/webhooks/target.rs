//! Which webhook targets are allowed: `http` or `https` URLs whose host
//! resolves only to public addresses, unless the server allows private
//! targets. The check runs when a subscription is created and again on
//! every connection ([`GuardedResolver`]), so a name that later resolves
//! to an internal address (DNS rebinding) is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Longest accepted target URL.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("only http and https targets are allowed, not {0}")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is a loopback, private, link-local or otherwise non-public address")]
    Forbidden(IpAddr),
    #[error("{host} does not resolve: {reason}")]
    Unresolvable { host: String, reason: String },
}

/// Whether `ip` is a public unicast address.
///
/// An IPv6 address that embeds an IPv4 address (IPv4-mapped and
/// IPv4-compatible, 6to4, Teredo, NAT64) is judged by the IPv4 address(es)
/// it carries, so `[2002:7f00:1::]` (6to4 around 127.0.0.1) is as private
/// as `127.0.0.1`. See docs/security-webhook-guard.md.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(embedded) = embedded_ipv4(v6) {
                return embedded.iter().all(|v4| is_public_v4(*v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (first == 0x0064 && v6.segments()[1] == 0xff9b)) // other NAT64 forms
        }
    }
}

/// The IPv4 addresses an IPv6 address carries, for the prefixes that embed
/// one; `None` for any other address. Every returned address must be public
/// for the IPv6 address to be public.
///
/// - IPv4-mapped `::ffff:a.b.c.d` and IPv4-translated `::ffff:0:a.b.c.d`;
/// - IPv4-compatible `::a.b.c.d` (deprecated; `::` and `::1` excluded);
/// - 6to4 `2002:AABB:CCDD::/48` (RFC 3056): the 32 bits after the prefix;
/// - Teredo `2001:0::/32` (RFC 4380): the client's address is the last 32
///   bits inverted, the server's the 32 bits after the prefix (both checked);
/// - NAT64 well-known `64:ff9b::/96` (RFC 6052): the last 32 bits;
/// - NAT64 local-use `64:ff9b:1::/48` (RFC 8215): both the RFC 6052 /48
///   layout (bits 48-63 and 72-87) and the /96 layout (the last 32 bits),
///   since an operator may use either inside it.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Vec<Ipv4Addr>> {
    let s = v6.segments();
    let o = v6.octets();
    let last32 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && s[6] != 0)) {
        // Mapped (::ffff:0:0/96) and compatible (::/96 minus ::/112).
        return Some(vec![last32]);
    }
    if s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0 {
        // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765).
        return Some(vec![last32]);
    }
    if s[0] == 0x2002 {
        return Some(vec![Ipv4Addr::new(o[2], o[3], o[4], o[5])]);
    }
    if s[0] == 0x2001 && s[1] == 0 {
        let client = Ipv4Addr::from(u32::from(last32) ^ 0xffff_ffff);
        let server = Ipv4Addr::new(o[4], o[5], o[6], o[7]);
        return Some(vec![client, server]);
    }
    if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return Some(vec![last32]);
    }
    if s[..3] == [0x0064, 0xff9b, 0x0001] {
        let rfc6052_48 = Ipv4Addr::new(o[6], o[7], o[9], o[10]);
        return Some(vec![rfc6052_48, last32]);
    }
    None
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn check(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(TargetError::Forbidden(ip))
    }
}

/// Parses and checks a target URL, resolving its host.
pub async fn validate(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    if url.len() > MAX_URL_LEN {
        return Err(TargetError::Invalid(format!(
            "longer than {MAX_URL_LEN} bytes"
        )));
    }
    let parsed = Url::parse(url).map_err(|error| TargetError::Invalid(error.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(parsed.scheme().to_owned()));
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    match parsed.host() {
        None => return Err(TargetError::NoHost),
        Some(url::Host::Ipv4(ip)) => check(IpAddr::V4(ip), allow_private)?,
        Some(url::Host::Ipv6(ip)) => check(IpAddr::V6(ip), allow_private)?,
        Some(url::Host::Domain(domain)) => {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((domain, port))
                .await
                .map_err(|error| TargetError::Unresolvable {
                    host: domain.to_owned(),
                    reason: error.to_string(),
                })?
                .collect();
            if addresses.is_empty() {
                return Err(TargetError::Unresolvable {
                    host: domain.to_owned(),
                    reason: "no addresses".into(),
                });
            }
            for address in addresses {
                check(address.ip(), allow_private)?;
            }
        }
    }
    Ok(parsed)
}

/// Checks a literal IP host at delivery time (names go through
/// [`GuardedResolver`]).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    match url.host() {
        None => Err(TargetError::NoHost),
        Some(url::Host::Ipv4(ip)) => check(IpAddr::V4(ip), allow_private),
        Some(url::Host::Ipv6(ip)) => check(IpAddr::V6(ip), allow_private),
        Some(url::Host::Domain(_)) => Ok(()),
    }
}

/// `url` as it may be written to a log: its scheme, host and port only.
/// Chat-bot webhook URLs carry their access token in the query (DingTalk,
/// WeCom) or in the path (Feishu, Slack, Discord), and it works like a
/// password. Text that does not parse as a URL is left out entirely.
pub fn redacted(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return "(not a URL)".to_owned();
    };
    let host = parsed.host_str().unwrap_or("");
    let port = parsed
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    let rest = if parsed.path() == "/" && parsed.query().is_none() {
        ""
    } else {
        "/…"
    };
    format!("{}://{host}{port}{rest}", parsed.scheme())
}

/// A DNS resolver for the delivery client that refuses names resolving to
/// any non-public address (unless allowed).
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                check(address.ip(), allow_private)?;
            }
            let addresses: Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(ip: &str) -> bool {
        is_public(ip.parse().expect("an address"))
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn ipv4_mapped_compatible_and_translated_are_judged_by_their_ipv4() {
        for ip in [
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:192.168.0.1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "::ffff:93.184.216.34",
            "::93.184.216.34",
            "::ffff:0:93.184.216.34",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn six_to_four_is_judged_by_its_ipv4() {
        // 2002:7f00:1:: wraps 127.0.0.1 (the address of the report).
        for ip in [
            "2002:7f00:1::",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:a9fe:a9fe::",
            "2002:c0a8:101::5",
            "2002:6440:1::",
        ] {
            assert!(!public(ip), "{ip}");
        }
        assert!(public("2002:5db8:d822::1"), "6to4 around 93.184.216.34");
    }

    #[test]
    fn teredo_is_judged_by_its_client_and_server_ipv4() {
        // Client 127.0.0.1 inverted is 80ff:fffe; server 65.54.227.120.
        assert!(!public("2001:0:4136:e378:8000:63bf:80ff:fffe"));
        // Client 10.0.0.1 inverted is f5ff:fffe.
        assert!(!public("2001:0:4136:e378::f5ff:fffe"));
        // Server 192.168.1.1 with a public client 93.184.216.34 (a247:27dd).
        assert!(!public("2001:0:c0a8:101::a247:27dd"));
        // Public server 65.54.227.120 and public client 93.184.216.34.
        assert!(public("2001:0:4136:e378::a247:27dd"));
    }

    #[test]
    fn nat64_is_judged_by_its_ipv4() {
        for ip in [
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.1.2.3",
            // Local-use /48, RFC 6052 layout: 127.0, the u octet, 0.1
            // (the last 32 bits, 93.184.216.34, are public).
            "64:ff9b:1:7f00:0:100:5db8:d822",
            // Local-use /48 used with the /96 layout.
            "64:ff9b:1::127.0.0.1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        assert!(public("64:ff9b::93.184.216.34"));
        // Other forms under 64:ff9b::/32 stay refused.
        assert!(!public("64:ff9b:2::1"));
    }

    #[test]
    fn a_logged_url_keeps_no_credential() {
        assert_eq!(
            redacted("https://oapi.dingtalk.com/robot/send?access_token=SECRET"),
            "https://oapi.dingtalk.com/…"
        );
        assert_eq!(
            redacted("https://open.feishu.cn/open-apis/bot/v2/hook/SECRET"),
            "https://open.feishu.cn/…"
        );
        assert_eq!(
            redacted("https://user:pass@hooks.example.com:8443/in#frag"),
            "https://hooks.example.com:8443/…"
        );
        assert_eq!(
            redacted("https://hooks.example.com"),
            "https://hooks.example.com"
        );
        assert_eq!(redacted("not a url with SECRET"), "(not a URL)");
    }
}
