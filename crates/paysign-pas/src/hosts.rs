//! The hosts a bill download may contact. Payment Kit's answer names the download URL; even
//! signed, that URL is data from the network, so the client reaches only the storage hosts the
//! merchant configured: checked before any connection is made, and again on every redirect hop.

use std::fmt;

use url::{Host, Url};

use crate::infer;

/// An allow-list of hosts. An entry is a host name (`bills.example.com`, matched exactly), a
/// wildcard `*.example.com` (any name below `example.com`, not `example.com` itself), or an IP
/// address (`127.0.0.1`, `::1`). Names compare without case and without a trailing dot.
#[derive(Clone, PartialEq, Eq)]
pub struct HostAllowList {
    entries: Vec<Entry>,
}

#[derive(Clone, PartialEq, Eq)]
enum Entry {
    Exact(Host<String>),
    /// `*.suffix`: the suffix, lowercased, without the `*.`.
    Below(String),
}

impl HostAllowList {
    /// Parses each entry; an entry that is no host name, wildcard or IP address is an error
    /// naming it.
    pub fn new<I, S>(hosts: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut entries = Vec::new();
        for raw in hosts {
            let raw = raw.as_ref().trim();
            let entry = match raw.strip_prefix("*.") {
                Some(suffix) => match parse_host(suffix) {
                    Some(Host::Domain(d)) if d.contains('.') => Entry::Below(d),
                    _ => return Err(format!("{raw:?}: a wildcard needs a domain of two labels or more, as in \"*.example.com\"")),
                },
                None => match parse_host(raw) {
                    Some(host) => Entry::Exact(host),
                    None => return Err(format!("{raw:?} is not a host name or IP address")),
                },
            };
            entries.push(entry);
        }
        Ok(HostAllowList { entries })
    }

    /// Payment Kit's bill storage, as [`infer::BILL_STORAGE_HOSTS`] infers it.
    pub fn payment_kit_bill_storage() -> Self {
        // The constant's entries are valid by construction (a unit test checks it).
        HostAllowList::new(infer::BILL_STORAGE_HOSTS).unwrap_or(HostAllowList {
            entries: Vec::new(),
        })
    }

    /// This machine only (`127.0.0.1`, `::1`, `localhost`): a local sandbox's bill links.
    pub fn loopback() -> Self {
        HostAllowList::new(["127.0.0.1", "::1", "localhost"]).unwrap_or(HostAllowList {
            entries: Vec::new(),
        })
    }

    /// Whether `url`'s host is on the list.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host() else {
            return false;
        };
        let host = match host {
            Host::Domain(d) => Host::Domain(normalize(d)),
            Host::Ipv4(ip) => Host::Ipv4(ip),
            Host::Ipv6(ip) => Host::Ipv6(ip),
        };
        self.entries.iter().any(|entry| match (entry, &host) {
            (Entry::Exact(allowed), host) => allowed == host,
            (Entry::Below(suffix), Host::Domain(name)) => name
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (Entry::Below(_), _) => false,
        })
    }
}

impl fmt::Debug for HostAllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| match e {
                Entry::Exact(host) => host.to_string(),
                Entry::Below(suffix) => format!("*.{suffix}"),
            }))
            .finish()
    }
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A host as the URL parser reads it (so `127.1` is `127.0.0.1` and IDNs are punycode); `None`
/// for anything else, including text that carries a port, path or credentials.
fn parse_host(text: &str) -> Option<Host<String>> {
    if text.is_empty() || text.contains(['/', '@', '?', '#', '*']) {
        return None;
    }
    let bracketed = if text.contains(':') && !text.starts_with('[') {
        format!("[{text}]")
    } else {
        text.to_owned()
    };
    let host = Host::parse(&bracketed).ok()?;
    Some(match host {
        Host::Domain(d) => Host::Domain(normalize(&d)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn names_wildcards_and_addresses() {
        let list =
            HostAllowList::new(["bills.example.com", "*.storage.example", "127.0.0.1", "::1"])
                .unwrap();
        for ok in [
            "https://bills.example.com/a.zip",
            "https://BILLS.example.com./a.zip",
            "https://bucket.storage.example/a.zip",
            "https://a.b.storage.example:8443/a.zip",
            "http://127.0.0.1:8787/obs/x",
            "http://127.1/obs/x",
            "http://[::1]:9/x",
        ] {
            assert!(list.allows(&url(ok)), "{ok}");
        }
        for bad in [
            "https://example.com/a.zip",
            "https://evilbills.example.com/a.zip",
            "https://bills.example.com.evil.example/a.zip",
            "https://storage.example/a.zip",
            "https://evilstorage.example/a.zip",
            "https://bucket.storage.example.evil/a.zip",
            "http://127.0.0.2/x",
            "http://localhost/x",
            "http://10.0.0.1/x",
            "https://bills.example.com@evil.example/a.zip",
            "file:///etc/passwd",
        ] {
            assert!(!list.allows(&url(bad)), "{bad}");
        }
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "",
            "*",
            "*.com",
            "*.",
            "bills.example.com/path",
            "user@bills.example.com",
            "a*.example.com",
            "https://bills.example.com",
        ] {
            assert!(HostAllowList::new([bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_defaults_parse() {
        assert_eq!(
            HostAllowList::new(infer::BILL_STORAGE_HOSTS).unwrap(),
            HostAllowList::payment_kit_bill_storage()
        );
        assert!(!HostAllowList::payment_kit_bill_storage().entries.is_empty());
        assert!(!HostAllowList::payment_kit_bill_storage().allows(&url("http://127.0.0.1/x")));
        assert!(HostAllowList::loopback().allows(&url("http://localhost:1/x")));
        assert!(!HostAllowList::loopback().allows(&url("https://example.com/x")));
    }
}
