//! Where things were drawn, so that a mouse click or scroll lands on what the
//! user saw.
//!
//! The screens record each clickable region while they draw (the same
//! rectangles they draw into, and the rows the widgets report as visible);
//! the app resolves mouse events against the record of the last frame. A
//! separate layout pass for hit-testing would be a second copy of every
//! screen's layout, free to drift from the first.

use ratatui::layout::{Position, Rect};

use corescope_widgets::ThreadColumn;

use crate::keymap::Command;

/// A panel that takes the keyboard focus (Tab, or a click) and scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    /// The thread table: arrows move the selection.
    #[default]
    Threads,
    /// The process tree: arrows scroll it.
    Processes,
    /// The picker's list of lessons and demos.
    Picker,
    /// The process list of `watch` without a PID.
    ProcessList,
}

/// What a region of the screen stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A panel as a whole: clicking focuses it, the wheel scrolls it.
    Panel(Panel),
    /// A row of the thread table, by TID: clicking selects the thread.
    Thread(i32),
    /// An entry of the picker, by index: clicking selects it, clicking the
    /// selected one starts it.
    PickerEntry(usize),
    /// A row of the process list, by PID: clicking selects the process,
    /// clicking the selected one watches it.
    ProcessRow(i32),
    /// A key hint in the footer: clicking it does what its key does.
    Hint(Command),
    /// A column header of the thread table: clicking sorts by it (again:
    /// the other way).
    Header(ThreadColumn),
    /// An entry of the sort menu: clicking sorts by its column.
    SortEntry(ThreadColumn),
}

/// The clickable regions of the last frame drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    regions: Vec<(Rect, Target)>,
    /// The largest first row the process tree can scroll to, as last drawn.
    tree_scroll_max: usize,
}

impl Hits {
    /// Records that `area` stands for `target`. Regions added later lie on
    /// top (a row is added after the panel that holds it).
    pub fn add(&mut self, area: Rect, target: Target) {
        if !area.is_empty() {
            self.regions.push((area, target));
        }
    }

    /// Records how far the process tree can scroll.
    pub const fn set_tree_scroll_max(&mut self, max: usize) {
        self.tree_scroll_max = max;
    }

    /// How far the process tree can scroll: its largest first row.
    #[must_use]
    pub const fn tree_scroll_max(&self) -> usize {
        self.tree_scroll_max
    }

    /// The topmost target at (`column`, `row`), if any.
    #[must_use]
    pub fn at(&self, column: u16, row: u16) -> Option<Target> {
        let position = Position::new(column, row);
        self.regions
            .iter()
            .rev()
            .find(|(area, _)| area.contains(position))
            .map(|(_, target)| *target)
    }

    /// The panel at (`column`, `row`), under any row or entry there.
    #[must_use]
    pub fn panel_at(&self, column: u16, row: u16) -> Option<Panel> {
        let position = Position::new(column, row);
        self.regions
            .iter()
            .rev()
            .filter(|(area, _)| area.contains(position))
            .find_map(|(_, target)| match target {
                Target::Panel(panel) => Some(*panel),
                _ => None,
            })
    }

    /// True when `panel` was drawn.
    #[must_use]
    pub fn shows(&self, panel: Panel) -> bool {
        self.regions
            .iter()
            .any(|(_, target)| *target == Target::Panel(panel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topmost_region_wins_and_panels_are_found_under_rows() {
        let mut hits = Hits::default();
        hits.add(Rect::new(0, 0, 10, 10), Target::Panel(Panel::Threads));
        hits.add(Rect::new(1, 2, 8, 1), Target::Thread(42));
        hits.add(Rect::new(0, 0, 0, 5), Target::Thread(7));
        assert_eq!(hits.at(3, 2), Some(Target::Thread(42)));
        assert_eq!(hits.at(3, 3), Some(Target::Panel(Panel::Threads)));
        assert_eq!(hits.panel_at(3, 2), Some(Panel::Threads));
        assert_eq!(hits.at(10, 0), None, "right of the panel");
        assert_eq!(
            hits.at(0, 1),
            Some(Target::Panel(Panel::Threads)),
            "empty areas are not kept"
        );
        assert!(hits.shows(Panel::Threads));
        assert!(!hits.shows(Panel::Processes));
    }
}
