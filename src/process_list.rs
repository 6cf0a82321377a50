//! The process list of `watch` without a PID: the machine's processes to
//! choose one from, filtered as the user types, and the process chosen.
//!
//! Pure state: it holds the newest reading (see `sampler::processes`) and
//! the user's filter and selection; choosing returns the PID to watch; the
//! event loop has the sampler watch it. The user's own processes come
//! first, then everyone else's; within each, the busiest first (unknown
//! shares last), then by PID.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::sampler::processes::{ProcessReading, ProcessesReading};

/// The list, its filter, its selection and the process watched.
#[derive(Debug, Clone)]
pub struct ProcessList {
    reading: Arc<ProcessesReading>,
    /// Indices into `reading.processes` of the rows shown, in order.
    rows: Vec<usize>,
    /// What the user typed, as typed.
    filter: String,
    /// The selected process, kept by PID as rows come and go.
    selected_pid: Option<i32>,
    /// The user corescope runs as (effective uid): their processes first.
    own_uid: u32,
    /// True while the list is on screen.
    open: bool,
    /// The process chosen, while it is watched.
    watching: Option<i32>,
    /// Why the last process chosen could not be watched.
    notice: Option<String>,
}

impl ProcessList {
    /// An open list, empty until the first reading, for a user `own_uid`.
    #[must_use]
    pub fn new(own_uid: u32) -> Self {
        Self {
            reading: Arc::default(),
            rows: Vec::new(),
            filter: String::new(),
            selected_pid: None,
            own_uid,
            open: true,
            watching: None,
            notice: None,
        }
    }

    /// True while the list is on screen.
    #[must_use]
    pub const fn is_open(&self) -> bool {
        self.open
    }

    /// The process chosen, while it is watched.
    #[must_use]
    pub const fn watching(&self) -> Option<i32> {
        self.watching
    }

    /// Takes in a reading: the rows and the selection follow.
    pub fn ingest(&mut self, reading: Arc<ProcessesReading>) {
        self.reading = reading;
        self.refresh();
    }

    /// The filter as typed.
    #[must_use]
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Types `c` at the end of the filter.
    pub fn push(&mut self, c: char) {
        self.filter.push(c);
        self.refresh();
    }

    /// Takes the last character off the filter.
    pub fn pop(&mut self) {
        self.filter.pop();
        self.refresh();
    }

    /// Empties the filter.
    pub fn clear_filter(&mut self) {
        self.filter.clear();
        self.refresh();
    }

    /// Every process readable at the last reading.
    #[must_use]
    pub fn total(&self) -> usize {
        self.reading.processes.len()
    }

    /// The rows shown, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &ProcessReading> {
        self.rows.iter().map(|i| &self.reading.processes[*i])
    }

    /// True when the process belongs to the user corescope runs as.
    #[must_use]
    pub fn is_own(&self, process: &ProcessReading) -> bool {
        process.uid == Some(self.own_uid)
    }

    /// The row under the cursor, as an index into [`ProcessList::rows`].
    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        let pid = self.selected_pid?;
        self.rows().position(|p| p.pid == pid)
    }

    /// The selected process's PID, while one is shown.
    #[must_use]
    pub fn selected_pid(&self) -> Option<i32> {
        self.selected().and(self.selected_pid)
    }

    /// Puts the cursor on process `pid`, if it is shown.
    pub fn select_pid(&mut self, pid: i32) {
        if self.rows().any(|p| p.pid == pid) {
            self.selected_pid = Some(pid);
        }
    }

    /// Moves the cursor by `by` rows, stopping at both ends.
    pub fn move_by(&mut self, by: isize) {
        let Some(last) = self.rows.len().checked_sub(1) else {
            return;
        };
        let next = match self.selected() {
            Some(at) => at.saturating_add_signed(by).min(last),
            None if by < 0 => last,
            None => 0,
        };
        let pid = self.rows().nth(next).map(|p| p.pid);
        self.selected_pid = pid;
    }

    /// Chooses the process under the cursor: the list closes, and the PID
    /// returned is to be watched.
    pub fn choose(&mut self) -> Option<i32> {
        let pid = self.selected_pid.filter(|_| self.selected().is_some())?;
        self.open = false;
        self.watching = Some(pid);
        self.notice = None;
        Some(pid)
    }

    /// Back to the list.
    pub fn back(&mut self) {
        self.open = true;
        self.watching = None;
    }

    /// Back to the list, saying why the process chosen cannot be watched.
    pub fn failed(&mut self, why: String) {
        self.back();
        self.notice = Some(why);
    }

    /// Why the last process chosen could not be watched.
    #[must_use]
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Sorts and filters the reading; the cursor stays on its process while
    /// that is shown, and goes to the first row otherwise.
    fn refresh(&mut self) {
        let needle = self.filter.trim().to_lowercase();
        let processes = &self.reading.processes;
        let mut rows: Vec<usize> = (0..processes.len())
            .filter(|i| matches(&processes[*i], &needle))
            .collect();
        rows.sort_by(|a, b| self.order(&processes[*a], &processes[*b]));
        self.rows = rows;
        if self.selected().is_none() {
            let first = self.rows().next().map(|p| p.pid);
            self.selected_pid = first;
        }
    }

    /// Own processes first; then the busiest first, unknown last; then PID.
    fn order(&self, a: &ProcessReading, b: &ProcessReading) -> Ordering {
        let others = |p: &ProcessReading| !self.is_own(p);
        let busiest = match (a.cpu_pct, b.cpu_pct) {
            (Some(a), Some(b)) => b.total_cmp(&a),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        others(a)
            .cmp(&others(b))
            .then(busiest)
            .then(a.pid.cmp(&b.pid))
    }
}

/// True when `needle` (lowercase) is empty or found in the process's PID,
/// user, name or command line (case aside).
fn matches(process: &ProcessReading, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |text: Option<&str>| text.is_some_and(|t| t.to_lowercase().contains(needle));
    process.pid.to_string().contains(needle)
        || has(process.user.as_deref())
        || has(process.name.as_deref())
        || has(process.command.as_deref())
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A process of user `uid` running `command`, its share `cpu_pct`.
    pub(crate) fn process(
        pid: i32,
        uid: u32,
        command: &str,
        cpu_pct: Option<f64>,
    ) -> ProcessReading {
        let name: String = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .chars()
            .take(15)
            .collect();
        ProcessReading {
            pid,
            uid: Some(uid),
            user: Some(if uid == 0 { "root" } else { "alice" }.to_owned()),
            name: Some(name),
            command: Some(command.to_owned()),
            threads: Some(1 + u64::try_from(pid % 7).unwrap_or(0)),
            cpu_pct,
            rss_bytes: Some(u64::try_from(pid).unwrap_or(0) * 1_048_576),
        }
    }

    /// A list for user 1000 over a small machine: some of the user's
    /// processes, some of root's, one unreadable.
    pub(crate) fn list() -> ProcessList {
        let mut unknown = process(4000, 0, "", None);
        unknown.uid = None;
        unknown.user = None;
        unknown.name = None;
        unknown.command = None;
        unknown.threads = None;
        unknown.rss_bytes = None;
        let mut list = ProcessList::new(1000);
        list.ingest(Arc::new(ProcessesReading {
            processes: vec![
                process(1, 0, "/sbin/init splash", Some(0.0)),
                process(812, 0, "/usr/sbin/sshd -D", Some(0.5)),
                process(2301, 1000, "-bash", Some(0.0)),
                process(2450, 1000, "python3 crunch.py --workers 4", Some(187.5)),
                process(2460, 1000, "sleep 300", None),
                process(3100, 1000, "vim notes.md", Some(1.2)),
                process(15, 0, "[kworker/0:1-events]", Some(0.1)),
                unknown,
            ],
        }));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::list;
    use super::*;

    fn pids(list: &ProcessList) -> Vec<i32> {
        list.rows().map(|p| p.pid).collect()
    }

    #[test]
    fn own_processes_come_first_busiest_first_with_unknown_shares_last() {
        let list = list();
        assert_eq!(
            pids(&list),
            [2450, 3100, 2301, 2460, 812, 15, 1, 4000],
            "own (uid 1000) first by share, `?` last; then the others"
        );
        assert_eq!(list.selected(), Some(0), "the first row is selected");
    }

    #[test]
    fn the_filter_matches_command_name_pid_or_user_and_the_cursor_follows() {
        let mut list = list();
        for c in "CRUNCH".chars() {
            list.push(c);
        }
        assert_eq!(pids(&list), [2450], "by command, case aside");
        list.clear_filter();
        list.push('8');
        list.push('1');
        assert_eq!(pids(&list), [812], "by PID");
        list.clear_filter();
        for c in "root".chars() {
            list.push(c);
        }
        assert_eq!(pids(&list), [812, 15, 1], "by user");
        list.move_by(1);
        assert_eq!(list.selected(), Some(1));
        list.pop();
        list.pop();
        list.pop();
        list.pop();
        assert_eq!(list.filter(), "");
        assert_eq!(
            list.rows()
                .nth(list.selected().expect("selected"))
                .map(|p| p.pid),
            Some(15),
            "the cursor stays on its process as the filter widens"
        );
        for c in "no such thing".chars() {
            list.push(c);
        }
        assert_eq!(list.rows().len(), 0);
        assert_eq!(list.choose(), None, "nothing to choose");
        assert!(list.is_open());
    }

    #[test]
    fn choosing_closes_the_list_and_back_reopens_it() {
        let mut list = list();
        list.move_by(isize::MAX);
        list.move_by(-1);
        assert_eq!(list.choose(), Some(1));
        assert!(!list.is_open());
        assert_eq!(list.watching(), Some(1));
        list.failed("cannot watch PID 1: gone".to_owned());
        assert!(list.is_open() && list.watching().is_none());
        assert_eq!(list.notice(), Some("cannot watch PID 1: gone"));
        assert_eq!(list.choose(), Some(1));
        assert_eq!(list.notice(), None, "a new choice clears the notice");
        list.back();
        assert!(list.is_open());
    }

    #[test]
    fn a_process_that_exits_leaves_the_list_and_the_cursor_moves_on() {
        let mut list = list();
        assert_eq!(pids(&list)[0], 2450);
        let mut reading = (*list.reading).clone();
        reading.processes.retain(|p| p.pid != 2450);
        list.ingest(Arc::new(reading));
        assert!(!pids(&list).contains(&2450));
        assert_eq!(list.selected(), Some(0));
    }
}

/// The list's keys as the dashboard answers them.
#[cfg(test)]
mod keys {
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::fixtures::list;
    use crate::app::{Action, App};
    use crate::keymap::Command;
    use crate::model::fixtures::{snapshot, thread};
    use crate::snapshot::Snapshot;

    fn press(app: &mut App, code: KeyCode) -> Action {
        app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    fn listing() -> App {
        App::with_process_list(Duration::from_millis(500), list())
    }

    fn of_pid(pid: i32, seq: u64) -> std::sync::Arc<Snapshot> {
        let mut snap = snapshot(seq, [10.0, 20.0], vec![thread(pid, "main", 1.0, 'S')]);
        snap.target.root_pid = pid;
        std::sync::Arc::new(snap)
    }

    fn filter(app: &App) -> &str {
        app.process_list().expect("list").filter()
    }

    #[test]
    fn q_quits_on_an_empty_filter_and_is_typed_into_one_that_is_not() {
        let mut app = listing();
        assert_eq!(press(&mut app, KeyCode::Char('q')), Action::Quit);
        type_text(&mut app, "vq");
        assert_eq!(filter(&app), "vq", "q is part of what is typed");
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(&ctrl_c), Action::Quit, "Ctrl-C always quits");
        assert_eq!(press(&mut app, KeyCode::Backspace), Action::Redraw);
        assert_eq!(filter(&app), "v");
        assert_eq!(press(&mut app, KeyCode::Esc), Action::Redraw);
        assert_eq!(filter(&app), "", "Esc clears a filter first");
        assert_eq!(press(&mut app, KeyCode::Esc), Action::Quit, "then quits");
    }

    #[test]
    fn enter_watches_the_selected_process_and_only_its_snapshots_count() {
        let mut app = listing();
        type_text(&mut app, "sshd");
        assert_eq!(press(&mut app, KeyCode::Enter), Action::WatchProcess(812));
        assert!(!app.listing());
        assert_eq!(
            app.ingest(of_pid(4242, 7)),
            Action::None,
            "a tick of the tree watched before the switch is not shown"
        );
        assert!(app.visible_model().latest().is_none());
        assert_eq!(app.ingest(of_pid(812, 0)), Action::Redraw);
        assert_eq!(
            app.visible_model().latest().map(|s| s.target.root_pid),
            Some(812)
        );
        let (section, says) = app.help_entry(Command::Back);
        assert_eq!(
            (section, says),
            ("Process list", "back to the process list")
        );
        assert!(app.active_commands().any(|c| c == Command::Back));
        assert_eq!(press(&mut app, KeyCode::Char('b')), Action::ListProcesses);
        assert!(app.listing());
        assert_eq!(filter(&app), "sshd", "the filter is kept");
        assert_eq!(
            app.ingest(of_pid(812, 1)),
            Action::None,
            "nothing is watched while the list is open"
        );
        assert_eq!(press(&mut app, KeyCode::Enter), Action::WatchProcess(812));
        assert!(
            app.visible_model().latest().is_none(),
            "watching again starts a new history"
        );
    }

    #[test]
    fn a_process_that_cannot_be_watched_sends_the_list_back_with_why() {
        let mut app = listing();
        assert_eq!(press(&mut app, KeyCode::Enter), Action::WatchProcess(2450));
        let mut failed = (*of_pid(4242, 3)).clone();
        failed.notice = Some(format!(
            "{}no process with PID 2450 (it may have exited)",
            crate::sampler::watch_failure(2450)
        ));
        assert_eq!(
            app.ingest(std::sync::Arc::new(failed)),
            Action::ListProcesses
        );
        assert!(app.listing());
        assert!(
            app.process_list()
                .and_then(super::ProcessList::notice)
                .is_some_and(|n| n.contains("2450")),
            "the list says why"
        );
    }

    #[test]
    fn the_list_offers_its_own_keys_only() {
        let app = listing();
        let active: Vec<Command> = app.active_commands().collect();
        for command in [Command::Start, Command::Down, Command::Quit, Command::Help] {
            assert!(active.contains(&command), "{command:?}: {active:?}");
        }
        for command in [
            Command::Pause,
            Command::SortNext,
            Command::Back,
            Command::ResetPeaks,
        ] {
            assert!(!active.contains(&command), "{command:?}: {active:?}");
        }
        assert_eq!(app.help_entry(Command::Down).0, "Process list");
    }
}
