//! Screens composed from widgets. Drawing reads the app and never writes it:
//! no I/O, no locks, no `/proc` here.

mod chrome;
mod compare;
#[cfg(test)]
mod control_tests;
mod dashboard;
mod demo;
mod filter_bar;
mod format;
mod headline;
mod help;
mod legend;
mod lesson_notes;
mod look_for;
mod picker;
mod process_list;
mod signal_dialog;
mod sort_menu;
mod visuals;
mod watch;
mod watch_probes;

pub use visuals::{KeyVisual, key_visuals};

use ratatui::Frame;
use ratatui::layout::Size;

use corescope_widgets::{Theme, TooSmall};

use crate::app::App;
use crate::hits::Hits;
use crate::snapshot::Snapshot;

/// What a screen is drawn from: the app's state, the snapshot shown and
/// the theme. Passed whole to the panels that need all three.
#[derive(Clone, Copy)]
pub(crate) struct Screen<'a> {
    /// The app: selection, sort, filters, focus.
    pub(crate) app: &'a App,
    /// The snapshot drawn.
    pub(crate) snapshot: &'a Snapshot,
    /// The colours.
    pub(crate) theme: &'a Theme,
}
/// The smallest terminal the dashboard draws in; below it, one line says so.
pub const MIN_SIZE: Size = Size {
    width: 40,
    height: 12,
};

/// Draws the whole screen, and returns where its clickable parts went.
pub fn render(app: &App, frame: &mut Frame) -> Hits {
    let mut hits = Hits::default();
    let area = frame.area();
    if area.width < MIN_SIZE.width || area.height < MIN_SIZE.height {
        frame.render_widget(
            TooSmall::new(area.as_size(), MIN_SIZE).theme(*app.theme()),
            area,
        );
        return hits;
    }
    if let Some(chooser) = app.picker().filter(|p| p.is_open()) {
        picker::render(app, chooser, frame, area, &mut hits);
    } else if let Some(list) = app.process_list().filter(|l| l.is_open()) {
        process_list::render(app, list, frame, area, &mut hits);
    } else if app.runs_compare() {
        compare::render(app, frame, area, &mut hits);
    } else if app.runs_demo() {
        demo::render(app, frame, area, &mut hits);
    } else {
        watch::render(app, frame, area, &mut hits);
    }
    if let Some(dialog) = app.signal_dialog() {
        signal_dialog::render(dialog, frame, area, app.theme());
    }
    if app.sort_menu().is_some() {
        sort_menu::render(app, frame, area, &mut hits);
    }
    if app.help_visible() {
        help::render(app, frame, area);
    }
    hits
}

#[cfg(test)]
mod tests;
