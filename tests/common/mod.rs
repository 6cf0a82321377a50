//! Helpers shared by the end-to-end tests: the built binary, Python programs
//! to watch, and a tmux session standing in for a person at a terminal.

#![expect(
    dead_code,
    reason = "each test binary uses its own subset of these helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Tests that measure how busy the cores are, or how long threads wait,
/// must not share a two-core machine with each other: each test of a binary
/// holds this guard while it runs. (Cargo runs test binaries one at a time.)
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static CORES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CORES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The corescope binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_corescope")
}

/// Where the tests point `XDG_CONFIG_HOME`: a directory that does not exist,
/// so corescope reads no config file of the person running the tests (a
/// missing default config means the defaults).
pub fn no_config_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-config-home")
}

/// A corescope command that reads no config file of the person running the
/// tests (see [`no_config_home`]) and draws in colour whatever their
/// `NO_COLOR`.
pub fn command() -> Command {
    let mut command = Command::new(bin());
    command
        .env("XDG_CONFIG_HOME", no_config_home())
        .env_remove("NO_COLOR");
    command
}

/// How long a test waits for something that must happen (a text on screen,
/// a process gone): generous, so that a machine whose cores are all busy
/// still gets there. How fast it happens is measured elsewhere
/// (`cargo bench`, scripts/check-scaling.sh), never asserted in a test.
pub const DEADLINE: Duration = Duration::from_mins(1);

/// How long a whole corescope command may run before a test calls it stuck
/// (the longest test command takes a few seconds on a quiet machine).
pub const STUCK: Duration = Duration::from_mins(3);

/// Runs corescope with `args` and waits for it.
pub fn corescope(args: &[&str]) -> Output {
    corescope_with_pid(args).1
}

/// Waits for `child` to end and collects its output; kills it and fails
/// the test, saying so, if it is still running after [`STUCK`].
pub fn output_of(child: Child, what: &str) -> Output {
    let pid = child.id();
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    if let Ok(result) = output.recv_timeout(STUCK) {
        return result.expect("corescope output");
    }
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    panic!("{what} was still running after {STUCK:?}: it never ended by itself");
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Threads of a process right now, from /proc.
pub fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count)
}

/// A child process killed when dropped, so a failing test leaves nothing behind.
pub struct Guarded(pub Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real Python interpreter behind `python3`. Launchers such as pyenv's
/// shims are scripts that fork helpers before they exec Python, which would
/// put extra processes in the watched tree.
pub fn python_executable() -> &'static str {
    static EXECUTABLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    EXECUTABLE.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 must be installed (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
}

/// Starts `python3 -c CODE` and waits until it has `threads` threads.
pub fn python(code: &str, threads: usize) -> Guarded {
    let child = Command::new(python_executable())
        .args(["-c", code])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 must be installed (.ci/run installs it)");
    let guarded = Guarded(child);
    let pid = guarded.0.id();
    let mut seen = 0;
    assert!(
        wait_until(DEADLINE, || {
            seen = thread_count(pid);
            seen == threads
        }),
        "expected the python program to reach {threads} threads, it has {seen}"
    );
    guarded
}

/// True when tmux can be used. Outside CI a missing tmux skips terminal tests
/// with a note; in CI (where .ci/run installs it) it is a failure.
pub fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "tmux is required in CI"
    );
    if !ok {
        eprintln!("skipping: tmux is not installed");
    }
    ok
}

/// A detached tmux session with its own server socket, killed on drop.
pub struct Tmux {
    socket: String,
    pub dir: PathBuf,
}

impl Tmux {
    /// A session `width` x `height` running an interactive `bash --norc`.
    pub fn start(name: &str, width: u16, height: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("corescope-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let tmux = Self {
            socket: format!("corescope-test-{name}-{}", std::process::id()),
            dir,
        };
        let status = tmux
            .command()
            .args([
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .args([
                "env",
                "-i",
                "PATH=/usr/bin:/bin",
                "TERM=screen",
                "HOME=/tmp",
                &format!("XDG_CONFIG_HOME={}", no_config_home().display()),
                "bash",
                "--norc",
                "--noprofile",
            ])
            .status()
            .expect("tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    /// Types `keys` (tmux key names, e.g. "q", "Enter", "C-c").
    pub fn send(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Clicks the left button at (`column`, `row`), counted from 0, as a
    /// terminal in SGR mouse mode reports it (press, then release).
    pub fn click(&self, (column, row): (u16, u16)) {
        let (x, y) = (column + 1, row + 1);
        self.send(&["-l", &format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")]);
    }

    /// Turns the mouse wheel once, down or up, at (`column`, `row`).
    pub fn wheel(&self, (column, row): (u16, u16), down: bool) {
        let button = if down { 65 } else { 64 };
        self.send(&["-l", &format!("\x1b[<{button};{};{}M", column + 1, row + 1)]);
    }

    /// Where `text` first shows on screen: (column, row), counted from 0.
    pub fn find(&self, text: &str) -> Option<(u16, u16)> {
        self.screen().lines().enumerate().find_map(|(row, line)| {
            let at = line.find(text)?;
            let column = line[..at].chars().count();
            Some((u16::try_from(column).ok()?, u16::try_from(row).ok()?))
        })
    }

    /// True while the program in the pane has asked for mouse reports.
    pub fn mouse_captured(&self) -> bool {
        let out = self
            .command()
            .args(["display-message", "-p", "-t", "t", "#{mouse_any_flag}"])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Types a shell line and presses Enter.
    pub fn type_line(&self, line: &str) {
        self.send(&["-l", line]);
        self.send(&["Enter"]);
    }

    /// The visible screen with its colours and attributes as escape
    /// sequences (SGR), as tmux holds it.
    pub fn screen_with_escapes(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-e", "-t", "t"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains `text` (up to [`DEADLINE`]); panics
    /// with the last screen if it never does.
    pub fn wait_for(&self, text: &str) -> String {
        let mut screen = String::new();
        let found = wait_until(DEADLINE, || {
            screen = self.screen();
            screen.contains(text)
        });
        assert!(
            found,
            "expected `{text}` on screen within {DEADLINE:?}; it never appeared. Last screen:\n{screen}"
        );
        screen
    }

    /// Waits until `text` is no longer on screen (up to [`DEADLINE`]);
    /// panics with the last screen if it stays.
    pub fn wait_gone(&self, text: &str) -> String {
        let mut screen = String::new();
        let gone = wait_until(DEADLINE, || {
            screen = self.screen();
            !screen.contains(text)
        });
        assert!(
            gone,
            "expected `{text}` to leave the screen within {DEADLINE:?}; it stayed. Last screen:\n{screen}"
        );
        screen
    }

    /// A file in this session's scratch directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Waits (up to [`DEADLINE`]) for a file to be written and returns its
    /// contents.
    pub fn read_when_written(&self, path: &Path) -> String {
        assert!(
            wait_until(DEADLINE, || std::fs::metadata(path)
                .is_ok_and(|m| m.len() > 0)),
            "expected {} to be written within {DEADLINE:?}; it never was. Screen:\n{}",
            path.display(),
            self.screen()
        );
        std::fs::read_to_string(path).expect("read")
    }

    /// PID of the shell in the pane.
    pub fn shell_pid(&self) -> u32 {
        let out = self
            .command()
            .args(["list-panes", "-t", "t", "-F", "#{pane_pid}"])
            .output()
            .expect("list-panes");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pane pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Children of `pid` whose command name is `name`.
pub fn children_named(pid: u32, name: &str) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string(), "-x", name])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Runs corescope with `args` and waits for it, returning its process id
/// too, so that a test can look for worker processes it left behind.
pub fn corescope_with_pid(args: &[&str]) -> (u32, Output) {
    let child = command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run corescope");
    let pid = child.id();
    (
        pid,
        output_of(child, &format!("corescope {}", args.join(" "))),
    )
}

/// Live worker processes that the corescope process `parent` started: those
/// whose command line is `... worker ... --parent PARENT ...`. (`pgrep -f
/// "corescope worker"` would find none: a worker re-executes
/// `/proc/self/exe`, so its argv[0] does not say corescope. A zombie's
/// command line is empty, so only processes still running count.)
pub fn workers_of(parent: u32) -> Vec<u32> {
    let parent = parent.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let worker = args.get(1).is_some_and(|a| *a == b"worker");
            let ours = args
                .windows(2)
                .any(|w| w[0] == b"--parent" && w[1] == parent.as_bytes());
            (worker && ours).then_some(pid)
        })
        .collect()
}

/// The names in `/dev/shm` now (corescope must never leave anything there).
pub fn dev_shm() -> Vec<String> {
    std::fs::read_dir("/dev/shm").map_or_else(
        |_| Vec::new(),
        |entries| {
            let mut names: Vec<String> = entries
                .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect();
            names.sort();
            names
        },
    )
}

impl Tmux {
    /// Resizes the session's window, as a person dragging the terminal would.
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "-f",
                "/dev/null",
                "resize-window",
                "-t",
                "t",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .expect("resize-window");
        assert!(status.success(), "tmux resize-window failed");
    }
}
