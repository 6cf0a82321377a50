//! Key bindings: one table drives dispatch, the footer hints and the help
//! overlay, so the help can never describe a key that does something else.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Something the user can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Leave corescope.
    Quit,
    /// Show or hide the key list.
    Help,
    /// Freeze or unfreeze the display.
    Pause,
    /// Stop corescope like a shell job (`fg` resumes it).
    Suspend,
    /// Move the keyboard focus to the next panel.
    FocusNext,
    /// Select the row above.
    Up,
    /// Select the row below.
    Down,
    /// Move the selection a page up.
    PageUp,
    /// Move the selection a page down.
    PageDown,
    /// Select the first row.
    Top,
    /// Select the last row.
    Bottom,
    /// Sort the thread table by the next column.
    SortNext,
    /// Reverse the sort order.
    SortReverse,
    /// Open the menu of the columns to sort the thread table by.
    SortMenu,
    /// Filter the focused panel (thread table or process tree) as you type.
    Filter,
    /// Nest the threads under their processes in the thread table, or not.
    TreeView,
    /// One more demo worker.
    MoreWorkers,
    /// One fewer demo worker.
    FewerWorkers,
    /// Restart the demo in its next mode.
    NextMode,
    /// Restart the demo.
    Restart,
    /// A comparison: run it again with the other kind of task (cpu or io).
    ToggleKind,
    /// Slow motion: twice as slow.
    Slower,
    /// Twice as fast (up to real time).
    Faster,
    /// Start the lesson or demo chosen in the picker.
    Start,
    /// Back to the picker.
    Back,
    /// The lesson's next step.
    NextStep,
    /// The lesson's previous step.
    PreviousStep,
    /// A replay: back a few seconds.
    SeekBack,
    /// A replay: ahead a few seconds.
    SeekAhead,
    /// Start the peaks (threads, processes) over, as a new run.
    ResetPeaks,
    /// Send a signal to the selected thread's process or the whole tree.
    Signal,
    /// Sample less often: the next longer interval.
    LongerInterval,
    /// Sample more often: the next shorter interval.
    ShorterInterval,
}

impl Command {
    /// What the command does, as the help overlay says it.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Help => "show or hide this help",
            Self::Pause => "pause or resume the display",
            Self::Suspend => "suspend to the shell (fg resumes)",
            Self::FocusNext => "focus the next panel (thread table, process tree)",
            Self::Up => "select the thread above",
            Self::Down => "select the thread below",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::Top => "first thread",
            Self::Bottom => "last thread",
            Self::SortNext => "sort threads by the next column",
            Self::SortReverse => "reverse the sort order",
            Self::SortMenu => "sort threads by a column, from a menu",
            Self::Filter => "filter the focused panel by name, id, state or lock",
            Self::TreeView => "threads under their processes, or flat",
            Self::MoreWorkers => "one more worker",
            Self::FewerWorkers => "one fewer worker",
            Self::NextMode => "next mode (threads, gil, processes, async)",
            Self::Restart => "restart the demo",
            Self::ToggleKind => "run again with the other kind of task (cpu or io)",
            Self::Slower => "slow motion: twice as slow",
            Self::Faster => "twice as fast (up to real time)",
            Self::Start => "start the chosen lesson or demo",
            Self::Back => "back to the lessons and demos",
            Self::NextStep => "next step of the lesson",
            Self::PreviousStep => "previous step of the lesson",
            Self::SeekBack => "replay: back 5 seconds",
            Self::SeekAhead => "replay: ahead 5 seconds",
            Self::ResetPeaks => "start the peaks over (threads, processes)",
            Self::Signal => "send a signal (the thread's process or the tree)",
            Self::LongerInterval => "sample less often (up to every 10 s)",
            Self::ShorterInterval => "sample more often (down to every 50 ms)",
        }
    }

    /// The command's name in the config file's `[keys]` table: `quit`,
    /// `more_workers`. Stable: users' files depend on it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Help => "help",
            Self::Pause => "pause",
            Self::Suspend => "suspend",
            Self::FocusNext => "focus_next",
            Self::Up => "up",
            Self::Down => "down",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::SortNext => "sort_next",
            Self::SortReverse => "sort_reverse",
            Self::SortMenu => "sort_menu",
            Self::Filter => "filter",
            Self::TreeView => "tree_view",
            Self::MoreWorkers => "more_workers",
            Self::FewerWorkers => "fewer_workers",
            Self::NextMode => "next_mode",
            Self::Restart => "restart",
            Self::ToggleKind => "toggle_kind",
            Self::Slower => "slower",
            Self::Faster => "faster",
            Self::Start => "start",
            Self::Back => "back",
            Self::NextStep => "next_step",
            Self::PreviousStep => "previous_step",
            Self::SeekBack => "seek_back",
            Self::SeekAhead => "seek_ahead",
            Self::ResetPeaks => "reset_peaks",
            Self::Signal => "signal",
            Self::LongerInterval => "longer_interval",
            Self::ShorterInterval => "shorter_interval",
        }
    }

    /// The word shown in the footer, for the commands worth a footer slot.
    #[must_use]
    pub const fn hint(self) -> Option<&'static str> {
        match self {
            Self::Quit => Some("quit"),
            Self::Help => Some("help"),
            Self::Pause => Some("pause"),
            Self::Down => Some("select"),
            Self::SortNext => Some("sort"),
            Self::Filter => Some("filter"),
            Self::TreeView => Some("tree"),
            Self::Suspend => Some("suspend"),
            Self::FocusNext => Some("focus"),
            Self::MoreWorkers => Some("more"),
            Self::FewerWorkers => Some("fewer"),
            Self::NextMode => Some("mode"),
            Self::Restart => Some("restart"),
            Self::ToggleKind => Some("cpu/io"),
            Self::Slower => Some("slower"),
            Self::Faster => Some("faster"),
            Self::Start => Some("start"),
            Self::Back => Some("back"),
            Self::NextStep => Some("next"),
            Self::PreviousStep => Some("previous"),
            Self::SeekBack => Some("-5s"),
            Self::SeekAhead => Some("+5s"),
            Self::Signal => Some("signal"),
            _ => None,
        }
    }

    /// Where the command's hint stands in the footer, most needed first: when
    /// the width runs out, the last hints are the ones dropped.
    #[must_use]
    pub const fn hint_rank(self) -> u8 {
        match self {
            Self::Quit => 0,
            Self::Help => 1,
            Self::Start => 2,
            // A lesson's steps and a replay's seeks never show together.
            Self::NextStep | Self::SeekBack => 3,
            Self::PreviousStep | Self::SeekAhead => 4,
            Self::Back => 5,
            Self::Pause => 6,
            Self::MoreWorkers => 7,
            Self::FewerWorkers => 8,
            Self::NextMode => 9,
            Self::Restart | Self::ToggleKind => 10,
            Self::Slower => 11,
            Self::Faster => 12,
            Self::Down => 13,
            Self::SortNext => 14,
            Self::Suspend => 15,
            Self::FocusNext => 16,
            Self::Signal => 17,
            Self::Filter => 18,
            Self::TreeView => 19,
            _ => u8::MAX,
        }
    }

    /// True when `self` and `other` may be bound to the same key: htop's
    /// `<`/`>` open the sort menu, and a demo takes them for its speed (see
    /// [`Keymap::commands_for`]: the demo's command wins while it applies).
    #[must_use]
    pub const fn may_share_keys(self, other: Self) -> bool {
        matches!(
            (self, other),
            (Self::SortMenu, Self::Slower | Self::Faster)
                | (Self::Slower | Self::Faster, Self::SortMenu)
        )
    }

    /// The help overlay section the command belongs to.
    #[must_use]
    pub const fn section(self) -> &'static str {
        match self {
            Self::Quit
            | Self::Help
            | Self::Pause
            | Self::Suspend
            | Self::ResetPeaks
            | Self::LongerInterval
            | Self::ShorterInterval => "General",
            Self::FocusNext
            | Self::Up
            | Self::Down
            | Self::PageUp
            | Self::PageDown
            | Self::Top
            | Self::Bottom
            | Self::SortNext
            | Self::SortReverse
            | Self::Signal
            | Self::SortMenu
            | Self::Filter
            | Self::TreeView => THREAD_SECTION,
            Self::MoreWorkers
            | Self::FewerWorkers
            | Self::NextMode
            | Self::Restart
            | Self::ToggleKind
            | Self::Slower
            | Self::Faster => DEMO_SECTION,
            Self::Start => PICKER_SECTION,
            Self::Back | Self::NextStep | Self::PreviousStep => LESSON_SECTION,
            Self::SeekBack | Self::SeekAhead => REPLAY_SECTION,
        }
    }
}

/// The help section of the keys that steer a demo, shown only while one runs.
pub(crate) const DEMO_SECTION: &str = "Demo";
/// The help overlay's section for the thread table's keys.
pub(crate) const THREAD_SECTION: &str = "Thread table";
/// The help section of the picker's keys, shown only in the picker.
pub(crate) const PICKER_SECTION: &str = "Lessons and demos";
/// The help section of a lesson's keys, shown only while a lesson runs (and
/// `b` whenever there is a picker to go back to).
pub(crate) const LESSON_SECTION: &str = "Lesson";

/// The help section of the process list's keys (`watch` without a PID),
/// shown in the list, and `b` while a process chosen there is watched.
pub(crate) const PROCESS_LIST_SECTION: &str = "Process list";

/// The help section of a replay's keys, shown only in a replay.
pub(crate) const REPLAY_SECTION: &str = "Replay";

/// One key, with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl Key {
    /// A key pressed with `modifiers` (only Ctrl and Alt count: Shift is part of
    /// the character).
    #[must_use]
    pub const fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        Self { code, modifiers }
    }

    /// A key pressed alone.
    #[must_use]
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// A key pressed with Ctrl.
    #[must_use]
    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    /// The key's code.
    #[must_use]
    pub const fn code(self) -> KeyCode {
        self.code
    }

    /// Its modifiers (Ctrl, Alt).
    #[must_use]
    pub const fn modifiers(self) -> KeyModifiers {
        self.modifiers
    }

    /// True for a character typed alone (`j`, `G`), which a text field
    /// such as the process list's filter takes as text.
    #[must_use]
    pub fn types_text(self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// True when `event` is this key. Shift is part of the character itself
    /// (`G`, `?`), so it is ignored unless Ctrl or Alt is involved.
    fn matches(self, event: &KeyEvent) -> bool {
        let relevant = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.code == event.code && self.modifiers == relevant
    }

    /// The key as a person would write it: `q`, `space`, `Ctrl-C`, `F10`, `↑`.
    /// The config file's `[keys]` table reads keys written this way.
    #[must_use]
    pub fn label(self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "space".to_owned(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            other => format!("{other:?}"),
        };
        let ctrl = if self.modifiers.contains(KeyModifiers::CONTROL) {
            "Ctrl-"
        } else {
            ""
        };
        let alt = if self.modifiers.contains(KeyModifiers::ALT) {
            "Alt-"
        } else {
            ""
        };
        format!("{ctrl}{alt}{name}")
    }
}

/// The key table.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Command, Vec<Key>)>,
}

impl Default for Keymap {
    /// htop and btop habits: `q`/F10 quit, `?`/F1 help, arrows, `k`/F9
    /// to send a signal (so `k` is not up, as in htop and btop).
    fn default() -> Self {
        use KeyCode::{Char, Down, End, Esc, F, Home, PageDown, PageUp, Up};
        let p = Key::plain;
        Self {
            bindings: vec![
                (
                    Command::Quit,
                    vec![p(Char('q')), p(Esc), Key::ctrl('c'), p(F(10))],
                ),
                (Command::Help, vec![p(Char('?')), p(F(1))]),
                (Command::Pause, vec![p(Char(' ')), p(Char('Z'))]),
                (Command::Suspend, vec![Key::ctrl('z')]),
                (Command::FocusNext, vec![p(KeyCode::Tab)]),
                (Command::Up, vec![p(Up)]),
                (Command::Down, vec![p(Down), p(Char('j'))]),
                (Command::PageUp, vec![p(PageUp)]),
                (Command::PageDown, vec![p(PageDown)]),
                (Command::Top, vec![p(Home), p(Char('g'))]),
                (Command::Bottom, vec![p(End), p(Char('G'))]),
                (Command::SortNext, vec![p(Char('s'))]),
                (Command::SortReverse, vec![p(Char('I'))]),
                (Command::SortMenu, vec![p(F(6)), p(Char('<')), p(Char('>'))]),
                (Command::Filter, vec![p(Char('/')), p(F(4))]),
                (Command::TreeView, vec![p(Char('t')), p(F(5))]),
                (Command::MoreWorkers, vec![p(Char('+')), p(Char('='))]),
                (Command::FewerWorkers, vec![p(Char('-')), p(Char('_'))]),
                (Command::NextMode, vec![p(Char('m'))]),
                (Command::Restart, vec![p(Char('r'))]),
                (Command::ToggleKind, vec![p(Char('c'))]),
                (Command::Slower, vec![p(Char('<')), p(Char(','))]),
                (Command::Faster, vec![p(Char('>')), p(Char('.'))]),
                (Command::Start, vec![p(KeyCode::Enter)]),
                (Command::Back, vec![p(Char('b')), p(KeyCode::Backspace)]),
                (Command::NextStep, vec![p(Char('n'))]),
                (Command::PreviousStep, vec![p(Char('p'))]),
                (Command::SeekBack, vec![p(KeyCode::Left), p(Char('h'))]),
                (Command::SeekAhead, vec![p(KeyCode::Right), p(Char('l'))]),
                (Command::ResetPeaks, vec![p(Char('0'))]),
                (Command::Signal, vec![p(Char('k')), p(F(9))]),
                (Command::LongerInterval, vec![p(Char('['))]),
                (Command::ShorterInterval, vec![p(Char(']'))]),
            ],
        }
    }
}

impl Keymap {
    /// The command a key press asks for; key releases ask for nothing.
    #[must_use]
    pub fn command_for(&self, event: &KeyEvent) -> Option<Command> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        self.bindings
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| k.matches(event)))
            .map(|(command, _)| *command)
    }

    /// Every command a key press asks for, in table order: one, or two that
    /// [`Command::may_share_keys`], of which the caller takes the one that
    /// applies now. Key releases ask for nothing.
    pub fn commands_for<'a>(&'a self, event: &'a KeyEvent) -> impl Iterator<Item = Command> + 'a {
        self.bindings
            .iter()
            .filter(move |(_, keys)| {
                event.kind != KeyEventKind::Release && keys.iter().any(|k| k.matches(event))
            })
            .map(|(command, _)| *command)
    }

    /// Gives `command` exactly `keys` in place of the ones it had (none
    /// leaves it without a key). Whether a key is now bound twice is for the
    /// caller to check, with [`Keymap::commands_of`].
    pub fn rebind(&mut self, command: Command, keys: Vec<Key>) {
        match self.bindings.iter_mut().find(|(c, _)| *c == command) {
            Some((_, bound)) => *bound = keys,
            None => self.bindings.push((command, keys)),
        }
    }

    /// The commands `key` is bound to, in table order: one, or none, in a
    /// usable table.
    pub fn commands_of(&self, key: Key) -> impl Iterator<Item = Command> + '_ {
        self.bindings
            .iter()
            .filter(move |(_, keys)| keys.contains(&key))
            .map(|(command, _)| *command)
    }

    /// Every binding, in table order: (command, its keys).
    pub fn bindings(&self) -> impl Iterator<Item = (Command, &[Key])> {
        self.bindings.iter().map(|(c, keys)| (*c, keys.as_slice()))
    }

    /// The keys of one command, as a label like `q/Esc/Ctrl-C/F10`.
    #[must_use]
    pub fn keys_label(&self, command: Command) -> String {
        self.bindings
            .iter()
            .find(|(c, _)| *c == command)
            .map(|(_, keys)| keys.iter().map(|k| k.label()).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }

    /// The first key of a command, for the footer.
    #[must_use]
    pub fn first_key_label(&self, command: Command) -> Option<String> {
        self.bindings
            .iter()
            .find(|(c, _)| *c == command)
            .and_then(|(_, keys)| keys.first())
            .map(|k| k.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_quit_keys_of_the_contract_all_quit() {
        let keymap = Keymap::default();
        for event in [
            press(KeyCode::Char('q'), KeyModifiers::NONE),
            press(KeyCode::Esc, KeyModifiers::NONE),
            press(KeyCode::Char('c'), KeyModifiers::CONTROL),
            press(KeyCode::F(10), KeyModifiers::NONE),
        ] {
            assert_eq!(keymap.command_for(&event), Some(Command::Quit), "{event:?}");
        }
    }

    #[test]
    fn shifted_characters_match_without_naming_shift() {
        let keymap = Keymap::default();
        let question = press(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(keymap.command_for(&question), Some(Command::Help));
        let plain_c = press(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_ne!(
            keymap.command_for(&plain_c),
            Some(Command::Quit),
            "c alone is not Ctrl-C"
        );
    }

    #[test]
    fn releases_do_nothing() {
        let mut event = press(KeyCode::Char('q'), KeyModifiers::NONE);
        event.kind = KeyEventKind::Release;
        assert_eq!(Keymap::default().command_for(&event), None);
    }

    #[test]
    fn labels_read_like_a_manual() {
        let keymap = Keymap::default();
        assert_eq!(keymap.keys_label(Command::Quit), "q/Esc/Ctrl-C/F10");
        assert_eq!(keymap.keys_label(Command::Pause), "space/Z");
        assert_eq!(
            keymap.first_key_label(Command::Suspend).as_deref(),
            Some("Ctrl-Z")
        );
    }

    #[test]
    fn no_key_is_bound_twice_but_to_commands_that_share() {
        let keymap = Keymap::default();
        let keys: Vec<(Command, Key)> = keymap
            .bindings()
            .flat_map(|(c, k)| k.iter().map(move |k| (c, *k)))
            .collect();
        for (i, (a, key)) in keys.iter().enumerate() {
            for (b, other) in &keys[i + 1..] {
                assert!(
                    key != other || a.may_share_keys(*b),
                    "{} bound to {a:?} and {b:?}",
                    key.label()
                );
            }
        }
    }

    #[test]
    fn htops_sort_keys_open_the_sort_menu_and_a_demos_speed_keys_stay() {
        let keymap = Keymap::default();
        for c in ['<', '>'] {
            let event = press(KeyCode::Char(c), KeyModifiers::NONE);
            let commands: Vec<Command> = keymap.commands_for(&event).collect();
            assert!(commands.contains(&Command::SortMenu), "{c}: {commands:?}");
            assert_eq!(commands.len(), 2, "{c}: {commands:?}");
        }
        let f6 = press(KeyCode::F(6), KeyModifiers::NONE);
        assert_eq!(keymap.command_for(&f6), Some(Command::SortMenu));
    }
}
