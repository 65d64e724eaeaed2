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
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b)) // NAT64
        }
    }
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
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1"] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(is_public(ip), "{ip}");
        }
    }
}
