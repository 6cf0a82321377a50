//! The lessons and demos to choose from, and where a running lesson stands.
//!
//! Pure state: choosing returns what to run (a demo, or a lesson step's
//! Python program); the event loop has the session (which owns what runs)
//! start it.

use corescope_demos::catalog::DemoSpec;
use corescope_demos::config::DemoConfig;
use corescope_demos::registry;

use crate::lesson::{Lesson, Play, Step};

/// One line of the picker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// A lesson, to step through.
    Lesson(&'a Lesson),
    /// A demo, run on its own with its defaults.
    Demo(&'static DemoSpec),
}

/// The picker and the lesson under way.
#[derive(Debug, Clone)]
pub struct Picker {
    lessons: Vec<Lesson>,
    selected: usize,
    open: bool,
    /// The lesson running and its step, as indices.
    lesson: Option<(usize, usize)>,
}

impl Picker {
    /// An open picker over `lessons` and every demo of the catalogue.
    #[must_use]
    pub fn new(lessons: Vec<Lesson>) -> Self {
        Self {
            lessons,
            selected: 0,
            open: true,
            lesson: None,
        }
    }

    /// True while the picker is on screen.
    #[must_use]
    pub const fn is_open(&self) -> bool {
        self.open
    }

    /// Every entry: the lessons first, then the demos.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.lessons
            .iter()
            .map(Entry::Lesson)
            .chain(registry::specs().map(Entry::Demo))
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lessons.len() + registry::DEMOS.len()
    }

    /// True when there is nothing to pick (never: the catalogue has demos).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry under the cursor.
    #[must_use]
    pub const fn selected(&self) -> usize {
        self.selected
    }

    /// Puts the cursor on entry `index` (the last entry if past the end).
    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.len().saturating_sub(1));
    }

    /// Moves the cursor by `by` entries, stopping at both ends.
    pub fn move_by(&mut self, by: isize) {
        let last = self.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(by).min(last);
    }

    /// Starts the entry under the cursor: a lesson at its first step, or a
    /// demo with its defaults. Returns what to run.
    pub fn start(&mut self) -> Option<Play> {
        let config = match self.entries().nth(self.selected)? {
            Entry::Lesson(lesson) => lesson.steps.first()?.play.clone(),
            Entry::Demo(spec) => Play::Demo(DemoConfig::defaults(spec)),
        };
        self.lesson = (self.selected < self.lessons.len()).then_some((self.selected, 0));
        self.open = false;
        Some(config)
    }

    /// Back to the picker; any lesson ends.
    pub fn back(&mut self) {
        self.open = true;
        self.lesson = None;
    }

    /// Moves the lesson `by` steps (clamped to its ends). Returns what the
    /// step runs when the step changed.
    pub fn step(&mut self, by: isize) -> Option<Play> {
        let (lesson, step) = self.lesson?;
        let steps = &self.lessons.get(lesson)?.steps;
        let next = step
            .saturating_add_signed(by)
            .min(steps.len().saturating_sub(1));
        if next == step {
            return None;
        }
        self.lesson = Some((lesson, next));
        Some(steps[next].play.clone())
    }

    /// The lesson under way: its title, the step's number (from 1), the
    /// number of steps, and the step.
    #[must_use]
    pub fn current_step(&self) -> Option<(&str, usize, usize, &Step)> {
        let (lesson, step) = self.lesson?;
        let lesson = self.lessons.get(lesson)?;
        Some((
            &lesson.title,
            step + 1,
            lesson.steps.len(),
            lesson.steps.get(step)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker() -> Picker {
        Picker::new(crate::lesson::built_in().expect("lessons"))
    }

    #[test]
    fn lessons_come_first_then_every_demo() {
        let picker = picker();
        assert!(matches!(picker.entries().next(), Some(Entry::Lesson(_))));
        let demos = picker
            .entries()
            .filter(|e| matches!(e, Entry::Demo(_)))
            .count();
        assert_eq!(demos, registry::DEMOS.len());
    }

    #[test]
    fn a_lesson_starts_at_step_one_and_steps_stay_within_it() {
        let mut picker = picker();
        let first = picker.start().expect("lesson");
        assert!(!picker.is_open());
        let (_, number, steps, step) = picker.current_step().expect("step");
        assert_eq!((number, &step.play), (1, &first));
        assert!(picker.step(-1).is_none(), "no step before the first");
        let second = picker.step(1).expect("step 2");
        assert_eq!(picker.current_step().map(|s| s.1), Some(2));
        assert_eq!(second, picker.current_step().expect("step").3.play);
        assert!(picker.step(isize::MAX).is_some());
        assert_eq!(picker.current_step().map(|s| s.1), Some(steps));
        picker.back();
        assert!(picker.is_open() && picker.current_step().is_none());
    }

    #[test]
    fn a_demo_starts_with_its_defaults_and_no_lesson() {
        let mut picker = picker();
        picker.move_by(isize::MAX);
        let Some(Play::Demo(config)) = picker.start() else {
            panic!("the last entry is a demo");
        };
        assert_eq!(
            config.spec.name,
            registry::DEMOS.last().expect("demo").spec.name
        );
        assert!(picker.current_step().is_none());
        assert!(picker.step(1).is_none());
    }
}
