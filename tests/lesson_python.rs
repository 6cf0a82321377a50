//! Lesson steps that run one of the course's Python programs: stepping onto
//! one runs it with probes and shows its locks, semaphores and queues on the
//! run screen under the step's title and notes; stepping away, or quitting,
//! ends it and everything it started.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::{DEADLINE, Tmux, bin, tmux_available, wait_until};

/// Types the command line that opens the dashboard, with the test's Python
/// first on `PATH` (the lesson runs `python3` from there), and notes when
/// corescope has exited (the file `after`).
fn open_dashboard(tmux: &Tmux, path: &str) {
    let after = tmux.file("after");
    tmux.type_line(&format!(
        "PATH={path} {}; echo $? > {}",
        bin(),
        after.display()
    ));
}

/// `PATH` with the directory of the test's Python interpreter first.
fn path_with_python() -> String {
    let python = Path::new(common::python_executable());
    let dir = python.parent().expect("python3 is in a directory");
    format!("{}:/usr/bin:/bin", dir.display())
}

/// The default lesson's step titled `title`, numbered from 1, and how many
/// steps it has.
fn step_number(title: &str) -> (usize, usize) {
    let lessons = corescope::lesson::built_in().expect("lessons");
    let steps = &lessons[0].steps;
    let at = steps
        .iter()
        .position(|step| step.title == title)
        .unwrap_or_else(|| panic!("the default lesson has no step `{title}`"));
    (at + 1, steps.len())
}

/// Starts the default lesson from the picker and steps on to `title`,
/// waiting for its heading.
fn open_lesson_at(tmux: &Tmux, title: &str) -> String {
    tmux.wait_for("choose a lesson or a demo");
    tmux.send(&["Enter"]);
    tmux.wait_for("Step 1 of");
    step_to(tmux, 1, title)
}

/// From step `from`, steps to `title` with `n` or `p`; returns the screen
/// showing its heading.
fn step_to(tmux: &Tmux, from: usize, title: &str) -> String {
    let (number, steps) = step_number(title);
    let key = if number > from { "n" } else { "p" };
    for _ in 0..number.abs_diff(from) {
        tmux.send(&[key]);
    }
    tmux.wait_for(&format!("Step {number} of {steps}: {title}"))
}

/// The arguments of process `pid` (none for a zombie or a process gone).
fn args_of(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| {
            cmdline
                .split(|b| *b == 0)
                .filter(|arg| !arg.is_empty())
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every process id in `/proc` now.
fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc").map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        },
    )
}

/// True when process `pid` descends from `ancestor`.
fn descends_from(pid: u32, ancestor: u32) -> bool {
    let mut at = pid;
    for _ in 0..64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{at}/stat")) else {
            return false;
        };
        let Some(parent) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok())
        else {
            return false;
        };
        if parent == ancestor {
            return true;
        }
        if parent <= 1 {
            return false;
        }
        at = parent;
    }
    false
}

/// The processes under the pane's shell `shell` running the lesson's copy
/// of `program` (its file in one of the private directories corescope
/// writes it to), and those directories. Forked children (a Pool's
/// workers) share their parent's command line, so they count too; the
/// guardian, which names the program as well, does not.
fn running(shell: u32, program: &str) -> (Vec<u32>, HashSet<PathBuf>) {
    let suffix = format!("/{program}");
    let mut pids = Vec::new();
    let mut dirs = HashSet::new();
    for pid in all_pids() {
        let args = args_of(pid);
        if args.get(1).is_some_and(|arg| arg == "guard") || !descends_from(pid, shell) {
            continue;
        }
        if let Some(file) = args
            .iter()
            .find(|arg| arg.contains("/corescope-py-") && arg.ends_with(&suffix))
        {
            pids.push(pid);
            dirs.extend(Path::new(file).parent().map(Path::to_owned));
        }
    }
    (pids, dirs)
}

/// Waits until no process at all (wherever it was re-parented, the
/// guardian included) names a file in one of `dirs`: the lesson's runs and
/// everything they started are gone; says which still run.
fn assert_none_left(dirs: &HashSet<PathBuf>, when: &str) {
    assert!(!dirs.is_empty(), "{when}: no run of the program was seen");
    let left = || -> Vec<(u32, Vec<String>)> {
        all_pids()
            .into_iter()
            .map(|pid| (pid, args_of(pid)))
            .filter(|(_, args)| {
                args.iter()
                    .any(|arg| dirs.iter().any(|dir| Path::new(arg).starts_with(dir)))
            })
            .collect()
    };
    let gone = wait_until(DEADLINE, || left().is_empty());
    assert!(
        gone,
        "{when}, expected no process of the lesson's runs in {dirs:?}, but these still run: {:?}",
        left()
    );
}

/// The private directory the program was written to, from the output
/// panel's title (`Output (in /tmp/corescope-py-XXXXXX/output.log, ...`).
fn program_dir(screen: &str) -> std::path::PathBuf {
    let end = screen
        .find("/output.log")
        .unwrap_or_else(|| panic!("the output panel names output.log:\n{screen}"));
    let start = screen[..end].rfind(' ').map_or(0, |i| i + 1);
    let dir = std::path::PathBuf::from(&screen[start..end]);
    assert!(
        dir.to_string_lossy().contains("/corescope-py-"),
        "the output panel names the program's private directory, saw {}:\n{screen}",
        dir.display()
    );
    dir
}

#[test]
fn a_python_step_shows_its_semaphore_reruns_on_r_and_stepping_on_removes_its_directory() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("lesson-python-sem", 120, 40);
    open_dashboard(&tmux, &path_with_python());
    open_lesson_at(&tmux, "Semaphore(2) in Python");
    // The probes name the semaphore by its variable and line; its gauge
    // never shows more than the two permits in use.
    let screen = tmux.wait_for("sem (semaphore.py:15)");
    assert!(
        screen.contains("/2 permits in use"),
        "the semaphore's gauge counts its 2 permits:\n{screen}"
    );
    assert!(
        screen.contains("run PID"),
        "the step shows the run screen:\n{screen}"
    );
    let screen = tmux.wait_for("All tasks done");
    let first = program_dir(&screen);
    assert!(
        first.is_dir(),
        "{} exists while the step is on",
        first.display()
    );
    // `r` runs the program again, from a fresh directory; the old one goes.
    tmux.send(&["r"]);
    let mut screen = String::new();
    let again = wait_until(DEADLINE, || {
        screen = tmux.screen();
        screen.contains("All tasks done")
            && screen.contains("/output.log")
            && program_dir(&screen) != first
    });
    assert!(
        again,
        "after r, the output of a new run of semaphore.py, saw:\n{screen}"
    );
    assert!(
        wait_until(DEADLINE, || !first.exists()),
        "the first run's directory {} is removed",
        first.display()
    );
    let dir = program_dir(&screen);
    let (number, _) = step_number("Semaphore(2) in Python");
    let next = corescope::lesson::built_in().expect("lessons")[0].steps[number]
        .title
        .clone();
    step_to(&tmux, number, &next);
    assert!(
        wait_until(DEADLINE, || !dir.exists()),
        "stepping on removes the program's directory {}",
        dir.display()
    );
    assert_none_left(&HashSet::from([first, dir]), "after stepping on");
    tmux.send(&["q"]);
    tmux.read_when_written(&tmux.file("after"));
}

#[test]
fn stepping_away_going_back_or_quitting_during_a_python_step_leaves_no_process_behind() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let title = "Pool.map beside threads in Python";
    let tmux = Tmux::start("lesson-python-pool", 120, 40);
    open_dashboard(&tmux, &path_with_python());
    let shell = tmux.shell_pid();
    open_lesson_at(&tmux, title);
    tmux.wait_for("run PID");
    // The threads' half comes first, then the pool's four worker processes:
    // wait until the pool runs, so that there is a tree to end.
    let mut seen = (Vec::new(), HashSet::new());
    let pool = wait_until(DEADLINE, || {
        seen = running(shell, "pool_map.py");
        seen.0.len() >= 2
    });
    assert!(
        pool,
        "pool_map.py and its pool's workers run, saw {:?}:\n{}",
        seen.0,
        tmux.screen()
    );
    let (number, _) = step_number(title);
    let previous = corescope::lesson::built_in().expect("lessons")[0].steps[number - 2]
        .title
        .clone();
    step_to(&tmux, number, &previous);
    assert_none_left(&seen.1, "after stepping back (p)");

    step_to(&tmux, number - 1, title);
    let started = wait_until(DEADLINE, || {
        seen = running(shell, "pool_map.py");
        !seen.0.is_empty()
    });
    assert!(started, "stepping on again runs pool_map.py again");
    tmux.send(&["b"]);
    tmux.wait_for("choose a lesson or a demo");
    assert_none_left(&seen.1, "after going back to the picker (b)");

    open_lesson_at(&tmux, title);
    let started = wait_until(DEADLINE, || {
        seen = running(shell, "pool_map.py");
        !seen.0.is_empty()
    });
    assert!(started, "the step runs pool_map.py once more");
    tmux.send(&["q"]);
    let code = tmux.read_when_written(&tmux.file("after"));
    assert_eq!(code.trim(), "0", "corescope exits cleanly on q");
    assert_none_left(&seen.1, "after quitting");
}

#[test]
fn without_python3_a_python_step_says_so_in_one_line_and_the_lesson_goes_on() {
    let _cores = common::one_at_a_time();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start("lesson-python-none", 120, 40);
    // A PATH where no python3 is.
    let empty = tmux.dir.join("empty-bin");
    std::fs::create_dir_all(&empty).expect("an empty directory");
    open_dashboard(&tmux, &empty.display().to_string());
    open_lesson_at(&tmux, "Semaphore(2) in Python");
    let screen = tmux.wait_for("semaphore.py did not start");
    assert!(
        screen.contains("cannot run `python3`"),
        "the notice says why:\n{screen}"
    );
    let (number, _) = step_number("Semaphore(2) in Python");
    let next = corescope::lesson::built_in().expect("lessons")[0].steps[number]
        .title
        .clone();
    step_to(&tmux, number, &next);
    tmux.send(&["q"]);
    let code = tmux.read_when_written(&tmux.file("after"));
    assert_eq!(code.trim(), "0", "no crash: corescope exits cleanly on q");
}
