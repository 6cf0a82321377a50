//! A lesson step's title and notes on the watch screen, while the step runs
//! one of the course's Python programs (a demo step's go on the demo
//! screen). A program that could not start says why first.

use ratatui::layout::Rect;

use corescope_widgets::{Notes, Theme};

use crate::app::App;
use crate::lesson::Play;
use crate::picker::Picker;
use crate::snapshot::Snapshot;

/// The step's heading and text.
pub(super) struct StepNotes {
    title: String,
    text: String,
}

impl StepNotes {
    /// The notes of the lesson step under way, when it runs a Python program.
    pub(super) fn of(app: &App, snapshot: &Snapshot) -> Option<Self> {
        let (_, number, steps, step) = app.picker().and_then(Picker::current_step)?;
        let Play::Python(python) = &step.play else {
            return None;
        };
        let title = format!("Step {number} of {steps}: {}", step.title);
        let text = match &snapshot.notice {
            Some(notice) => format!(
                "{} did not start: {notice}\n{}",
                python.program.name, step.notes
            ),
            None => step.notes.clone(),
        };
        Some(Self { title, text })
    }

    /// The widget.
    pub(super) fn widget(&self, theme: &Theme) -> Notes<'_> {
        Notes::new(&self.title, &self.text).theme(*theme)
    }

    /// The rows they get in `area`: as many as they fill, up to a sixth of
    /// the screen (four, the title and three lines, at 24 rows).
    pub(super) fn rows(&self, area: Rect) -> u16 {
        self.widget(&Theme::default())
            .height(area.width)
            .min((area.height / 6).clamp(2, 6))
    }
}
