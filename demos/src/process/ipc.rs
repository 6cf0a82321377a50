//! Channels between processes, for the two-way pipe and the manager:
//! connected pairs of UNIX stream sockets that the parent creates and hands
//! to its workers, and reads and writes that cannot hang.
//!
//! Nobody else can reach a channel: it has no name (no abstract socket, no
//! file), so no other process, of this user or another, can connect to it,
//! squat on it or inject into it. A worker gets its end as its stdin (std's
//! `Command` moves it there in the child: no descriptor loses close-on-exec
//! in the parent, no `unsafe`). A running worker that needs more ends (the
//! manager, one per client) gets them through a [`Door`]: a channel over
//! which the parent passes further ends (`SCM_RIGHTS`).
//!
//! The end that serves (the pipe's echo, the manager) greets its peer with
//! one byte once it runs and holds its channel ([`greet`]); the peer waits
//! for it ([`await_greeting`]) before it times anything, so no figure
//! includes the server's start.
//!
//! Every call that waits does so in slices of `POLL` and asks `keep_going`
//! between them, so a stopped run (or a deadline the caller put in
//! `keep_going`) ends it. A peer that was killed reads as end-of-file or a
//! reset connection, and writing to it fails with `EPIPE` (Rust ignores
//! `SIGPIPE`): no call waits for a peer that is gone. Since the parent
//! closes its copy of a worker's end once the worker is spawned, a worker
//! that dies (or was never started) is seen so by its peer.

use std::io::{self, BufRead, ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

/// The longest a blocked read, write or receive goes without asking
/// `keep_going` again.
pub const POLL: Duration = Duration::from_millis(50);

/// The longest line a peer may send (a manager request or reply).
const MAX_LINE: u64 = 64 * 1024;

/// The error for a wait that `keep_going` ended.
fn gave_up() -> io::Error {
    io::Error::new(ErrorKind::TimedOut, "stopped waiting for the peer")
}

/// True for the errors of a read or write that timed out (nothing moved).
fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// The byte a serving end sends first on a channel.
const READY: u8 = b'+';

/// Tells the peer that this end runs and serves the channel from now on.
pub fn greet(stream: &mut UnixStream, keep_going: &dyn Fn() -> bool) -> io::Result<()> {
    write_all(stream, &[READY], keep_going)
}

/// Waits for the peer's greeting; an error if the peer is gone or sent
/// something else.
pub fn await_greeting(stream: &mut UnixStream, keep_going: &dyn Fn() -> bool) -> io::Result<()> {
    let mut byte = [0];
    if read_exact(stream, &mut byte, keep_going)? && byte[0] == READY {
        Ok(())
    } else {
        Err(io::Error::other("the peer did not greet"))
    }
}

/// A new channel: two connected ends, one for each side.
pub fn channel() -> io::Result<(UnixStream, UnixStream)> {
    UnixStream::pair()
}

/// The channel this worker process was given as its stdin; stdin is
/// `/dev/null` from then on.
pub fn inherited() -> io::Result<UnixStream> {
    let end = io::stdin().as_fd().try_clone_to_owned()?;
    let null = std::fs::File::open("/dev/null")?;
    nix::unistd::dup2_stdin(&null).map_err(io::Error::from)?;
    timed(UnixStream::from(end))
}

/// `stream`, blocking, its reads and writes giving up after `POLL`.
pub fn timed(stream: UnixStream) -> io::Result<UnixStream> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    Ok(stream)
}

/// A channel that carries channel ends from the parent to a running worker.
#[derive(Debug)]
pub struct Door(UnixStream);

impl Door {
    /// A door over `stream` (its reads must time out: see [`timed`]).
    #[must_use]
    pub const fn new(stream: UnixStream) -> Self {
        Self(stream)
    }

    /// Passes `end` to the other side. Fails when nobody is there any more
    /// (the worker died): `end` is then closed, and its peer reads the end.
    pub fn send(&self, end: OwnedFd) -> io::Result<()> {
        let fds = [end.as_fd()];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        control.push(SendAncillaryMessage::ScmRights(&fds));
        // One byte of data: a message with rights but no data is not sent.
        let sent = rustix::net::sendmsg(
            &self.0,
            &[IoSlice::new(b"c")],
            &mut control,
            SendFlags::NOSIGNAL,
        );
        // Our copy closes: from here the worker holds the only one.
        drop(end);
        sent?;
        Ok(())
    }

    /// The next end passed through the door; `Ok(None)` once the parent
    /// closed its side (no more will come).
    pub fn receive(&self, keep_going: &dyn Fn() -> bool) -> io::Result<Option<UnixStream>> {
        loop {
            let mut byte = [0_u8; 1];
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
            let mut control = RecvAncillaryBuffer::new(&mut space);
            let received = rustix::net::recvmsg(
                &self.0,
                &mut [IoSliceMut::new(&mut byte)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            );
            match received {
                Ok(message) => {
                    let end = control.drain().find_map(|message| match message {
                        RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
                        _ => None,
                    });
                    match end {
                        Some(end) => return timed(UnixStream::from(end)).map(Some),
                        None if message.bytes == 0 => return Ok(None),
                        // A byte without an end: not from our parent's `send`.
                        None => {}
                    }
                }
                Err(errno) => {
                    let err = io::Error::from(errno);
                    if timed_out(&err) {
                        if !keep_going() {
                            return Err(gave_up());
                        }
                    } else if err.kind() != ErrorKind::Interrupted {
                        return Err(err);
                    }
                }
            }
        }
    }
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
    fn ends_pass_through_a_door_and_carry_data() {
        let (parent, worker) = channel().expect("door");
        let door = Door::new(parent);
        let far = Door::new(timed(worker).expect("timeouts"));
        let (mut mine, theirs) = channel().expect("channel");
        door.send(theirs.into()).expect("send");
        let mut received = far.receive(&|| true).expect("receive").expect("an end");
        write_all(&mut mine, b"hello\n", &|| true).expect("write");
        let mut reader = BufReader::new(&mut received);
        assert_eq!(
            read_line(&mut reader, &|| true).expect("read").as_deref(),
            Some("hello")
        );
        drop(door);
        assert!(far.receive(&|| true).expect("the end").is_none());
    }

    #[test]
    fn a_greeting_is_awaited_and_a_peer_gone_instead_is_an_error() {
        let (a, b) = channel().expect("channel");
        let (mut a, mut b) = (timed(a).expect("a"), timed(b).expect("b"));
        greet(&mut a, &|| true).expect("greet");
        await_greeting(&mut b, &|| true).expect("greeted");
        drop(a);
        assert!(
            await_greeting(&mut b, &|| true).is_err(),
            "gone, not greeted"
        );
    }

    #[test]
    fn a_door_that_waits_gives_up_when_told_and_a_closed_one_refuses() {
        let (parent, worker) = channel().expect("door");
        let far = Door::new(timed(worker).expect("timeouts"));
        let started = Instant::now();
        let deadline = started + Duration::from_millis(30);
        let err = far
            .receive(&|| Instant::now() < deadline)
            .expect_err("nothing sent");
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected it to give up rather than wait on: {:?} passed",
            started.elapsed()
        );
        drop(far);
        let (_mine, theirs) = channel().expect("channel");
        assert!(
            Door::new(parent).send(theirs.into()).is_err(),
            "nobody on the other side"
        );
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
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected it to give up rather than wait on: {:?} passed",
            started.elapsed()
        );
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
