//! The thread table's tools in a real terminal (tmux), on a Python program
//! whose threads carry names (`worker-0`..`worker-2`, `io-reader`): the
//! filter prompt, the tree view, the columns that come with the width and
//! the sort menu, each driven by its keys as an htop user would.

mod common;

use common::{Guarded, Tmux, bin, python, tmux_available};

/// Four named threads that sleep (nothing here needs an idle core), beside
/// the main thread. The names are set with `prctl(PR_SET_NAME)`, as the
/// kernel shows them (Python 3.11 leaves its threads named `python3`).
const NAMED_THREADS: &str = r#"
import ctypes, threading, time
libc = ctypes.CDLL(None)
def named(name):
    def run():
        libc.prctl(15, name.encode(), 0, 0, 0)
        while True:
            time.sleep(0.2)
    threading.Thread(target=run, daemon=True).start()
for name in ["worker-0", "worker-1", "worker-2", "io-reader"]:
    named(name)
while True:
    time.sleep(0.2)
"#;

/// The named-thread program, and a terminal of `width` x `height` watching
/// it, once its thread names show.
fn watching(name: &str, width: u16, height: u16) -> (Guarded, Tmux) {
    let program = python(NAMED_THREADS, 5);
    let tmux = Tmux::start(name, width, height);
    tmux.type_line(&format!(
        "{} watch {}; echo \"corescope exited with $?\"",
        bin(),
        program.0.id()
    ));
    tmux.wait_for("worker-2");
    tmux.wait_for("io-reader");
    (program, tmux)
}

/// Quits with `q`, and waits for corescope to say it exited well.
fn quit(tmux: &Tmux) {
    tmux.send(&["q"]);
    tmux.wait_for("corescope exited with 0");
}

/// The thread table's header line as now on screen.
fn header(tmux: &Tmux) -> String {
    tmux.screen()
        .lines()
        .find(|line| line.contains("TID") && line.contains("NAME"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn slash_filters_the_thread_table_as_you_type_and_esc_clears_it() {
    if !tmux_available() {
        return;
    }
    let (_program, tmux) = watching("filter", 120, 40);
    tmux.send(&["/"]);
    tmux.send(&["-l", "work"]);
    // Three of the five threads are workers.
    tmux.wait_for("filter: work▏  (3 of 5)");
    tmux.wait_gone("io-reader");
    // `q` goes to the prompt, not to quit.
    tmux.send(&["q"]);
    tmux.wait_for("filter: workq");
    tmux.wait_for("(0 of 5)");
    tmux.send(&["BSpace", "Enter"]);
    let screen = tmux.wait_for("filter: work  (3 of 5)");
    assert!(
        screen.contains("worker-0") && !screen.contains("io-reader"),
        "Enter keeps the filter:\n{screen}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_for("io-reader");
    tmux.wait_gone("filter: work");
    quit(&tmux);
}

#[test]
fn t_nests_the_threads_under_their_process_with_its_totals() {
    if !tmux_available() {
        return;
    }
    let (_program, tmux) = watching("tree", 120, 40);
    tmux.send(&["t"]);
    let screen = tmux.wait_for("▾ python3");
    assert!(
        screen.contains("THR") && screen.contains("RSS"),
        "the tree view's process columns:\n{screen}"
    );
    tmux.wait_for("├ worker-0");
    let screen = tmux.wait_for("└ ");
    let process = screen
        .lines()
        .find(|line| line.contains("▾ python3"))
        .unwrap_or_default();
    assert!(
        process.contains(" 5 "),
        "the process row counts its five threads: {process}"
    );
    tmux.send(&["F5"]);
    tmux.wait_gone("▾ python3");
    quit(&tmux);
}

#[test]
fn the_wide_columns_come_and_go_with_the_width() {
    if !tmux_available() {
        return;
    }
    let (_program, tmux) = watching("columns", 200, 60);
    let mut seen = String::new();
    let all = common::wait_until(common::DEADLINE, || {
        seen = header(&tmux);
        ["PID", "NI", "FUTEX%", "WCHAN", "VCSW/s", "RUNQ%"]
            .iter()
            .all(|column| seen.contains(column))
    });
    assert!(all, "every column at 200 columns; the header reads: {seen}");
    tmux.resize(80, 24);
    let narrow = common::wait_until(common::DEADLINE, || {
        seen = header(&tmux);
        seen.contains("CPU%") && !seen.contains("WCHAN") && !seen.contains("FUTEX%")
    });
    assert!(
        narrow,
        "the essentials at 80 columns; the header reads: {seen}"
    );
    tmux.resize(200, 60);
    let back = common::wait_until(common::DEADLINE, || {
        seen = header(&tmux);
        seen.contains("WCHAN")
    });
    assert!(
        back,
        "the columns come back at 200; the header reads: {seen}"
    );
    quit(&tmux);
}

#[test]
fn f6_and_htops_sort_keys_open_the_sort_menu_and_a_header_click_sorts() {
    if !tmux_available() {
        return;
    }
    let (_program, tmux) = watching("sort", 120, 40);
    tmux.send(&["F6"]);
    tmux.wait_for("Sort by");
    // From CPU% (the default), two down is FUTEX%.
    tmux.send(&["Down", "Down", "Enter"]);
    tmux.wait_gone("Sort by");
    tmux.wait_for("FUTEX%▼");
    tmux.send(&[">"]);
    tmux.wait_for("Sort by");
    tmux.send(&["Escape"]);
    tmux.wait_gone("Sort by");
    assert!(
        tmux.screen().contains("worker-0"),
        "Esc closes the menu and quits nothing:\n{}",
        tmux.screen()
    );
    let (column, row) = tmux.find(" NAME").expect("the NAME header on screen");
    tmux.click((column + 1, row));
    tmux.wait_for("NAME▲");
    let (column, row) = tmux.find("NAME▲").expect("the NAME header, sorted");
    tmux.click((column, row));
    tmux.wait_for("NAME▼");
    quit(&tmux);
}

#[test]
fn slash_on_the_focused_process_tree_filters_the_processes() {
    if !tmux_available() {
        return;
    }
    let (_program, tmux) = watching("tree-filter", 120, 40);
    tmux.wait_for("Processes");
    tmux.send(&["Tab", "/"]);
    tmux.send(&["-l", "zzz"]);
    tmux.wait_for("process filter: zzz▏  (0 of 1)");
    tmux.send(&["BSpace", "BSpace", "BSpace"]);
    tmux.send(&["-l", "python"]);
    tmux.wait_for("process filter: python▏  (1 of 1)");
    let screen = tmux.screen();
    assert!(
        screen.contains("io-reader"),
        "the thread table stays whole while the tree is filtered:\n{screen}"
    );
    tmux.send(&["Escape"]);
    tmux.wait_gone("process filter");
    quit(&tmux);
}
