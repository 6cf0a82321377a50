//! Sockets between processes, for the two-way pipe and the manager: UNIX
//! stream sockets under abstract names, and reads and writes that cannot
//! hang.
//!
//! An abstract name lives in the kernel only: nothing is left in the
//! filesystem, whatever way a process ends, and the name is free again once
//! its listener is closed. Names carry the parent's pid and a count kept by
//! the parent, so two runs, or two rounds of one run, never meet.
//!
//! Every call that waits does so in slices of `POLL` and asks `keep_going`
//! between them, so a stopped run (or a deadline the caller put in
//! `keep_going`) ends it. A peer that was killed reads as end-of-file or a
//! reset connection, and writing to it fails with `EPIPE` (Rust ignores
//! `SIGPIPE`): no call waits for a peer that is gone.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The longest a blocked read, write or accept goes without asking
/// `keep_going` again.
pub const POLL: Duration = Duration::from_millis(50);

/// How long a process waits for its peer to listen or to connect before
/// giving up (a peer that crashed before it got there).
pub const PEER_DEADLINE: Duration = Duration::from_secs(10);

/// The first pause between two tries to connect or accept; each pause
/// doubles, up to `RETRY_MAX`: a peer that is about to come is met within a
/// millisecond, and one that takes long costs few wake-ups (a server waits
/// in `accept` for the whole run).
const RETRY: Duration = Duration::from_millis(1);
/// The longest pause between two tries.
const RETRY_MAX: Duration = Duration::from_millis(16);

/// The longest line a peer may send (a manager request or reply).
const MAX_LINE: u64 = 64 * 1024;

/// A fresh abstract socket name for `what` ("pipe", "manager"), unique to
/// this process and call.
#[must_use]
pub fn socket_name(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "corescope-{}-{what}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn address(name: &str) -> io::Result<SocketAddr> {
    SocketAddr::from_abstract_name(name.as_bytes())
}

/// The error for a wait that `keep_going` ended.
fn gave_up() -> io::Error {
    io::Error::new(ErrorKind::TimedOut, "stopped waiting for the peer")
}

/// True for the errors of a read or write that timed out (nothing moved).
fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Listens on the abstract name `name`. Fails if it is taken.
pub fn listen(name: &str) -> io::Result<UnixListener> {
    let listener = UnixListener::bind_addr(&address(name)?)?;
    // Accepts poll, so that a stop is seen while nobody connects.
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Waits for the next connection to `listener`.
pub fn accept(listener: &UnixListener, keep_going: &dyn Fn() -> bool) -> io::Result<UnixStream> {
    let mut pause = RETRY;
    loop {
        match listener.accept() {
            Ok((stream, _)) => return with_timeouts(stream),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                if !keep_going() {
                    return Err(gave_up());
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(RETRY_MAX);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// Connects to the abstract name `name`, trying again while nobody listens
/// there yet (the peer is still starting).
pub fn connect(name: &str, keep_going: &dyn Fn() -> bool) -> io::Result<UnixStream> {
    let address = address(name)?;
    let mut pause = RETRY;
    loop {
        match UnixStream::connect_addr(&address) {
            Ok(stream) => return with_timeouts(stream),
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::ConnectionRefused | ErrorKind::NotFound | ErrorKind::Interrupted
                ) =>
            {
                if !keep_going() {
                    return Err(gave_up());
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(RETRY_MAX);
            }
            Err(err) => return Err(err),
        }
    }
}

/// A blocking stream whose reads and writes give up after `POLL`.
fn with_timeouts(stream: UnixStream) -> io::Result<UnixStream> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    Ok(stream)
}

/// Reads exactly `buf.len()` bytes. `Ok(false)` when the stream ended
/// cleanly before the first byte (the peer closed its end).
pub fn read_exact(
    stream: &mut impl Read,
    buf: &mut [u8],
    keep_going: &dyn Fn() -> bool,
) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if timed_out(&err) => {
                if !keep_going() {
                    return Err(gave_up());
                }
            }
            Err(err) => return Err(err),
        }
    }
    Ok(true)
}

/// Writes all of `buf`.
pub fn write_all(
    stream: &mut impl Write,
    buf: &[u8],
    keep_going: &dyn Fn() -> bool,
) -> io::Result<()> {
    let mut sent = 0;
    while sent < buf.len() {
        match stream.write(&buf[sent..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if timed_out(&err) => {
                if !keep_going() {
                    return Err(gave_up());
                }
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Reads one line, without its newline. `Ok(None)` when the stream ended
/// cleanly between lines.
pub fn read_line(
    reader: &mut impl BufRead,
    keep_going: &dyn Fn() -> bool,
) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let room = MAX_LINE.saturating_sub(line.len() as u64);
        // `read_until` keeps what it read before an error in `line`, so a
        // timeout mid-line loses nothing.
        match reader.by_ref().take(room).read_until(b'\n', &mut line) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(_) if line.last() == Some(&b'\n') => {
                line.pop();
                return String::from_utf8(line).map(Some).map_err(io::Error::other);
            }
            Ok(_) if line.len() as u64 >= MAX_LINE => {
                return Err(io::Error::other("line too long"));
            }
            Ok(_) => return Err(ErrorKind::UnexpectedEof.into()),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if timed_out(&err) => {
                if !keep_going() {
                    return Err(gave_up());
                }
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;
    use std::time::Instant;

    #[test]
    fn names_are_unique_and_abstract() {
        let (a, b) = (socket_name("pipe"), socket_name("pipe"));
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("corescope-{}-pipe-", std::process::id())));
        let listener = listen(&a).expect("listen");
        assert!(listen(&a).is_err(), "a name is taken while listened on");
        assert!(
            !std::path::Path::new(&a).exists(),
            "nothing in the filesystem"
        );
        let client = std::thread::spawn(move || connect(&a, &|| true).expect("connect"));
        let mut server = accept(&listener, &|| true).expect("accept");
        let mut client = client.join().expect("client");
        write_all(&mut client, b"hello\n", &|| true).expect("write");
        let mut reader = BufReader::new(&mut server);
        assert_eq!(
            read_line(&mut reader, &|| true).expect("read").as_deref(),
            Some("hello")
        );
    }

    #[test]
    fn connecting_to_nobody_gives_up_when_told() {
        let name = socket_name("nobody");
        let started = Instant::now();
        let deadline = started + Duration::from_millis(30);
        let err = connect(&name, &|| Instant::now() < deadline).expect_err("nobody listens");
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_silent_peer_cannot_hold_a_read_past_a_stop() {
        let (mut a, _b) = UnixStream::pair().expect("pair");
        a.set_read_timeout(Some(POLL)).expect("timeout");
        let started = Instant::now();
        let deadline = started + Duration::from_millis(120);
        let mut buf = [0; 4];
        let err = read_exact(&mut a, &mut buf, &|| Instant::now() < deadline).expect_err("silence");
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_closed_peer_reads_as_the_end() {
        let (mut a, b) = UnixStream::pair().expect("pair");
        a.set_read_timeout(Some(POLL)).expect("timeout");
        drop(b);
        let mut buf = [0; 4];
        assert!(!read_exact(&mut a, &mut buf, &|| true).expect("clean end"));
        assert_eq!(
            read_line(&mut BufReader::new(&mut a), &|| true).expect("clean end"),
            None
        );
        assert!(
            write_all(&mut a, b"x", &|| true).is_err(),
            "EPIPE, not a signal"
        );
    }

    #[test]
    fn a_line_cut_by_a_timeout_is_read_whole() {
        let (mut a, mut b) = UnixStream::pair().expect("pair");
        a.set_read_timeout(Some(Duration::from_millis(5)))
            .expect("timeout");
        let writer = std::thread::spawn(move || {
            b.write_all(b"incr ke").expect("first half");
            std::thread::sleep(Duration::from_millis(40));
            b.write_all(b"y-1\nget").expect("second half");
            b
        });
        let mut reader = BufReader::new(&mut a);
        let line = read_line(&mut reader, &|| true).expect("line");
        assert_eq!(line.as_deref(), Some("incr key-1"));
        drop(writer.join().expect("writer"));
        assert_eq!(
            read_line(&mut reader, &|| true).expect_err("cut").kind(),
            ErrorKind::UnexpectedEof,
            "a line the peer never finished is an error"
        );
    }
}
