//! The dashboard's state and its answers to input.
//!
//! `App` holds the model and what the user chose (pause, help, sort,
//! selection). Input methods return an `Action`; the event loop performs it.
//! Nothing here touches the terminal, so every key can be tested directly.

use std::sync::Arc;
use std::time::Duration;

use corescope_widgets::{Theme, ThreadColumn};
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::lesson::Play;
use corescope_demos::catalog::Kind;

use crate::hits::{Hits, Panel, Target};
use crate::keymap::{
    Command, DEMO_SECTION, Keymap, LESSON_SECTION, PICKER_SECTION, PROCESS_LIST_SECTION,
    REPLAY_SECTION, THREAD_SECTION,
};
use crate::model::Model;
use crate::picker::Picker;
use crate::process_list::ProcessList;
use crate::record::ReplayCommand;
use crate::sampler::processes::ProcessesReading;
use crate::signal_dialog::{Outcome, SignalDialog};
use crate::signal_send::{SignalRequest, tree_targets};
use crate::snapshot::Snapshot;
use crate::snapshot::compare::ComparePlan;
use crate::thread_view::{self, SORTABLE, TableChoice, ThreadSort};
use corescope_demos::host::DemoCommand;

/// What the event loop must do after an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed on screen.
    None,
    /// Draw again.
    Redraw,
    /// Leave, restoring the terminal.
    Quit,
    /// Restore the terminal and stop like a shell job.
    Suspend,
    /// Steer the running demo (sent to the sampler, which owns it).
    Demo(DemoCommand),
    /// Run this demo (or lesson step's Python program) now, in place of
    /// anything else.
    Start(Box<Play>),
    /// Stop the demo running (back in the picker).
    StopDemo,
    /// Steer the replay (sent to the player).
    Replay(ReplayCommand),
    /// Start the peaks over (sent to the sampler, which keeps them).
    ResetPeaks,
    /// Run this comparison now, in place of the one shown.
    Compare(ComparePlan),
    /// Send this signal (the event loop does, then calls
    /// [`App::signal_sent`] with the result).
    Signal(SignalRequest),
    /// Sample at this interval from now on (sent to the sampler).
    Interval(Duration),
    /// Watch this process, chosen in the process list (the list closes).
    WatchProcess(i32),
    /// Back to the process list: stop watching the process chosen.
    ListProcesses,
}

/// What the dashboard knows of the recording it replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Time from the first snapshot to the last.
    pub length: Duration,
    /// The last snapshot's number: once it is shown, the replay is over.
    pub last_seq: u64,
    /// True while the player is paused.
    pub paused: bool,
}

/// What the user chose for the screen: its colours and its keys (from
/// `--theme`, the config file and `NO_COLOR`; see `config`).
#[derive(Debug, Clone, Default)]
pub struct Preferences {
    /// The colours every screen draws with.
    pub theme: Theme,
    /// The key table: dispatch, footer hints and the help overlay.
    pub keymap: Keymap,
}

/// Sort columns in the order `s` cycles through them.
const SORT_CYCLE: [ThreadColumn; 9] = [
    ThreadColumn::CpuPct,
    ThreadColumn::RunqWait,
    ThreadColumn::Voluntary,
    ThreadColumn::Involuntary,
    ThreadColumn::State,
    ThreadColumn::LastCpu,
    ThreadColumn::Name,
    ThreadColumn::Tid,
    ThreadColumn::Pid,
];

/// The help's section for a comparison's keys.
const COMPARE_SECTION: &str = "Comparison";

/// Rows moved by PgUp/PgDn.
const PAGE_ROWS: usize = 10;
/// Rows moved by one turn of the mouse wheel (the common terminal default).
const WHEEL_ROWS: isize = 3;

/// The dashboard state.
#[derive(Debug)]
pub struct App {
    model: Model,
    /// The model as it was when the user paused; drawn instead of the live one.
    frozen: Option<Model>,
    keymap: Keymap,
    theme: Theme,
    help_visible: bool,
    sort: ThreadSort,
    selected_tid: Option<i32>,
    interval: Duration,
    /// Lessons and demos to choose from; `None` when corescope was started
    /// on one thing (`demo`, `watch`, `compare`).
    picker: Option<Picker>,
    /// The panel the arrows act on.
    focus: Panel,
    /// The first row of the process tree shown.
    tree_offset: usize,
    /// What the last frame drew where, for the mouse.
    hits: Hits,
    /// The recording played, in a replay.
    replay: Option<Replay>,
    /// A line for the user about the last key, until the next key.
    notice: Option<&'static str>,
    /// The help's first line shown, when it is too long for the screen.
    help_scroll: usize,
    /// The `k` dialog, while open.
    signal_dialog: Option<SignalDialog>,
    /// The thread table's filter; empty keeps every thread.
    thread_filter: String,
    /// The process tree's filter; empty keeps every process.
    tree_filter: String,
    /// The panel whose filter prompt is open (keys go to it), if any.
    prompt: Option<Panel>,
    /// True when the thread table nests threads under their processes.
    tree_view: bool,
    /// The sort menu's cursor (an index into [`SORTABLE`]) while it is open.
    sort_menu: Option<usize>,
    /// The machine's processes to choose one from; `None` unless corescope
    /// was started as `watch` without a PID.
    processes: Option<ProcessList>,
}

impl App {
    /// A dashboard sampling every `interval`, with the default keys and
    /// colours.
    #[must_use]
    pub fn new(interval: Duration) -> Self {
        Self {
            model: Model::new(),
            frozen: None,
            keymap: Keymap::default(),
            theme: Theme::default(),
            help_visible: false,
            sort: ThreadSort::default(),
            selected_tid: None,
            interval,
            picker: None,
            focus: Panel::default(),
            tree_offset: 0,
            hits: Hits::default(),
            replay: None,
            notice: None,
            help_scroll: 0,
            signal_dialog: None,
            thread_filter: String::new(),
            tree_filter: String::new(),
            prompt: None,
            tree_view: false,
            sort_menu: None,
            processes: None,
        }
    }

    /// A dashboard replaying a recording sampled every `interval`.
    #[must_use]
    pub fn for_replay(interval: Duration, replay: Replay) -> Self {
        Self {
            replay: Some(replay),
            ..Self::new(interval)
        }
    }

    /// The recording replayed, in a replay.
    #[must_use]
    pub const fn replay(&self) -> Option<&Replay> {
        self.replay.as_ref()
    }

    /// Starts the history over from `history`, oldest first: a replay's
    /// seek. The selection, sort and focus stay as the user set them.
    pub fn rewind(&mut self, history: Vec<Arc<Snapshot>>) -> Action {
        self.model = Model::new();
        for snapshot in history {
            self.model.ingest(snapshot);
        }
        Action::Redraw
    }

    /// A dashboard that opens on the lessons and demos to choose from.
    #[must_use]
    pub fn with_picker(interval: Duration, picker: Picker) -> Self {
        Self {
            picker: Some(picker),
            ..Self::new(interval)
        }
    }

    /// A dashboard that opens on the machine's processes, to watch one.
    #[must_use]
    pub fn with_process_list(interval: Duration, list: ProcessList) -> Self {
        Self {
            processes: Some(list),
            ..Self::new(interval)
        }
    }

    /// The process list, when there is one.
    #[must_use]
    pub const fn process_list(&self) -> Option<&ProcessList> {
        self.processes.as_ref()
    }

    /// True while the process list is on screen.
    #[must_use]
    pub fn listing(&self) -> bool {
        self.processes.as_ref().is_some_and(ProcessList::is_open)
    }

    /// Takes in a reading of the machine's processes, for the list.
    pub fn ingest_processes(&mut self, reading: Arc<ProcessesReading>) -> Action {
        match &mut self.processes {
            Some(list) => {
                list.ingest(reading);
                if list.is_open() {
                    Action::Redraw
                } else {
                    Action::None
                }
            }
            None => Action::None,
        }
    }

    /// The same dashboard with the user's colours and keys.
    #[must_use]
    pub fn with_preferences(self, preferences: Preferences) -> Self {
        Self {
            keymap: preferences.keymap,
            theme: preferences.theme,
            ..self
        }
    }

    /// The picker, when there is one.
    #[must_use]
    pub const fn picker(&self) -> Option<&Picker> {
        self.picker.as_ref()
    }

    /// True while the picker is on screen.
    #[must_use]
    pub fn picking(&self) -> bool {
        self.picker.as_ref().is_some_and(Picker::is_open)
    }

    /// Takes in a snapshot. While paused the live model keeps its history
    /// complete; only the screen stays frozen.
    pub fn ingest(&mut self, snapshot: Arc<Snapshot>) -> Action {
        if let Some(list) = &mut self.processes {
            // Only the chosen process's snapshots: the sampler watches
            // corescope itself while the list is open, and ticks taken
            // before it switched may still come.
            let Some(pid) = list.watching() else {
                return Action::None;
            };
            if snapshot.target.root_pid != pid {
                let failure = crate::sampler::watch_failure(pid);
                return match snapshot.notice.as_deref() {
                    Some(why) if why.starts_with(&failure) => {
                        list.failed(why.to_owned());
                        Action::ListProcesses
                    }
                    _ => Action::None,
                };
            }
        }
        self.model.ingest(snapshot);
        if self.frozen.is_some() {
            Action::None
        } else {
            Action::Redraw
        }
    }

    /// Answers a terminal event.
    pub fn handle_event(&mut self, event: &Event) -> Action {
        match event {
            Event::Key(key) => self.handle_key(key),
            Event::Mouse(mouse) => self.handle_mouse(mouse),
            Event::Resize(..) | Event::FocusGained => Action::Redraw,
            _ => Action::None,
        }
    }

    /// Answers a key press.
    pub fn handle_key(&mut self, key: &KeyEvent) -> Action {
        let command = self.command_for(key);
        if key.kind != crossterm::event::KeyEventKind::Release {
            self.notice = None;
        }
        if let Some(panel) = self.prompt {
            return self.prompt_key(panel, key, command);
        }
        if let Some(cursor) = self.sort_menu {
            return self.sort_menu_key(cursor, key, command);
        }
        // Esc takes a filter off before it quits: the user who filtered
        // wants the whole table back, not to leave.
        if key.code == KeyCode::Esc && key.kind != KeyEventKind::Release && !self.help_visible {
            let filtered = !self.thread_filter.is_empty() || !self.tree_filter.is_empty();
            if filtered && !self.picking() {
                self.thread_filter.clear();
                self.tree_filter.clear();
                return Action::Redraw;
            }
        }
        if self.help_visible {
            // The arrows and PgUp/PgDn scroll a help too long for the
            // screen; any other key closes it, as in htop; Ctrl-C still quits.
            if command == Some(Command::Quit) && key.code == crossterm::event::KeyCode::Char('c') {
                return Action::Quit;
            }
            if key.kind == crossterm::event::KeyEventKind::Release {
                return Action::None;
            }
            let by = match command {
                Some(Command::Down) => 1,
                Some(Command::Up) => -1,
                Some(Command::PageDown) => PAGE_ROWS as isize,
                Some(Command::PageUp) => -(PAGE_ROWS as isize),
                _ => {
                    self.help_visible = false;
                    self.help_scroll = 0;
                    return Action::Redraw;
                }
            };
            // The help has a line per command and per section at most.
            let most = self.active_commands().count() * 2;
            self.help_scroll = self.help_scroll.saturating_add_signed(by).min(most);
            return Action::Redraw;
        }
        if let Some(dialog) = &mut self.signal_dialog {
            // The dialog takes every key; Ctrl-C still quits.
            if command == Some(Command::Quit) && key.code == crossterm::event::KeyCode::Char('c') {
                return Action::Quit;
            }
            if key.kind == crossterm::event::KeyEventKind::Release {
                return Action::None;
            }
            return match dialog.key(key, command) {
                Outcome::Stay => Action::Redraw,
                Outcome::Close => {
                    self.signal_dialog = None;
                    Action::Redraw
                }
                Outcome::Send(mut request) => {
                    // Checked against the newest tick, paused or not.
                    let live = self
                        .model
                        .latest()
                        .map(|s| tree_targets(&s.target))
                        .unwrap_or_default();
                    request.left_tree = request
                        .pids
                        .iter()
                        .filter(|pid| !live.contains(pid))
                        .copied()
                        .collect();
                    Action::Signal(request)
                }
            };
        }
        if let Some(action) = self.filter_key(key, command) {
            return action;
        }
        match command {
            Some(command) => self.perform(command),
            None => Action::None,
        }
    }

    /// The command a key asks for now: of two that share it (htop's `<`/`>`
    /// and a demo's speed keys), the demo's while it applies, else the one
    /// that applies.
    fn command_for(&self, key: &KeyEvent) -> Option<Command> {
        let mut candidates = self.keymap.commands_for(key).peekable();
        let first = *candidates.peek()?;
        let applying: Vec<Command> = candidates.filter(|c| self.applies(*c)).collect();
        applying
            .iter()
            .find(|c| c.section() == DEMO_SECTION)
            .or_else(|| applying.first())
            .copied()
            .or(Some(first))
    }

    /// The keys that ask for `command` now, as a label like `F6/</>`: a key
    /// it shares goes where [`App::command_for`] sends it. In the process
    /// list a character typed goes into the filter, so only quit's and
    /// help's characters are listed there (they act on an empty filter).
    #[must_use]
    pub fn keys_label(&self, command: Command) -> String {
        let typed_acts = !self.listing() || matches!(command, Command::Quit | Command::Help);
        self.keymap
            .bindings()
            .find(|(c, _)| *c == command)
            .map(|(_, keys)| {
                keys.iter()
                    .filter(|key| typed_acts || !key.types_text())
                    .filter(|key| {
                        let event = KeyEvent::new(key.code(), key.modifiers());
                        self.command_for(&event) == Some(command)
                    })
                    .map(|key| key.label())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// A key while the filter prompt of `panel` is open: text goes to the
    /// filter (`q` types a q), Enter keeps it and closes the prompt, Esc
    /// clears it and closes the prompt; the arrows still move the selection
    /// and Ctrl-C still quits.
    fn prompt_key(&mut self, panel: Panel, key: &KeyEvent, command: Option<Command>) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        let control = key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let filter = match panel {
            Panel::Processes => &mut self.tree_filter,
            Panel::Threads | Panel::Picker | Panel::ProcessList => &mut self.thread_filter,
        };
        match key.code {
            KeyCode::Char(_) if control => match command {
                Some(Command::Quit) => return Action::Quit,
                Some(Command::Suspend) => return Action::Suspend,
                _ => return Action::None,
            },
            KeyCode::Char(c) => filter.push(c),
            KeyCode::Backspace => {
                filter.pop();
            }
            KeyCode::Esc => {
                filter.clear();
                self.prompt = None;
            }
            KeyCode::Enter => self.prompt = None,
            _ => {
                return match command {
                    Some(
                        scroll @ (Command::Up
                        | Command::Down
                        | Command::PageUp
                        | Command::PageDown
                        | Command::Top
                        | Command::Bottom),
                    ) => self.perform(scroll),
                    _ => Action::None,
                };
            }
        }
        // The tree scrolls from its top again: its rows changed.
        if panel == Panel::Processes {
            self.tree_offset = 0;
        }
        Action::Redraw
    }

    /// A key while the sort menu is open: the arrows move its cursor, Enter
    /// sorts by the column under it (the column already sorted by: the other
    /// way), Esc or the menu's key closes it; Ctrl-C still quits.
    fn sort_menu_key(&mut self, cursor: usize, key: &KeyEvent, command: Option<Command>) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        let last = SORTABLE.len() - 1;
        let moved = match command {
            Some(Command::Up) => cursor.saturating_sub(1),
            Some(Command::Down) => (cursor + 1).min(last),
            Some(Command::PageUp | Command::Top) => 0,
            Some(Command::PageDown | Command::Bottom) => last,
            Some(Command::Quit) if key.code == KeyCode::Char('c') => return Action::Quit,
            _ if key.code == KeyCode::Enter => {
                self.sort_menu = None;
                self.sort_by(SORTABLE[cursor]);
                return Action::Redraw;
            }
            _ => {
                self.sort_menu = None;
                return Action::Redraw;
            }
        };
        self.sort_menu = Some(moved);
        Action::Redraw
    }

    /// Sorts the thread table by `column`, or the other way round when it
    /// is already sorted by it (a second click on a header).
    fn sort_by(&mut self, column: ThreadColumn) {
        if self.sort.column == column {
            self.sort.descending = !self.sort.descending;
        } else {
            self.sort = ThreadSort {
                column,
                descending: thread_view::descending_first(column),
            };
        }
    }

    /// The thread table's own keys: the sort menu, the filter prompt and
    /// the tree view.
    fn table_command(&mut self, command: Command) {
        match command {
            Command::SortMenu => {
                self.sort_menu = Some(
                    SORTABLE
                        .iter()
                        .position(|c| *c == self.sort.column)
                        .unwrap_or(0),
                );
            }
            Command::Filter => {
                let panel = match self.focus {
                    Panel::Processes if self.hits.shows(Panel::Processes) => Panel::Processes,
                    _ => Panel::Threads,
                };
                self.prompt = Some(panel);
            }
            Command::TreeView => self.tree_view = !self.tree_view,
            _ => {}
        }
    }

    /// Typing in the process list: a character goes into the filter,
    /// Backspace takes one off, Esc empties it. While the filter is empty,
    /// the keys of quit and help (`q`, `?`) do what they do anywhere.
    /// Other keys act as commands (`None`).
    fn filter_key(&mut self, key: &KeyEvent, command: Option<Command>) -> Option<Action> {
        use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
        let list = self.processes.as_mut().filter(|l| l.is_open())?;
        if key.kind == KeyEventKind::Release
            || key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match key.code {
            KeyCode::Char(_)
                if list.filter().is_empty()
                    && matches!(command, Some(Command::Quit | Command::Help)) =>
            {
                return None;
            }
            KeyCode::Char(c) => list.push(c),
            KeyCode::Backspace => list.pop(),
            KeyCode::Esc if !list.filter().is_empty() => list.clear_filter(),
            _ => return None,
        }
        Some(Action::Redraw)
    }

    /// Does what `command` asks, as its key would.
    fn perform(&mut self, command: Command) -> Action {
        if !self.applies(command) {
            return Action::None;
        }
        if self.picking()
            && let Some(action) = self.picker_key(command)
        {
            return action;
        }
        if self.listing()
            && let Some(action) = self.list_key(command)
        {
            return action;
        }
        match command {
            Command::Quit => return Action::Quit,
            Command::Suspend => return Action::Suspend,
            Command::Help => self.help_visible = true,
            Command::Pause if self.replay.is_some() => {
                // A replay pauses at its source: the player stops sending,
                // and the screen shows where it stopped.
                if let Some(replay) = &mut self.replay {
                    replay.paused = !replay.paused;
                }
                return Action::Replay(ReplayCommand::TogglePause);
            }
            Command::SeekBack => return Action::Replay(ReplayCommand::Back),
            Command::SeekAhead => return Action::Replay(ReplayCommand::Ahead),
            Command::Pause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.model.clone()),
                };
                // In a demo the workers pause too: the screen and the work
                // stop together, so what is shown is what is happening.
                if self.runs_demo() {
                    return Action::Demo(DemoCommand::TogglePause);
                }
            }
            Command::MoreWorkers => return Action::Demo(DemoCommand::MoreWorkers),
            Command::FewerWorkers => return Action::Demo(DemoCommand::FewerWorkers),
            Command::NextMode => return Action::Demo(DemoCommand::NextMode),
            Command::Restart | Command::ToggleKind if self.runs_compare() => {
                if let Some(mut plan) = self.compare_plan() {
                    if command == Command::ToggleKind {
                        plan.kind = match plan.kind {
                            Kind::Cpu => Kind::Io,
                            Kind::Io => Kind::Cpu,
                        };
                    }
                    return Action::Compare(plan);
                }
            }
            Command::Restart if self.python_step().is_some() => {
                if let Some(play) = self.python_step() {
                    return Action::Start(Box::new(play));
                }
            }
            Command::Restart => return Action::Demo(DemoCommand::Restart),
            Command::Slower => return Action::Demo(DemoCommand::Slower),
            Command::Faster => return Action::Demo(DemoCommand::Faster),
            Command::FocusNext => {
                self.focus = match self.focus {
                    Panel::Threads => Panel::Processes,
                    Panel::Processes | Panel::Picker | Panel::ProcessList => Panel::Threads,
                };
            }
            Command::Up => self.scroll_focused(-1),
            Command::Down => self.scroll_focused(1),
            Command::PageUp => self.scroll_focused(-(PAGE_ROWS as isize)),
            Command::PageDown => self.scroll_focused(PAGE_ROWS as isize),
            Command::Top => self.scroll_focused(isize::MIN),
            Command::Bottom => self.scroll_focused(isize::MAX),
            Command::SortNext => {
                let at = SORT_CYCLE
                    .iter()
                    .position(|c| *c == self.sort.column)
                    .unwrap_or(0);
                let column = SORT_CYCLE[(at + 1) % SORT_CYCLE.len()];
                self.sort = ThreadSort {
                    column,
                    descending: thread_view::descending_first(column),
                };
            }
            Command::SortReverse => self.sort.descending = !self.sort.descending,
            Command::SortMenu | Command::Filter | Command::TreeView => self.table_command(command),
            Command::ResetPeaks => return Action::ResetPeaks,
            Command::Signal | Command::LongerInterval | Command::ShorterInterval => {
                return self.control(command);
            }
            Command::Start | Command::ToggleKind => {}
            Command::Back => return self.back(),
            Command::NextStep | Command::PreviousStep => {
                let by = if command == Command::NextStep { 1 } else { -1 };
                if let Some(play) = self.picker.as_mut().and_then(|p| p.step(by)) {
                    return Action::Start(Box::new(play));
                }
                // Nothing past either end: say so, rather than nothing.
                self.notice = Some(if by > 0 {
                    "this is the last step of the lesson (p: previous, b: back to the lessons)"
                } else {
                    "this is the first step of the lesson (n: next)"
                });
            }
        }
        Action::Redraw
    }

    /// The controls of a watched program: `k` opens the signal dialog on
    /// the selected thread's process; `[` and `]` step the interval.
    fn control(&mut self, command: Command) -> Action {
        if command == Command::Signal {
            let target = self.visible_model().latest().map(|s| &s.target);
            self.signal_dialog =
                target.and_then(|target| SignalDialog::open(target, self.selected_tid));
            if self.signal_dialog.is_none() {
                self.notice = Some("nothing to signal: no process of the tree is alive");
            }
            return Action::Redraw;
        }
        let longer = command == Command::LongerInterval;
        self.interval = crate::sampling_interval::step(self.interval, longer);
        Action::Interval(self.interval)
    }

    /// What the navigation keys do in the picker: move its cursor, and Enter
    /// starts the entry. Other keys act as anywhere else (`None`).
    fn picker_key(&mut self, command: Command) -> Option<Action> {
        let picker = self.picker.as_mut()?;
        let by = match command {
            Command::Up => -1,
            Command::Down => 1,
            Command::PageUp => -(PAGE_ROWS as isize),
            Command::PageDown => PAGE_ROWS as isize,
            Command::Top => isize::MIN,
            Command::Bottom => isize::MAX,
            Command::Start => return picker.start().map(|play| Action::Start(Box::new(play))),
            _ => return None,
        };
        picker.move_by(by);
        Some(Action::Redraw)
    }

    /// Back to the process list, or to the picker (the demo stops).
    fn back(&mut self) -> Action {
        if let Some(list) = &mut self.processes {
            list.back();
            // The list shows no process's figures, and the next one
            // watched starts a history of its own.
            self.model = Model::new();
            self.frozen = None;
            return Action::ListProcesses;
        }
        if let Some(picker) = &mut self.picker {
            picker.back();
            return Action::StopDemo;
        }
        Action::Redraw
    }

    /// What the navigation keys do in the process list: move its cursor,
    /// and Enter watches the process under it, a new run with a history of
    /// its own. Other keys act as anywhere else (`None`).
    fn list_key(&mut self, command: Command) -> Option<Action> {
        let list = self.processes.as_mut()?;
        let by = match command {
            Command::Up => -1,
            Command::Down => 1,
            Command::PageUp => -(PAGE_ROWS as isize),
            Command::PageDown => PAGE_ROWS as isize,
            Command::Top => isize::MIN,
            Command::Bottom => isize::MAX,
            Command::Start => {
                let pid = list.choose()?;
                self.model = Model::new();
                self.frozen = None;
                self.selected_tid = None;
                self.tree_offset = 0;
                return Some(Action::WatchProcess(pid));
            }
            _ => return None,
        };
        list.move_by(by);
        Some(Action::Redraw)
    }

    /// Answers the mouse: a click focuses the panel under it and selects the
    /// thread or picker entry there (a click on the selected entry starts
    /// it), a click on a key hint does what the key does, the wheel scrolls
    /// the panel under the pointer. Any click closes the help.
    pub fn handle_mouse(&mut self, mouse: &MouseEvent) -> Action {
        let (column, row) = (mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) if self.help_visible => {
                self.help_visible = false;
                Action::Redraw
            }
            // The dialog answers keys only; a click elsewhere would act
            // behind it.
            _ if self.signal_dialog.is_some() => Action::None,
            MouseEventKind::Down(MouseButton::Left) if self.sort_menu.is_some() => {
                self.sort_menu = None;
                if let Some(Target::SortEntry(column)) = self.hits.at(column, row) {
                    self.sort_by(column);
                }
                Action::Redraw
            }
            MouseEventKind::Down(MouseButton::Left) => self.click(column, row),
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown if !self.help_visible => {
                let by = if mouse.kind == MouseEventKind::ScrollUp {
                    -WHEEL_ROWS
                } else {
                    WHEEL_ROWS
                };
                match self.hits.panel_at(column, row) {
                    Some(Panel::Threads) => self.move_selection(by),
                    Some(Panel::Processes) => self.scroll_tree(by),
                    Some(Panel::Picker) => self.picker_scroll(by.signum()),
                    Some(Panel::ProcessList) => {
                        if let Some(list) = &mut self.processes {
                            list.move_by(by);
                        }
                    }
                    None => return Action::None,
                }
                Action::Redraw
            }
            _ => Action::None,
        }
    }

    fn click(&mut self, column: u16, row: u16) -> Action {
        let Some(target) = self.hits.at(column, row) else {
            return Action::None;
        };
        if let Some(panel) = self.hits.panel_at(column, row) {
            self.focus = panel;
        }
        match target {
            Target::Panel(_) | Target::SortEntry(_) => {}
            Target::Thread(tid) => self.selected_tid = Some(tid),
            Target::PickerEntry(index) => {
                if let Some(picker) = &mut self.picker {
                    if picker.selected() == index {
                        return self.perform(Command::Start);
                    }
                    picker.select(index);
                }
            }
            Target::ProcessRow(pid) => {
                if let Some(list) = &mut self.processes {
                    if list.selected_pid() == Some(pid) {
                        return self.perform(Command::Start);
                    }
                    list.select_pid(pid);
                }
            }
            Target::Hint(command) => return self.perform(command),
            Target::Header(column) => self.sort_by(column),
        }
        Action::Redraw
    }

    /// The arrows' work: the thread selection, or the process tree's scroll
    /// when it has the focus.
    fn scroll_focused(&mut self, by: isize) {
        match self.focus {
            Panel::Processes if self.hits.shows(Panel::Processes) => self.scroll_tree(by),
            _ => self.move_selection(by),
        }
    }

    fn scroll_tree(&mut self, by: isize) {
        self.tree_offset = self
            .tree_offset
            .saturating_add_signed(by)
            .min(self.hits.tree_scroll_max());
    }

    fn picker_scroll(&mut self, by: isize) {
        if let Some(picker) = &mut self.picker {
            picker.move_by(by);
        }
    }

    /// Keeps what the frame just drawn put where, for the mouse.
    pub fn set_hits(&mut self, hits: Hits) {
        self.hits = hits;
    }

    /// The panel the arrows act on.
    #[must_use]
    pub const fn focus(&self) -> Panel {
        self.focus
    }

    /// The first row of the process tree to show.
    #[must_use]
    pub const fn tree_offset(&self) -> usize {
        self.tree_offset
    }

    /// Whether a command means anything now: demo keys while a demo runs,
    /// the picker's in the picker, a lesson's in a lesson.
    fn applies(&self, command: Command) -> bool {
        match command {
            // A comparison reruns, with the same or the other kind of task.
            Command::Restart | Command::ToggleKind if self.runs_compare() => {
                return !self.picking();
            }
            // A lesson step's Python program runs again from its start.
            Command::Restart if self.python_step().is_some() => return !self.picking(),
            Command::ToggleKind => return false,
            // Thread-table keys where there is a thread table: the picker
            // and the compare screen have none (the picker's arrows move
            // its own cursor).
            Command::SortNext
            | Command::SortReverse
            | Command::SortMenu
            | Command::Filter
            | Command::TreeView
                if self.picking() =>
            {
                return false;
            }
            // The list has its cursor, Enter, and the general keys; nothing
            // of a watched tree applies to it.
            _ if self.listing() => {
                return matches!(
                    command,
                    Command::Quit
                        | Command::Help
                        | Command::Suspend
                        | Command::Up
                        | Command::Down
                        | Command::PageUp
                        | Command::PageDown
                        | Command::Top
                        | Command::Bottom
                        | Command::Start
                );
            }
            Command::Back if self.processes.is_some() => return true,
            _ if command.section() == THREAD_SECTION && self.runs_compare() => return false,
            _ => {}
        }
        match command.section() {
            // A replayed demo is a film of one: nothing steers it.
            DEMO_SECTION => self.runs_demo() && !self.picking() && self.replay.is_none(),
            REPLAY_SECTION => self.replay.is_some(),
            PICKER_SECTION => self.picking(),
            // A recording's peaks are what was recorded.
            _ if command == Command::ResetPeaks => self.replay.is_none() && !self.picking(),
            // A replay's interval is the recording's.
            _ if matches!(command, Command::LongerInterval | Command::ShorterInterval) => {
                self.replay.is_none() && !self.picking()
            }
            // Signals go to a watched program, never to a demo (corescope's
            // own threads) nor to what a recording shows.
            _ if command == Command::Signal => {
                self.replay.is_none()
                    && !self.picking()
                    && !self.runs_demo()
                    && !self.runs_compare()
            }
            _ if command == Command::FocusNext => {
                !self.picking() && self.hits.shows(Panel::Processes)
            }
            LESSON_SECTION if command == Command::Back => self.picker.is_some() && !self.picking(),
            LESSON_SECTION => self
                .picker
                .as_ref()
                .is_some_and(|p| p.current_step().is_some()),
            _ => true,
        }
    }

    /// True when corescope runs a demo the keys may steer (its snapshots
    /// carry one, outside a comparison, whose modes run as planned).
    #[must_use]
    pub fn runs_demo(&self) -> bool {
        self.model
            .latest()
            .is_some_and(|s| s.demo.is_some() && s.compare.is_none())
    }

    /// The comparison's workload, while one is shown.
    fn compare_plan(&self) -> Option<ComparePlan> {
        Some(self.model.latest()?.compare.as_ref()?.plan)
    }

    /// A line for the user about the last key (`n` on the last step of a
    /// lesson), shown until the next key.
    #[must_use]
    pub const fn notice(&self) -> Option<&'static str> {
        self.notice
    }

    /// Where the help lists `command` now, and what it says it does there:
    /// the arrows move the picker's cursor in the picker, `r` reruns a
    /// comparison.
    #[must_use]
    pub fn help_entry(&self, command: Command) -> (&'static str, &'static str) {
        let picking = self.picking();
        let comparing = self.runs_compare();
        let listing = self.listing();
        match command {
            Command::Up if listing => (PROCESS_LIST_SECTION, "select the process above"),
            Command::Down if listing => (PROCESS_LIST_SECTION, "select the process below"),
            Command::PageUp if listing => (PROCESS_LIST_SECTION, "ten processes up"),
            Command::PageDown if listing => (PROCESS_LIST_SECTION, "ten processes down"),
            Command::Top if listing => (PROCESS_LIST_SECTION, "first process"),
            Command::Bottom if listing => (PROCESS_LIST_SECTION, "last process"),
            Command::Start if listing => (
                PROCESS_LIST_SECTION,
                "watch the selected process (type to filter; Esc clears)",
            ),
            Command::Back if self.processes.is_some() => {
                (PROCESS_LIST_SECTION, "back to the process list")
            }
            Command::Up if picking => (PICKER_SECTION, "select the entry above"),
            Command::Down if picking => (PICKER_SECTION, "select the entry below"),
            Command::PageUp if picking => (PICKER_SECTION, "ten entries up"),
            Command::PageDown if picking => (PICKER_SECTION, "ten entries down"),
            Command::Top if picking => (PICKER_SECTION, "first entry"),
            Command::Bottom if picking => (PICKER_SECTION, "last entry"),
            Command::Restart if comparing => (COMPARE_SECTION, "run the comparison again"),
            Command::Restart if self.python_step().is_some() => {
                (LESSON_SECTION, "run the step's Python program again")
            }
            Command::ToggleKind => (COMPARE_SECTION, command.description()),
            _ => (command.section(), command.description()),
        }
    }

    /// The word the footer shows for `command` now: Enter watches in the
    /// process list.
    #[must_use]
    pub fn hint(&self, command: Command) -> Option<&'static str> {
        match command {
            Command::Start if self.listing() => Some("watch"),
            _ => command.hint(),
        }
    }

    /// What the lesson step under way runs, when it is a Python program.
    fn python_step(&self) -> Option<Play> {
        let (_, _, _, step) = self.picker.as_ref()?.current_step()?;
        matches!(step.play, Play::Python(_)).then(|| step.play.clone())
    }

    /// True when corescope runs a comparison.
    #[must_use]
    pub fn runs_compare(&self) -> bool {
        self.model.latest().is_some_and(|s| s.compare.is_some())
    }

    /// The commands that apply now and have a key, in key-table order: the
    /// demo's only while a demo runs, the picker's in the picker, a lesson's
    /// in a lesson. The footer and the help overlay show exactly these.
    pub fn active_commands(&self) -> impl Iterator<Item = Command> + '_ {
        self.keymap
            .bindings()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(command, _)| command)
            .filter(move |command| self.applies(*command))
    }

    /// The model to draw: the frozen one while paused, else the live one.
    #[must_use]
    pub fn visible_model(&self) -> &Model {
        self.frozen.as_ref().unwrap_or(&self.model)
    }

    /// True while the display is frozen, or the replay paused.
    #[must_use]
    pub fn paused(&self) -> bool {
        self.frozen.is_some() || self.replay.as_ref().is_some_and(|r| r.paused)
    }

    /// The `k` dialog, while open.
    #[must_use]
    pub const fn signal_dialog(&self) -> Option<&SignalDialog> {
        self.signal_dialog.as_ref()
    }

    /// Shows what became of the signal the dialog asked for, in `lines`
    /// (see [`crate::signal_send::describe`]).
    pub fn signal_sent(&mut self, lines: Vec<String>) -> Action {
        if let Some(dialog) = &mut self.signal_dialog {
            dialog.show_result(lines);
        }
        Action::Redraw
    }

    /// The help's first line shown (it scrolls when too long).
    #[must_use]
    pub const fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    /// True while the help overlay is shown.
    #[must_use]
    pub const fn help_visible(&self) -> bool {
        self.help_visible
    }

    /// The key table, for the footer and the help overlay.
    #[must_use]
    pub const fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// The colours to draw with.
    #[must_use]
    pub const fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The thread table's order.
    #[must_use]
    pub(crate) const fn sort(&self) -> ThreadSort {
        self.sort
    }

    /// How the thread table is to look: its order, its filter, flat or
    /// nested.
    #[must_use]
    pub(crate) fn table_choice(&self) -> TableChoice<'_> {
        TableChoice {
            sort: self.sort,
            filter: &self.thread_filter,
            tree: self.tree_view,
        }
    }

    /// The process tree's filter; empty keeps every process.
    #[must_use]
    pub fn tree_filter(&self) -> &str {
        &self.tree_filter
    }

    /// The panel whose filter prompt is open, if any.
    #[must_use]
    pub const fn prompt(&self) -> Option<Panel> {
        self.prompt
    }

    /// The sort menu's cursor (an index into the sortable columns) while it
    /// is open.
    #[must_use]
    pub const fn sort_menu(&self) -> Option<usize> {
        self.sort_menu
    }

    /// The selected thread, if any.
    #[must_use]
    pub const fn selected_tid(&self) -> Option<i32> {
        self.selected_tid
    }

    /// The sampling interval.
    #[must_use]
    pub const fn interval(&self) -> Duration {
        self.interval
    }

    fn move_selection(&mut self, by: isize) {
        let Some(snapshot) = self.visible_model().latest() else {
            return;
        };
        let order = thread_view::shown_threads(snapshot, self.table_choice());
        let Some(last) = order.len().checked_sub(1) else {
            return;
        };
        let at = self
            .selected_tid
            .and_then(|tid| order.iter().position(|t| t.tid == tid));
        let next = match at {
            None if by < 0 => last,
            None => 0,
            Some(i) => i.saturating_add_signed(by).min(last),
        };
        self.selected_tid = Some(order[next].tid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RingBuffer;
    use crate::model::fixtures::{snapshot, thread};
    use crate::thread_view::sorted_threads;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn app_with_threads() -> App {
        let mut app = App::new(Duration::from_millis(500));
        let mut slow = thread(30, "slow", 1.0, 'S');
        slow.cpu_pct = None;
        app.ingest(Arc::new(snapshot(
            0,
            [10.0, 20.0],
            vec![
                thread(10, "worker-a", 90.0, 'R'),
                slow,
                thread(20, "worker-b", 40.0, 'R'),
            ],
        )));
        app
    }

    #[test]
    fn quit_and_suspend_are_actions_for_the_loop() {
        let mut app = app_with_threads();
        assert_eq!(app.handle_key(&key('q')), Action::Quit);
        let ctrl_z = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(&ctrl_z), Action::Suspend);
        assert_eq!(
            app.handle_key(&key('x')),
            Action::None,
            "unbound keys do nothing"
        );
    }

    #[test]
    fn any_key_closes_help_but_ctrl_c_still_quits() {
        let mut app = app_with_threads();
        assert_eq!(app.handle_key(&key('?')), Action::Redraw);
        assert!(app.help_visible());
        assert_eq!(app.handle_key(&key('q')), Action::Redraw);
        assert!(!app.help_visible(), "q closes help first");
        app.handle_key(&key('?'));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(&ctrl_c), Action::Quit);
    }

    #[test]
    fn zero_starts_the_peaks_over_live_but_not_in_a_replay() {
        let mut app = App::new(Duration::from_millis(500));
        let zero = KeyEvent::new(KeyCode::Char('0'), KeyModifiers::NONE);
        assert_eq!(app.handle_key(&zero), Action::ResetPeaks);
        assert!(app.active_commands().any(|c| c == Command::ResetPeaks));
        let replay = Replay {
            length: Duration::from_secs(3),
            last_seq: 5,
            paused: false,
        };
        let mut replaying = App::for_replay(Duration::from_millis(500), replay);
        assert_eq!(replaying.handle_key(&zero), Action::None);
    }

    #[test]
    fn k_and_the_interval_keys_do_nothing_in_a_replay_or_a_demo() {
        let mut replaying = replaying_a_demo();
        for c in ['k', '[', ']'] {
            assert_eq!(
                replaying.handle_key(&key(c)),
                Action::None,
                "{c} in a replay"
            );
        }
        let mut demo = App::new(Duration::from_millis(500));
        demo.ingest(Arc::new(crate::model::fixtures::demo_snapshot(3)));
        assert_eq!(demo.handle_key(&key('k')), Action::None, "k in a demo");
        assert!(demo.signal_dialog().is_none());
        assert!(!demo.active_commands().any(|c| c == Command::Signal));
        assert_eq!(
            demo.handle_key(&key(']')),
            Action::Interval(Duration::from_millis(200)),
            "a live demo's sampling may change"
        );
        let watching = app_with_threads();
        let shown: Vec<Command> = watching.active_commands().collect();
        for command in [
            Command::Signal,
            Command::LongerInterval,
            Command::ShorterInterval,
            Command::ResetPeaks,
        ] {
            assert!(shown.contains(&command), "{command:?} on the watch screen");
        }
    }

    #[test]
    fn the_dialog_takes_the_keys_until_closed_and_ctrl_c_still_quits() {
        let mut app = app_with_threads();
        assert_eq!(app.handle_key(&key('k')), Action::Redraw);
        assert!(app.signal_dialog().is_some());
        assert_eq!(
            app.handle_key(&key('q')),
            Action::Redraw,
            "q is no quit here"
        );
        assert_eq!(app.handle_key(&key('j')), Action::Redraw);
        assert_eq!(
            app.selected_tid(),
            None,
            "the table does not move behind it"
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(&ctrl_c), Action::Quit);
        let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(app.handle_key(&esc), Action::Redraw);
        assert!(
            app.signal_dialog().is_none(),
            "Esc closes the dialog, not corescope"
        );
    }

    #[test]
    fn pause_freezes_the_screen_while_history_keeps_growing() {
        let mut app = app_with_threads();
        app.handle_key(&key(' '));
        assert!(app.paused());
        let action = app.ingest(Arc::new(snapshot(1, [99.0, 99.0], vec![])));
        assert_eq!(action, Action::None, "no redraw while paused");
        assert_eq!(app.visible_model().latest().map(|s| s.seq), Some(0));
        app.handle_key(&key(' '));
        assert_eq!(app.visible_model().latest().map(|s| s.seq), Some(1));
        assert_eq!(
            app.visible_model().core_history(0).map(RingBuffer::len),
            Some(2)
        );
    }

    #[test]
    fn default_order_is_busiest_first_with_unknown_last() {
        let app = app_with_threads();
        let snap = app.visible_model().latest().expect("snapshot");
        let tids: Vec<i32> = sorted_threads(snap, app.sort())
            .iter()
            .map(|t| t.tid)
            .collect();
        assert_eq!(tids, [10, 20, 30]);
        let ascending = ThreadSort {
            column: ThreadColumn::CpuPct,
            descending: false,
        };
        let tids: Vec<i32> = sorted_threads(snap, ascending)
            .iter()
            .map(|t| t.tid)
            .collect();
        assert_eq!(tids, [20, 10, 30], "unknown stays last when reversed");
    }

    #[test]
    fn selection_follows_the_sorted_rows_and_stops_at_the_ends() {
        let mut app = app_with_threads();
        app.handle_key(&key('j'));
        assert_eq!(app.selected_tid(), Some(10));
        app.handle_key(&key('j'));
        assert_eq!(app.selected_tid(), Some(20));
        app.handle_key(&key('G'));
        assert_eq!(app.selected_tid(), Some(30));
        app.handle_key(&key('j'));
        assert_eq!(app.selected_tid(), Some(30));
        app.handle_key(&key('g'));
        assert_eq!(app.selected_tid(), Some(10));
    }

    #[test]
    fn sort_key_cycles_columns_and_i_reverses() {
        let mut app = app_with_threads();
        app.handle_key(&key('s'));
        assert_eq!(app.sort().column, ThreadColumn::RunqWait);
        let before = app.sort().descending;
        app.handle_key(&key('I'));
        assert_eq!(app.sort().descending, !before);
        for _ in 0..SORT_CYCLE.len() - 1 {
            app.handle_key(&key('s'));
        }
        assert_eq!(
            app.sort().column,
            ThreadColumn::CpuPct,
            "cycle wraps around"
        );
    }

    fn replaying_a_demo() -> App {
        let mut app = App::for_replay(
            Duration::from_millis(500),
            Replay {
                length: Duration::from_secs(30),
                last_seq: 60,
                paused: false,
            },
        );
        app.ingest(Arc::new(crate::model::fixtures::demo_snapshot(3)));
        app
    }

    #[test]
    fn a_replay_pauses_and_seeks_at_its_player_and_steers_no_demo() {
        let mut app = replaying_a_demo();
        assert!(app.runs_demo(), "the replayed snapshots carry a demo");
        for demo_key in ['+', '-', 'm', 'r'] {
            assert_eq!(app.handle_key(&key(demo_key)), Action::None, "{demo_key}");
        }
        // A replay's speed is its player's: `<` is htop's sort menu there.
        assert_eq!(app.handle_key(&key('<')), Action::Redraw);
        assert!(app.sort_menu().is_some(), "< opens the sort menu");
        app.handle_key(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        assert!(app.sort_menu().is_none());
        assert_eq!(
            app.handle_key(&key(' ')),
            Action::Replay(ReplayCommand::TogglePause)
        );
        assert!(app.paused());
        assert_eq!(
            app.handle_key(&KeyEvent::new(KeyCode::Left, KeyModifiers::NONE)),
            Action::Replay(ReplayCommand::Back)
        );
        assert_eq!(
            app.handle_key(&key('l')),
            Action::Replay(ReplayCommand::Ahead)
        );
        assert_eq!(
            app.handle_key(&key(' ')),
            Action::Replay(ReplayCommand::TogglePause)
        );
        assert!(!app.paused());
        let shown: Vec<Command> = app.active_commands().collect();
        assert!(shown.contains(&Command::SeekBack) && !shown.contains(&Command::MoreWorkers));
    }

    #[test]
    fn a_demo_keeps_its_speed_keys_and_a_watch_sorts_with_them() {
        let mut demo = App::new(Duration::from_millis(500));
        demo.ingest(Arc::new(crate::model::fixtures::demo_snapshot(3)));
        assert_eq!(
            demo.handle_key(&key('<')),
            Action::Demo(DemoCommand::Slower)
        );
        assert_eq!(
            demo.handle_key(&key('>')),
            Action::Demo(DemoCommand::Faster)
        );
        assert_eq!(
            demo.keys_label(Command::SortMenu),
            "F6",
            "the help of a demo"
        );
        let mut watch = app_with_threads();
        assert_eq!(watch.handle_key(&key('>')), Action::Redraw);
        assert!(
            watch.sort_menu().is_some(),
            "> opens the sort menu, as in htop"
        );
        assert_eq!(watch.keys_label(Command::SortMenu), "F6/</>");
    }

    #[test]
    fn seek_keys_mean_nothing_live() {
        let mut app = app_with_threads();
        assert_eq!(app.handle_key(&key('h')), Action::None);
        assert!(!app.active_commands().any(|c| c == Command::SeekAhead));
    }

    #[test]
    fn a_rewind_starts_the_history_over() {
        let mut app = replaying_a_demo();
        let history: Vec<Arc<Snapshot>> = (10..13)
            .map(|seq| Arc::new(crate::model::fixtures::demo_snapshot(seq)))
            .collect();
        assert_eq!(app.rewind(history), Action::Redraw);
        let model = app.visible_model();
        assert_eq!(model.latest().map(|s| s.seq), Some(12));
        assert_eq!(model.core_history(0).map(RingBuffer::len), Some(3));
        assert_eq!(model.missed_ticks(), 0, "a seek is no gap");
    }

    fn comparing() -> App {
        use crate::snapshot::compare::CompareSample;
        let mut app = App::new(Duration::from_millis(200));
        let mut snap = snapshot(0, [90.0, 90.0], vec![thread(10, "worker-0", 90.0, 'R')]);
        snap.compare = Some(CompareSample {
            plan: ComparePlan {
                kind: Kind::Cpu,
                workers: 2,
                tasks: 4,
                work_ms: 100,
            },
            rows: Vec::new(),
            running: Some(crate::snapshot::compare::CompareMode::Threads),
            error: None,
        });
        app.ingest(Arc::new(snap));
        app
    }

    #[test]
    fn r_reruns_a_comparison_and_c_switches_its_kind() {
        let mut app = comparing();
        let Action::Compare(plan) = app.handle_key(&key('r')) else {
            panic!("r should rerun the comparison");
        };
        assert_eq!(plan.kind, Kind::Cpu, "r keeps the kind");
        let Action::Compare(plan) = app.handle_key(&key('c')) else {
            panic!("c should rerun the comparison with the other kind");
        };
        assert_eq!((plan.kind, plan.workers, plan.tasks), (Kind::Io, 2, 4));
    }

    #[test]
    fn a_comparison_offers_no_thread_table_keys_and_a_demo_no_kind_switch() {
        let app = comparing();
        let active: Vec<Command> = app.active_commands().collect();
        for command in [
            Command::SortNext,
            Command::SortReverse,
            Command::Down,
            Command::FocusNext,
        ] {
            assert!(
                !active.contains(&command),
                "{command:?} does nothing on the compare screen: {active:?}"
            );
        }
        assert!(active.contains(&Command::Restart) && active.contains(&Command::ToggleKind));
        assert_eq!(
            app.help_entry(Command::Restart).1,
            "run the comparison again"
        );
        let watching = app_with_threads();
        assert!(!watching.active_commands().any(|c| c == Command::ToggleKind));
    }

    #[test]
    fn the_pickers_help_speaks_of_entries_not_threads() {
        let app = App::with_picker(
            Duration::from_millis(500),
            Picker::new(crate::lesson::built_in().expect("lessons")),
        );
        let (section, description) = app.help_entry(Command::Up);
        assert_eq!(
            (section, description),
            (PICKER_SECTION, "select the entry above")
        );
        assert!(!app.active_commands().any(|c| c == Command::SortNext));
        for command in app.active_commands() {
            assert!(
                !app.help_entry(command).1.contains("thread"),
                "{command:?} says `{}` in the picker",
                app.help_entry(command).1
            );
        }
    }

    #[test]
    fn r_runs_a_python_steps_program_again_and_says_so_in_the_help() {
        let mut picker = Picker::new(crate::lesson::built_in().expect("lessons"));
        picker.start().expect("lesson");
        let python = loop {
            match picker.step(1) {
                Some(play @ Play::Python(_)) => break play,
                Some(Play::Demo(_)) => {}
                None => panic!("the default lesson has a Python step"),
            }
        };
        let mut app = App::with_picker(Duration::from_millis(500), picker);
        app.ingest(Arc::new(crate::model::fixtures::snapshot(
            0,
            [0.0, 0.0],
            Vec::new(),
        )));
        assert!(app.active_commands().any(|c| c == Command::Restart));
        assert_eq!(
            app.help_entry(Command::Restart),
            (LESSON_SECTION, "run the step's Python program again")
        );
        assert_eq!(app.handle_key(&key('r')), Action::Start(Box::new(python)));
    }

    #[test]
    fn n_on_the_last_step_says_it_is_the_last() {
        let mut picker = Picker::new(crate::lesson::built_in().expect("lessons"));
        picker.start().expect("lesson");
        picker.step(isize::MAX).expect("last step");
        let mut app = App::with_picker(Duration::from_millis(500), picker);
        app.ingest(Arc::new(crate::model::fixtures::demo_snapshot(0)));
        assert_eq!(app.handle_key(&key('n')), Action::Redraw);
        assert!(
            app.notice().is_some_and(|n| n.contains("last step")),
            "{:?}",
            app.notice()
        );
        app.handle_key(&key('?'));
        assert_eq!(app.notice(), None, "the next key clears the notice");
    }
}
