//! The help overlay, generated from the key map so it never lies.

use ratatui::Frame;
use ratatui::layout::Rect;

use corescope_widgets::{HelpEntry, HelpOverlay, HelpSection};

use crate::app::App;

/// Draws the key list of the commands that apply now over `area`.
pub(super) fn render(app: &App, frame: &mut Frame, area: Rect) {
    let labels: Vec<(&'static str, String, &'static str)> = app
        .active_commands()
        .map(|command| {
            let (section, description) = app.help_entry(command);
            (section, app.keys_label(command), description)
        })
        .collect();
    let mut section_titles: Vec<&'static str> = Vec::new();
    for (section, _, _) in &labels {
        if !section_titles.contains(section) {
            section_titles.push(section);
        }
    }
    let entries: Vec<Vec<HelpEntry<'_>>> = section_titles
        .iter()
        .map(|title| {
            labels
                .iter()
                .filter(|(section, _, _)| section == title)
                .map(|(_, keys, description)| HelpEntry { keys, description })
                .collect()
        })
        .collect();
    let sections: Vec<HelpSection<'_>> = section_titles
        .iter()
        .zip(&entries)
        .map(|(title, entries)| HelpSection { title, entries })
        .collect();
    frame.render_widget(
        HelpOverlay::new(
            "Keys (↑↓ PgUp PgDn scroll, any other key closes)",
            &sections,
        )
        .scroll(app.help_scroll())
        .theme(*app.theme()),
        area,
    );
}
