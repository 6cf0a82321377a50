//! Key visuals: the panel each demo is about, which its "what to look for"
//! points at. Every demo declares its own here, and the demo screen's layout
//! gives them rows before anything optional, at every size from the 40x12
//! minimum up: a lesson never says "watch the queue gauge" over a screen
//! without one.

/// A panel a demo can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVisual {
    /// The workers' lanes: what each does, tick by tick.
    Lanes,
    /// The result: expected against actual.
    Result,
    /// The locks table: acquires, waits, holds.
    Locks,
    /// A semaphore's gauge: permits in use against permits.
    PermitGauge,
    /// A queue's gauge: items queued against its capacity.
    QueueGauge,
}

/// The workers panel's title.
pub(crate) const LANES_TITLE: &str = " Workers: what each does, tick by tick → ";
/// The locks panel's title.
pub(crate) const LOCKS_TITLE: &str = " Locks ";
/// The semaphore gauges' title.
pub(crate) const PERMITS_TITLE: &str = " Permits ";
/// The queue gauges' title.
pub(crate) const QUEUE_TITLE: &str = " Queue ";
/// The two together.
pub(crate) const PERMITS_AND_QUEUE_TITLE: &str = " Permits · Queue ";

impl KeyVisual {
    /// Text on screen when the visual is drawn: the top-left corner of its
    /// panel's border and the start of its title.
    #[must_use]
    pub const fn marker(self) -> &'static str {
        match self {
            Self::Lanes => "┌ Workers",
            Self::Result => "┌ Result",
            Self::Locks => "┌ Locks",
            Self::PermitGauge => "┌ Permits",
            Self::QueueGauge => "Queue ",
        }
    }
}

/// The key visuals of the demo `name`, most important first; an unknown
/// demo has its lanes.
#[must_use]
pub fn key_visuals(name: &str) -> &'static [KeyVisual] {
    use KeyVisual::{Lanes, Locks, PermitGauge, QueueGauge, Result};
    match name {
        "race" | "bank" | "separate-memory" | "shared-value" | "pipe" | "manager" => &[Result],
        "lock-contention" | "rlock" => &[Locks, Lanes],
        "semaphore" | "async" => &[PermitGauge, Lanes],
        "producer-consumer" => &[QueueGauge, Lanes],
        "thread-pool" => &[Lanes, Result],
        _ => &[Lanes],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corescope_demos::registry::specs;

    #[test]
    fn every_demo_has_a_key_visual_and_no_visual_is_declared_twice() {
        for spec in specs() {
            let visuals = key_visuals(spec.name);
            assert!(!visuals.is_empty(), "{} declares no key visual", spec.name);
            for (i, visual) in visuals.iter().enumerate() {
                assert!(
                    !visuals[..i].contains(visual),
                    "{} declares {visual:?} twice",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn the_markers_are_the_titles_drawn() {
        let starts = |title: &str, marker: &str| {
            format!("┌{title}").starts_with(marker) || title.contains(marker)
        };
        assert!(starts(LANES_TITLE, KeyVisual::Lanes.marker()));
        assert!(starts(LOCKS_TITLE, KeyVisual::Locks.marker()));
        assert!(starts(PERMITS_TITLE, KeyVisual::PermitGauge.marker()));
        assert!(starts(
            PERMITS_AND_QUEUE_TITLE,
            KeyVisual::PermitGauge.marker()
        ));
        assert!(starts(QUEUE_TITLE, KeyVisual::QueueGauge.marker()));
        assert!(starts(
            PERMITS_AND_QUEUE_TITLE,
            KeyVisual::QueueGauge.marker()
        ));
    }
}
