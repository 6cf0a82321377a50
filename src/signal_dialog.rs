//! The `k` (F9) dialog's state: which processes, which signal, a
//! confirmation naming both, then the result, one step after the other.
//!
//! Its targets are fixed when it opens (the selected thread's process, or
//! the tree's live processes then), so what the confirmation names is what
//! is sent, whatever the next ticks show. Esc cancels at every step. It
//! sends nothing itself: the confirmation returns a
//! [`SignalRequest`](crate::signal_send::SignalRequest) that the event loop
//! sends (see [`crate::signal_send`]), and the loop hands back the result.

use crossterm::event::{KeyCode, KeyEvent};

use crate::keymap::Command;
use crate::signal_send::{SIGNALS, SignalChoice, SignalRequest, tree_targets};
use crate::snapshot::TargetSample;

/// Where the dialog stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Choosing the selected thread's process or the whole tree.
    Target,
    /// Choosing the signal.
    Signal,
    /// Asking to confirm.
    Confirm,
    /// Saying what became of it: lines from
    /// [`describe`](crate::signal_send::describe).
    Result(Vec<String>),
}

/// What a key in the dialog asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The dialog stays, maybe at another step.
    Stay,
    /// Close the dialog (cancelled, or its result read).
    Close,
    /// Send this, then show the result ([`SignalDialog::show_result`]).
    Send(SignalRequest),
}

/// One process the dialog may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProcess {
    /// Its PID.
    pub pid: i32,
    /// Its name (`comm`).
    pub name: String,
}

/// The dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalDialog {
    step: Step,
    /// The selected thread's process, when a thread is selected.
    process: Option<NamedProcess>,
    /// The tree's live processes when the dialog opened, root first.
    tree: Vec<i32>,
    /// True when the whole tree is the target.
    whole_tree: bool,
    /// The signal chosen, an index in [`SIGNALS`].
    signal: usize,
}

impl SignalDialog {
    /// The dialog for `target`, whose thread `selected_tid` is selected (if
    /// any): the thread's process is the first choice, else the whole tree.
    /// `None` when nothing of the tree is alive to take a signal.
    #[must_use]
    pub fn open(target: &TargetSample, selected_tid: Option<i32>) -> Option<Self> {
        let process = selected_tid
            .and_then(|tid| target.threads.iter().find(|t| t.tid == tid))
            .map(|thread| NamedProcess {
                pid: thread.pid,
                name: target
                    .processes
                    .iter()
                    .find(|p| p.pid == thread.pid)
                    .map_or_else(|| thread.name.clone(), |p| p.name.clone()),
            });
        let tree = tree_targets(target);
        if process.is_none() && tree.is_empty() {
            return None;
        }
        Some(Self {
            step: Step::Target,
            whole_tree: process.is_none(),
            process,
            tree,
            signal: 0,
        })
    }

    /// Answers a key: `command` is what the key map makes of it (so
    /// remapped arrows move here too).
    pub fn key(&mut self, key: &KeyEvent, command: Option<Command>) -> Outcome {
        if matches!(self.step, Step::Result(_)) {
            return Outcome::Close;
        }
        let up = key.code == KeyCode::Up || command == Some(Command::Up);
        let down = key.code == KeyCode::Down || command == Some(Command::Down);
        match key.code {
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Backspace | KeyCode::Left => {
                self.step = match self.step {
                    Step::Confirm => Step::Signal,
                    _ => Step::Target,
                };
                return Outcome::Stay;
            }
            _ => {}
        }
        match self.step {
            Step::Target => {
                let toggle = up || down || matches!(key.code, KeyCode::Tab | KeyCode::Char(' '));
                if toggle && self.process.is_some() && !self.tree.is_empty() {
                    self.whole_tree = !self.whole_tree;
                } else if matches!(key.code, KeyCode::Enter | KeyCode::Right) {
                    self.step = Step::Signal;
                }
                Outcome::Stay
            }
            Step::Signal => {
                if up {
                    self.signal = self.signal.saturating_sub(1);
                } else if down {
                    self.signal = (self.signal + 1).min(SIGNALS.len() - 1);
                } else if matches!(key.code, KeyCode::Enter | KeyCode::Right) {
                    self.step = Step::Confirm;
                }
                Outcome::Stay
            }
            Step::Confirm => match key.code {
                KeyCode::Enter | KeyCode::Char('y' | 'Y') => Outcome::Send(SignalRequest {
                    choice: self.choice(),
                    pids: self.targets(),
                    left_tree: Vec::new(),
                }),
                KeyCode::Char('n' | 'N') => Outcome::Close,
                _ => Outcome::Stay,
            },
            Step::Result(_) => Outcome::Close,
        }
    }

    /// Shows what became of the signal sent (the dialog's last step; any
    /// key closes it).
    pub fn show_result(&mut self, lines: Vec<String>) {
        self.step = Step::Result(lines);
    }

    /// Where the dialog stands.
    #[must_use]
    pub const fn step(&self) -> &Step {
        &self.step
    }

    /// The selected thread's process, when a thread is selected.
    #[must_use]
    pub const fn process(&self) -> Option<&NamedProcess> {
        self.process.as_ref()
    }

    /// The tree's live processes when the dialog opened, root first.
    #[must_use]
    pub fn tree(&self) -> &[i32] {
        &self.tree
    }

    /// True when the whole tree is the target.
    #[must_use]
    pub const fn whole_tree(&self) -> bool {
        self.whole_tree
    }

    /// The signal chosen's index in [`SIGNALS`].
    #[must_use]
    pub const fn signal_index(&self) -> usize {
        self.signal
    }

    /// The signal chosen.
    #[must_use]
    pub const fn choice(&self) -> SignalChoice {
        SIGNALS[self.signal]
    }

    /// The PIDs the signal goes to.
    #[must_use]
    pub fn targets(&self) -> Vec<i32> {
        match &self.process {
            Some(process) if !self.whole_tree => vec![process.pid],
            _ => self.tree.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;
    use crate::model::fixtures::{snapshot, thread};
    use crate::snapshot::ProcessSample;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// A `run -- sh -c 'sleep & sleep & wait'`: the shell 4242 and two
    /// sleeps, one thread each.
    fn shell_tree() -> TargetSample {
        let mut sleeper = thread(4250, "sleep", 0.0, 'S');
        sleeper.pid = 4250;
        let mut other = thread(4251, "sleep", 0.0, 'S');
        other.pid = 4251;
        let mut snap = snapshot(
            1,
            [0.0, 0.0],
            vec![thread(4242, "sh", 0.0, 'S'), sleeper, other],
        );
        let process = |pid, ppid, name: &str| ProcessSample {
            pid,
            ppid,
            name: name.to_owned(),
            state: 'S',
            threads: 1,
            rss_kib: Some(1_000),
        };
        snap.target.processes = vec![
            process(4242, 1, "sh"),
            process(4250, 4242, "sleep"),
            process(4251, 4242, "sleep"),
        ];
        snap.target
    }

    #[test]
    fn select_k_term_confirm_sends_term_to_the_threads_process() {
        let mut dialog = SignalDialog::open(&shell_tree(), Some(4250)).expect("dialog");
        assert_eq!(
            dialog.targets(),
            [4250],
            "the selected thread's process first"
        );
        assert_eq!(dialog.key(&press(KeyCode::Enter), None), Outcome::Stay);
        assert_eq!(dialog.step(), &Step::Signal);
        assert_eq!(dialog.choice().name, "TERM", "TERM is the default");
        dialog.key(&press(KeyCode::Enter), None);
        assert_eq!(dialog.step(), &Step::Confirm);
        let Outcome::Send(request) = dialog.key(&press(KeyCode::Char('y')), None) else {
            panic!("y at the confirmation sends");
        };
        assert_eq!((request.choice.name, request.pids), ("TERM", vec![4250]));
        dialog.show_result(vec!["sent TERM to 1 process".to_owned()]);
        assert_eq!(
            dialog.key(&press(KeyCode::Char('x')), None),
            Outcome::Close,
            "any key closes the result"
        );
    }

    #[test]
    fn the_whole_tree_and_another_signal_can_be_chosen() {
        let mut dialog = SignalDialog::open(&shell_tree(), Some(4250)).expect("dialog");
        dialog.key(&press(KeyCode::Down), None);
        assert!(dialog.whole_tree());
        assert_eq!(dialog.targets(), [4242, 4250, 4251]);
        dialog.key(&press(KeyCode::Enter), None);
        for _ in 0..5 {
            dialog.key(&press(KeyCode::Down), Some(Command::Down));
        }
        assert_eq!(dialog.choice().name, "STOP", "Down moves once per key");
        for _ in 0..20 {
            dialog.key(&press(KeyCode::Down), None);
        }
        assert_eq!(dialog.signal_index(), SIGNALS.len() - 1, "stops at the end");
        dialog.key(&press(KeyCode::Enter), None);
        let Outcome::Send(request) = dialog.key(&press(KeyCode::Enter), None) else {
            panic!("Enter at the confirmation sends");
        };
        assert_eq!(request.pids, [4242, 4250, 4251]);
    }

    #[test]
    fn esc_cancels_at_every_step_and_n_at_the_confirmation() {
        for steps in 0..3 {
            let mut dialog = SignalDialog::open(&shell_tree(), Some(4250)).expect("dialog");
            for _ in 0..steps {
                dialog.key(&press(KeyCode::Enter), None);
            }
            assert_eq!(dialog.key(&press(KeyCode::Esc), None), Outcome::Close);
        }
        let mut dialog = SignalDialog::open(&shell_tree(), None).expect("dialog");
        dialog.key(&press(KeyCode::Enter), None);
        dialog.key(&press(KeyCode::Enter), None);
        assert_eq!(dialog.key(&press(KeyCode::Char('n')), None), Outcome::Close);
    }

    #[test]
    fn without_a_selection_the_target_is_the_tree_and_cannot_toggle() {
        let mut dialog = SignalDialog::open(&shell_tree(), None).expect("dialog");
        assert!(dialog.whole_tree());
        dialog.key(&press(KeyCode::Down), None);
        assert!(dialog.whole_tree(), "no process to toggle to");
        let mut ended = shell_tree();
        for process in &mut ended.processes {
            process.state = 'Z';
        }
        assert_eq!(SignalDialog::open(&ended, None), None, "nothing alive");
    }

    #[test]
    fn backspace_goes_back_a_step() {
        let mut dialog = SignalDialog::open(&shell_tree(), Some(4251)).expect("dialog");
        dialog.key(&press(KeyCode::Enter), None);
        dialog.key(&press(KeyCode::Enter), None);
        dialog.key(&press(KeyCode::Backspace), None);
        assert_eq!(dialog.step(), &Step::Signal);
        dialog.key(&press(KeyCode::Backspace), None);
        assert_eq!(dialog.step(), &Step::Target);
    }
}
