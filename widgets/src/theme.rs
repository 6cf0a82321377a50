//! The colours every widget draws with.
//!
//! One [`Theme`] is shared by all widgets so a screen composed from them looks like one
//! product, and so a user can switch the whole look at once. This module only names
//! styles; it never decides layout. The dark theme is here, in code, because every
//! widget defaults to it; the other themes are data, read by the corescope binary.

use ratatui::style::{Color, Modifier, Style};

use crate::Activity;

/// The styles used by all corescope widgets.
///
/// Each widget has a `theme` setter and defaults to [`Theme::default`] (the dark theme).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// Ordinary text: values, names, descriptions.
    pub text: Style,
    /// Secondary text: labels, separators, empty bar troughs.
    pub dim: Style,
    /// Text that should draw the eye: emphasised values, section titles.
    pub accent: Style,
    /// Block borders.
    pub border: Style,
    /// Title bar and table header: a full-width background.
    pub title: Style,
    /// Key names in key hints and in the help overlay.
    pub key: Style,
    /// Load below 50 percent.
    pub load_low: Style,
    /// Load from 50 up to 80 percent.
    pub load_mid: Style,
    /// Load of 80 percent and more.
    pub load_high: Style,
    /// A missing reading in a history (drawn blank, never as zero).
    pub gap: Style,
    /// Something worth a look, e.g. a thread runnable but waiting for a CPU.
    pub warn: Style,
    /// Something that is stuck, e.g. a thread blocked on a lock.
    pub alert: Style,
    /// The selected row of a table. Only a background and a modifier, so a row's own
    /// colour (a warning, an alert) still shows through.
    pub selected: Style,
    /// Something that came out as it should, e.g. the `✓` of a correct result.
    pub good: Style,
    /// A worker running its own code ([`Activity::Computing`]).
    ///
    /// The activity styles colour words and, by their foreground colour alone, the
    /// cells of a worker's timeline: keep the seven foregrounds distinct. A theme
    /// without colours gives them none (and distinct modifiers): the timeline then
    /// draws each activity's [`Activity::glyph`] instead.
    pub computing: Style,
    /// A worker blocked on a lock ([`Activity::WaitingLock`]).
    pub waiting_lock: Style,
    /// A worker waiting for a semaphore permit ([`Activity::WaitingPermit`]).
    pub waiting_permit: Style,
    /// A worker blocked on a full or empty queue ([`Activity::WaitingQueue`]).
    pub waiting_queue: Style,
    /// A worker waiting for the global interpreter lock ([`Activity::WaitingGil`]).
    pub waiting_gil: Style,
    /// A worker asleep on I/O ([`Activity::SleepingIo`]).
    pub sleeping_io: Style,
    /// A worker with nothing to do yet ([`Activity::Idle`]).
    pub idle: Style,
    /// A worker that finished ([`Activity::Done`]): apart from idle, so a pool
    /// that has not started never looks like one that has finished.
    pub done: Style,
}

impl Theme {
    /// The default theme, for terminals with a dark background.
    ///
    /// Uses the 16 ANSI colours where they read on black (WCAG AA, 4.5:1, in
    /// xterm's default palette), and the 256-colour palette where none does
    /// (orange, a light blue, the greys).
    #[must_use]
    pub const fn dark() -> Self {
        Self {
            text: Style::new().fg(Color::White),
            dim: Style::new().fg(Color::Indexed(248)),
            accent: Style::new().fg(Color::Cyan),
            border: Style::new().fg(Color::Indexed(244)),
            title: Style::new().fg(Color::Black).bg(Color::Cyan),
            key: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            load_low: Style::new().fg(Color::Green),
            load_mid: Style::new().fg(Color::Yellow),
            load_high: Style::new().fg(Color::LightRed),
            gap: Style::new().fg(Color::Indexed(244)),
            warn: Style::new().fg(Color::Yellow),
            alert: Style::new()
                .fg(Color::Indexed(203))
                .add_modifier(Modifier::BOLD),
            selected: Style::new()
                .bg(Color::Indexed(235))
                .add_modifier(Modifier::BOLD),
            good: Style::new().fg(Color::Green),
            computing: Style::new().fg(Color::Green),
            waiting_lock: Style::new().fg(Color::LightRed),
            waiting_permit: Style::new().fg(Color::LightMagenta),
            waiting_queue: Style::new().fg(Color::Yellow),
            // Orange, from the 256-colour palette: the 16 ANSI colours have none.
            waiting_gil: Style::new().fg(Color::Indexed(208)),
            // Sky blue: the ANSI blue is too dark to read on black.
            sleeping_io: Style::new().fg(Color::Indexed(75)),
            idle: Style::new().fg(Color::Indexed(244)),
            done: Style::new().fg(Color::Indexed(252)),
        }
    }

    /// The style of an activity.
    #[must_use]
    pub const fn activity(&self, activity: Activity) -> Style {
        match activity {
            Activity::Idle => self.idle,
            Activity::Done => self.done,
            Activity::Computing => self.computing,
            Activity::WaitingLock => self.waiting_lock,
            Activity::WaitingPermit => self.waiting_permit,
            Activity::WaitingQueue => self.waiting_queue,
            Activity::WaitingGil => self.waiting_gil,
            Activity::SleepingIo => self.sleeping_io,
        }
    }

    /// The style for a load in percent: [`Theme::load_low`] below 50, [`Theme::load_mid`]
    /// below 80, [`Theme::load_high`] from 80 up (the htop / btop thresholds).
    ///
    /// A NaN load counts as low: it is not a reading worth a warning colour.
    #[must_use]
    pub const fn load(&self, percent: f32) -> Style {
        if percent.is_nan() || percent < 50.0 {
            self.load_low
        } else if percent < 80.0 {
            self.load_mid
        } else {
            self.load_high
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_thresholds_match_htop() {
        let theme = Theme::dark();
        assert_eq!(theme.load(0.0), theme.load_low);
        assert_eq!(theme.load(49.9), theme.load_low);
        assert_eq!(theme.load(50.0), theme.load_mid);
        assert_eq!(theme.load(79.9), theme.load_mid);
        assert_eq!(theme.load(80.0), theme.load_high);
        assert_eq!(theme.load(250.0), theme.load_high);
        assert_eq!(theme.load(f32::NAN), theme.load_low);
        assert_eq!(theme.load(-3.0), theme.load_low);
    }

    #[test]
    fn default_is_dark() {
        assert_eq!(Theme::default(), Theme::dark());
    }

    #[test]
    fn activity_colours_are_distinct_and_as_documented() {
        let theme = Theme::dark();
        let colours: std::collections::HashSet<_> = Activity::ALL
            .iter()
            .map(|activity| theme.activity(*activity).fg)
            .collect();
        assert_eq!(
            colours.len(),
            Activity::ALL.len(),
            "idle and done apart too"
        );
        assert!(!colours.contains(&None));
        assert_eq!(theme.activity(Activity::Computing).fg, Some(Color::Green));
        assert_eq!(
            theme.activity(Activity::WaitingLock).fg,
            Some(Color::LightRed)
        );
        assert_eq!(
            theme.activity(Activity::WaitingGil).fg,
            Some(Color::Indexed(208))
        );
        assert_eq!(
            theme.activity(Activity::SleepingIo).fg,
            Some(Color::Indexed(75))
        );
        assert_ne!(theme.activity(Activity::Done), theme.idle);
    }

    #[test]
    fn load_colours_are_distinct() {
        let theme = Theme::dark();
        assert_ne!(theme.load_low, theme.load_mid);
        assert_ne!(theme.load_mid, theme.load_high);
    }
}
