//! Finding demos in the table (`demos::DEMOS`): by name for the command
//! line and for recordings read back, in order for `corescope list` and the
//! picker. `DemoConfig::new`, here, checks a request against the demo it
//! names.
//!
//! It sits at the top of the crate with the runner: it imports the table,
//! and nothing below (no demo, nothing they use) imports it.

use serde::Deserialize;

use crate::catalog::DemoSpec;
use crate::config::{ConfigError, DemoConfig, DemoRequest};
pub use crate::demos::{Build, DEMOS, Entry};

/// The demo named `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static DemoSpec> {
    entry(name).map(|entry| &entry.spec)
}

/// The entry of the demo named `name`.
#[must_use]
pub fn entry(name: &str) -> Option<&'static Entry> {
    DEMOS.iter().find(|entry| entry.spec.name == name)
}

/// Every demo's spec, in teaching order.
pub fn specs() -> impl ExactSizeIterator<Item = &'static DemoSpec> {
    DEMOS.iter().map(|entry| &entry.spec)
}

/// A demo's name as the catalogue holds it. Spelled as an alias so that
/// serde's derive, which takes a field written `&str` as borrowed from its
/// input, leaves it to [`deserialize_name`] instead.
pub type DemoName = &'static str;

/// Reads a demo's name (a recorded snapshot's) back as the catalogue's own
/// `&'static str`, for `#[serde(deserialize_with)]`; a name the catalogue
/// does not know is an error, as it would be on the command line.
pub fn deserialize_name<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    find(&name).map(|spec| spec.name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown demo `{name}` (this corescope has {})",
            names().join(", ")
        ))
    })
}

/// Every demo name, for error messages.
#[must_use]
pub fn names() -> Vec<&'static str> {
    specs().map(|d| d.name).collect()
}

impl DemoConfig {
    /// Checks `request` against the registry: the demo it names, then its
    /// options (`DemoConfig::for_spec`).
    pub fn new(request: &DemoRequest) -> Result<Self, ConfigError> {
        let spec = find(&request.name).ok_or_else(|| ConfigError::UnknownDemo {
            name: request.name.clone(),
            known: names(),
        })?;
        Self::for_spec(spec, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::MAX_WORKERS;

    #[test]
    fn names_are_unique_and_findable() {
        for (i, demo) in specs().enumerate() {
            assert!(
                specs().skip(i + 1).all(|d| d.name != demo.name),
                "{} twice",
                demo.name
            );
            assert_eq!(find(demo.name).map(|d| d.name), Some(demo.name));
        }
        assert!(find("no-such-demo").is_none());
    }

    #[test]
    fn every_default_lies_within_its_limits() {
        for demo in specs() {
            assert!(!demo.modes.is_empty(), "{} has no mode", demo.name);
            for p in demo.params {
                assert!(
                    p.min <= p.default && p.default <= p.max,
                    "{} --{}",
                    demo.name,
                    p.name
                );
            }
        }
    }

    #[test]
    fn workers_never_accept_zero_or_more_than_the_cap() {
        for demo in specs() {
            if let Some(w) = demo.param("workers") {
                assert_eq!((w.min, w.max), (1, MAX_WORKERS), "{}", demo.name);
            }
        }
    }
}
