//! `pipe`: the two ends of a duplex pipe between two processes, as
//! `multiprocessing.Pipe()` gives (a connected pair of UNIX stream sockets).
//!
//! The parent makes the pair and gives each process its end (see
//! [`super::super::ipc`]). The echo end sends every message back as it
//! came; the caller sends numbered messages of a fixed size, and times each
//! round trip until its echo is back. Messages
//! have a fixed size both ends know, so no framing is needed. The caller
//! ends the exchange by closing its sending side: the echo end reads the end
//! of the stream and finishes too.

use std::io;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::ipc::{await_greeting, greet, inherited, read_exact, write_all};
use super::super::spec::value;
use super::duties::{bytes_sent, crash_now, task_done};
use crate::probes::WorkerState;
use crate::probes::clock::now_ns;
use crate::shm::SharedRegion;
use crate::worker::Worker;

/// The caller's role: makes `messages` round trips on its channel, and reports
/// each in the region (its time in the latency histogram, its bytes in the
/// slot, whether it came back intact).
pub(in crate::process) fn caller(
    region: &SharedRegion,
    worker: &Worker,
    messages: u64,
    bytes: u64,
    crash: bool,
) -> io::Result<()> {
    let mut stream = inherited()?;
    worker.set_state(WorkerState::SleepingIo);
    // The first round trip must not include the echo end's start.
    await_greeting(&mut stream, &|| worker.checkpoint())?;
    call(
        &mut stream,
        messages,
        usize::try_from(bytes).unwrap_or(usize::MAX),
        &|| worker.checkpoint(),
        |round_trip, intact| {
            region
                .latency
                .record(u64::try_from(round_trip.as_nanos()).unwrap_or(u64::MAX));
            bytes_sent(region, worker.index(), bytes);
            region.values[value::PIPE_ROUND_TRIPS].fetch_add(1, Ordering::Relaxed);
            if intact {
                region.values[value::PIPE_INTACT].fetch_add(1, Ordering::Relaxed);
            }
            task_done(region, worker, crash);
            worker.set_state(WorkerState::SleepingIo);
        },
    )
    .map(drop)
}

/// The echo end's role: sends every message that comes on its channel
/// back, counting the bytes in its slot.
pub(in crate::process) fn echo_end(
    region: &SharedRegion,
    worker: &Worker,
    bytes: u64,
    crash: bool,
) -> io::Result<()> {
    let mut stream = inherited()?;
    worker.set_state(WorkerState::SleepingIo);
    greet(&mut stream, &|| worker.checkpoint())?;
    echo(
        &mut stream,
        usize::try_from(bytes).unwrap_or(usize::MAX),
        &|| worker.checkpoint(),
        || {
            bytes_sent(region, worker.index(), bytes);
            worker.task_done();
            if crash {
                crash_now();
            }
        },
    )
    .map(drop)
}

/// Fills message `n`: its number in the first 8 bytes, the rest with its
/// low byte, so that a reply mixed up with another message shows.
fn fill(message: &mut [u8], n: u64) {
    message.fill(n as u8);
    let number = n.to_le_bytes();
    let len = message.len().min(number.len());
    message[..len].copy_from_slice(&number[..len]);
}

/// Makes `messages` round trips of `bytes`-byte messages on `stream`, calling
/// `each` with every round trip's time and whether the echo matched the
/// message. Returns the round trips made (fewer when `keep_going` said
/// stop); closes the sending side at the end.
pub(crate) fn call(
    stream: &mut UnixStream,
    messages: u64,
    bytes: usize,
    keep_going: &dyn Fn() -> bool,
    mut each: impl FnMut(Duration, bool),
) -> io::Result<u64> {
    let mut message = vec![0; bytes];
    let mut reply = vec![0; bytes];
    let mut made = 0;
    while made < messages && keep_going() {
        fill(&mut message, made);
        let sent_ns = now_ns();
        write_all(stream, &message, keep_going)?;
        if !read_exact(stream, &mut reply, keep_going)? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let round_trip = Duration::from_nanos(now_ns().saturating_sub(sent_ns));
        made += 1;
        each(round_trip, reply == message);
    }
    stream.shutdown(Shutdown::Write)?;
    Ok(made)
}

/// Sends every `bytes`-byte message read on `stream` back, calling `each`
/// after each one, until the caller closes its side. Returns the messages
/// echoed.
pub(crate) fn echo(
    stream: &mut UnixStream,
    bytes: usize,
    keep_going: &dyn Fn() -> bool,
    mut each: impl FnMut(),
) -> io::Result<u64> {
    let mut message = vec![0; bytes];
    let mut echoed = 0;
    while read_exact(stream, &mut message, keep_going)? {
        write_all(stream, &message, keep_going)?;
        echoed += 1;
        each();
    }
    Ok(echoed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ipc::POLL;
    use std::time::Instant;

    fn pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().expect("pair");
        for end in [&a, &b] {
            end.set_read_timeout(Some(POLL)).expect("timeout");
            end.set_write_timeout(Some(POLL)).expect("timeout");
        }
        (a, b)
    }

    #[test]
    fn every_message_comes_back_intact_and_is_timed() {
        let (mut a, mut b) = pair();
        let echoer = std::thread::spawn(move || echo(&mut b, 100_000, &|| true, || {}));
        let mut times = Vec::new();
        let made = call(&mut a, 20, 100_000, &|| true, |t, intact| {
            assert!(intact);
            times.push(t);
        })
        .expect("call");
        assert_eq!(made, 20);
        assert_eq!(times.len(), 20);
        assert!(times.iter().all(|t| *t > Duration::ZERO));
        assert_eq!(echoer.join().expect("echo").expect("echo ends cleanly"), 20);
    }

    #[test]
    fn a_reply_that_is_not_the_message_is_caught() {
        let (mut a, mut b) = pair();
        let liar = std::thread::spawn(move || {
            let mut message = [0; 16];
            while read_exact(&mut b, &mut message, &|| true).expect("read") {
                message[15] ^= 1;
                write_all(&mut b, &message, &|| true).expect("write");
            }
        });
        let mut intact = 0;
        call(&mut a, 3, 16, &|| true, |_, ok| intact += u64::from(ok)).expect("call");
        assert_eq!(intact, 0);
        liar.join().expect("liar");
    }

    #[test]
    fn a_peer_that_dies_mid_exchange_ends_the_call() {
        let (mut a, b) = pair();
        let dying = std::thread::spawn(move || drop(b));
        dying.join().expect("dies");
        let started = Instant::now();
        assert!(call(&mut a, 5, 8, &|| true, |_, _| {}).is_err());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected it to give up rather than wait on: {:?} passed",
            started.elapsed()
        );
    }

    #[test]
    fn messages_differ_from_one_to_the_next() {
        let (mut one, mut two) = ([0; 12], [0; 12]);
        fill(&mut one, 1);
        fill(&mut two, 2);
        assert_ne!(one, two);
        let mut tiny = [0; 3];
        fill(&mut tiny, 0x0102_0304);
        assert_eq!(tiny, [4, 3, 2]);
    }
}
