//! `corescope watch` without a PID: the process list in a real terminal
//! (tmux). A process with a name of its own is found by typing part of it,
//! watched with Enter, left with `b`; one that exits leaves the list.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{Guarded, Tmux, bin, tmux_available};

/// A copy of `sleep` under a name no other process has, so that its
/// `comm` and command line carry it, running for five minutes.
fn sleeper(dir: &std::path::Path, name: &str) -> Guarded {
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("sleep is installed");
    // A link, not a copy: the kernel names the process after the path it
    // was started by, and a copy just written could not be started while
    // another test thread forks (ETXTBSY, "Text file busy": the child holds
    // the copy's open descriptor until it execs).
    let copy = dir.join(name);
    std::os::unix::fs::symlink(&sleep, &copy).expect("link to sleep");
    Guarded(
        Command::new(&copy)
            .arg("300")
            .stdin(Stdio::null())
            .spawn()
            .expect("start sleep through its link"),
    )
}

/// The CPU % cell of the row of `pid`: the fourth column.
fn cpu_column(screen: &str, pid: u32) -> Option<String> {
    screen.lines().find_map(|line| {
        let cells: Vec<&str> = line
            .trim_matches(|c: char| c == '│' || c.is_whitespace())
            .split_whitespace()
            .collect();
        (cells.first() == Some(&pid.to_string().as_str()))
            .then(|| cells.get(3).map(|c| (*c).to_owned()))?
    })
}

/// Starts `corescope watch` from a shell that records `stty -g` before and
/// after.
fn start(tmux: &Tmux) {
    tmux.type_line(&format!(
        "stty -g > {}; {} watch; stty -g > {}",
        tmux.file("before").display(),
        bin(),
        tmux.file("after").display()
    ));
}

#[test]
fn type_part_of_a_name_enter_watches_it_and_b_goes_back_to_the_list() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("plist", 120, 40);
    let name = format!("cslist{}", std::process::id() % 100_000);
    let mut child = sleeper(&tmux.dir, &name);
    let pid = child.0.id();
    start(&tmux);
    tmux.wait_for("Filter:");
    tmux.wait_for("yours first");
    // Part of the name: the list narrows to the one process.
    tmux.send(&["-l", &name[..name.len() - 1]]);
    let row = format!("{pid:>6}");
    let screen = tmux.wait_for(&format!("{name} 300"));
    assert!(
        screen.contains(&row),
        "expected the row of PID {pid} running `{name} 300`; screen:\n{screen}"
    );
    // Its CPU share is measured from the second reading on: a number, not `?`.
    let mut screen = String::new();
    let measured = common::wait_until(common::DEADLINE, || {
        screen = tmux.screen();
        cpu_column(&screen, pid).is_some_and(|cpu| cpu.parse::<f64>().is_ok())
    });
    assert!(
        measured,
        "expected a measured CPU % in the row of PID {pid}; screen:\n{screen}"
    );
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for(&format!("PID {pid} "));
    assert!(
        !screen.contains("Filter:"),
        "expected the watch screen of PID {pid}, not the list; screen:\n{screen}"
    );
    tmux.wait_for("tree:");
    tmux.send(&["b"]);
    let screen = tmux.wait_for("Filter:");
    assert!(
        screen.contains(&name[..name.len() - 1]),
        "expected the filter kept on going back; screen:\n{screen}"
    );
    tmux.wait_for(&format!("{name} 300"));
    // It exits: it leaves the list.
    let _ = child.0.kill();
    let _ = child.0.wait();
    tmux.wait_for("no process matches the filter");
    // The filter first, then `q` on an empty one quits.
    tmux.send(&["Escape"]);
    tmux.wait_for("type part of a name");
    tmux.send(&["q"]);
    let after = tmux.read_when_written(&tmux.file("after"));
    let before = std::fs::read_to_string(tmux.file("before")).expect("before");
    assert_eq!(before, after, "stty -g differs after corescope exited");
}

#[test]
fn watch_without_a_pid_needs_a_terminal_and_no_headless_or_recording() {
    for (args, says) in [
        (&["watch", "--headless"][..], "watch --headless needs a PID"),
        (
            &["watch", "--headless", "--json"][..],
            "watch --headless needs a PID",
        ),
        (
            &["--record", "/nonexistent/x.jsonl", "watch"][..],
            "need a PID to watch",
        ),
        (&["watch", "--stay"][..], "watch --stay needs a PID"),
    ] {
        let out = common::corescope(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "expected `corescope {}` to be a usage error (exit 2); got {:?}, stderr: {stderr}",
            args.join(" "),
            out.status.code()
        );
        assert!(
            stderr.contains(says) && stderr.trim().lines().count() == 1,
            "expected one line saying `{says}` for `corescope {}`; stderr: {stderr}",
            args.join(" ")
        );
    }
    // Without a terminal, the list is refused as the dashboard is.
    let out = common::corescope(&["watch"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs a terminal"),
        "{out:?}"
    );
}
