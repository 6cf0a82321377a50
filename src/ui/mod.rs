//! Screens composed from widgets. Drawing reads the app and never writes it:
//! no I/O, no locks, no `/proc` here.

mod chrome;
mod compare;
mod dashboard;
mod demo;
mod format;
mod help;
mod legend;
mod lesson_notes;
mod look_for;
mod picker;
mod visuals;
mod watch;
mod watch_probes;

pub use visuals::{KeyVisual, key_visuals};

use ratatui::Frame;
use ratatui::layout::Size;

use corescope_widgets::TooSmall;

use crate::app::App;
use crate::hits::Hits;

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
    } else if app.runs_compare() {
        compare::render(app, frame, area, &mut hits);
    } else if app.runs_demo() {
        demo::render(app, frame, area, &mut hits);
    } else {
        watch::render(app, frame, area, &mut hits);
    }
    if app.help_visible() {
        help::render(app, frame, area);
    }
    hits
}

#[cfg(test)]
mod tests;
