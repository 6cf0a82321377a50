//! The terminal session: raw mode, alternate screen, hidden cursor, mouse
//! capture, undone on every way out.
//!
//! Three layers make sure of it: `TerminalSession`'s `Drop` (quit and errors),
//! a panic hook that restores before the panic message prints, and the event
//! loop turning SIGINT, SIGTERM and SIGHUP into a normal quit. `restore` is
//! idempotent, so the layers can overlap safely.
//!
//! The panic policy: only a panic of the thread that draws (the UI) ends the
//! dashboard and restores the terminal. A panic of any other thread while the
//! dashboard runs (a demo's round or worker, which the demo runner turns into
//! the run's error on screen) neither restores the terminal under the running
//! UI nor prints over it: its message is held back and printed after the
//! terminal is restored.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};
use std::thread::ThreadId;

use anyhow::{Context, Result};
use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::job_control::StoppedChildren;

/// True while the terminal is in our modes and must be restored.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The thread that draws: its panic is the one that ends the dashboard.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

/// Panic messages of other threads, held back while the dashboard is on
/// screen (at most `HELD_BACK_MAX`, so a panicking loop cannot grow it).
static HELD_BACK: Mutex<Vec<String>> = Mutex::new(Vec::new());
const HELD_BACK_MAX: usize = 8;

/// The ratatui terminal over stdout.
pub(crate) type Screen = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal while the dashboard runs.
pub(crate) struct TerminalSession {
    screen: Screen,
}

impl TerminalSession {
    /// Switches the terminal into the dashboard's modes.
    pub(crate) fn enter() -> Result<Self> {
        install_panic_hook();
        *UI_THREAD.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(std::thread::current().id());
        // Colours are the theme's to decide: `config` already answers
        // `NO_COLOR` with the monochrome theme, unless the user named a theme,
        // whose colours crossterm's own `NO_COLOR` check would otherwise strip.
        crossterm::style::force_color_output(true);
        enter_modes().context("cannot set up the terminal")?;
        let screen = Terminal::new(CrosstermBackend::new(io::stdout()))
            .context("cannot draw on the terminal")?;
        Ok(Self { screen })
    }

    /// The screen to draw on.
    pub(crate) fn screen(&mut self) -> &mut Screen {
        &mut self.screen
    }

    /// Restores the terminal, stops this process like a shell job (Ctrl-Z),
    /// and takes the terminal back when the shell continues it (`fg`).
    /// The processes corescope started (a demo's workers, `run`'s command)
    /// are stopped with it and continued before the screen comes back.
    pub(crate) fn suspend(&mut self) -> Result<()> {
        let children = StoppedChildren::stop();
        restore();
        // SIGSTOP rather than SIGTSTP: corescope handles SIGTSTP itself (to get
        // here), and SIGSTOP cannot be caught, so the shell sees a stopped job.
        let stopped =
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP).context("cannot suspend");
        children.resume();
        stopped?;
        self.resume()
    }

    /// Takes the terminal back after the process was stopped and continued
    /// (by us or by someone's SIGSTOP): modes re-entered, screen fully redrawn.
    ///
    /// The redraw never asks the terminal where its cursor is: ratatui's
    /// `Terminal::clear` does, and its answer would race the input stream,
    /// which reads stdin at the same time, to a "cursor position could not be
    /// read" error. `resize` to the current size clears the whole screen
    /// (`Clear(All)`) and forgets the last frame, so the next draw repaints
    /// every cell; the size comes from an ioctl, not from stdin.
    pub(crate) fn resume(&mut self) -> Result<()> {
        enter_modes().context("cannot set up the terminal again")?;
        let size = self
            .screen
            .size()
            .context("cannot read the terminal size")?;
        self.screen
            .resize(size.into())
            .context("cannot redraw the terminal")
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        restore();
        let held = std::mem::take(&mut *HELD_BACK.lock().unwrap_or_else(PoisonError::into_inner));
        for message in held {
            eprintln!("corescope: while the dashboard ran, {message}");
        }
    }
}

fn enter_modes() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    // Mouse capture takes clicks and the wheel; most terminals still select
    // text with Shift held.
    execute!(io::stdout(), EnterAlternateScreen, Hide, EnableMouseCapture)
}

/// Leaves the dashboard's terminal modes if they are on. Safe to call from a
/// panic hook, twice, or when nothing was set up.
pub(crate) fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        // ratatui's own restore leaves mouse capture on: undone here.
        let _ = execute!(out, DisableMouseCapture, Show, LeaveAlternateScreen);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Restores the terminal before the UI thread's panic message is printed, so
/// the message lands on a usable terminal instead of the alternate screen;
/// holds back another thread's (see the module's panic policy).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ui = *UI_THREAD.lock().unwrap_or_else(PoisonError::into_inner);
            if ACTIVE.load(Ordering::SeqCst) && ui != Some(std::thread::current().id()) {
                let thread = std::thread::current();
                let message = format!(
                    "thread `{}` panicked: {info}",
                    thread.name().unwrap_or("unnamed")
                );
                let mut held = HELD_BACK.lock().unwrap_or_else(PoisonError::into_inner);
                if held.len() < HELD_BACK_MAX {
                    held.push(message);
                }
                return;
            }
            restore();
            previous(info);
        }));
    });
}
