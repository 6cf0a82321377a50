//! `manager`: a server process that holds a dictionary, and the clients
//! that update it through requests, as `multiprocessing.Manager().dict()`.
//!
//! The protocol is one line per request and per reply, over a channel per
//! client (see [`super::super::ipc`]), each passed to the server through the
//! door it was given:
//!
//! | request    | reply                                         |
//! | ---------- | --------------------------------------------- |
//! | `incr KEY` | the key's new count                           |
//! | `get KEY`  | its count (0 if absent)                       |
//! | `dump`     | one `KEY COUNT` line per key, sorted, then `end` |
//! | `shutdown` | `ok`; the server then stops                   |
//!
//! anything else gets `error ...`. Before any of it, the server greets each
//! connection it takes (one byte, see `ipc::greet`), so that no request's
//! time includes the server's start. The server answers each connection on a
//! thread of its own, as Python's manager does; one lock around the map
//! makes each request atomic, which is why no update is lost however many
//! clients there are.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufReader};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::super::ipc::{Door, POLL, await_greeting, greet, inherited, read_line, write_all};
use super::super::spec::value;
use super::duties::{bytes_sent, crash_now, task_done};
use crate::probes::WorkerState;
use crate::probes::clock::now_ns;
use crate::shm::SharedRegion;
use crate::worker::Worker;

/// The keys the clients update, in turn.
pub(crate) const KEYS: [&str; 4] = ["apples", "pears", "plums", "figs"];

/// The server's dictionary and whether it was asked to shut down.
#[derive(Debug, Default)]
pub(crate) struct Dictionary {
    entries: Mutex<HashMap<String, u64>>,
    shutdown: AtomicBool,
}

/// What one reply was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply {
    /// An `incr` or a `get`: the requests the demo counts as served.
    pub data: bool,
    /// Bytes sent back.
    pub bytes: u64,
}

impl Dictionary {
    /// Answers one request; the reply ends with a newline.
    fn answer(&self, request: &str) -> (String, bool) {
        let words: Vec<&str> = request.split_whitespace().collect();
        match words.as_slice() {
            ["incr", key] => {
                let mut entries = self.entries.lock();
                let count = entries.entry((*key).to_owned()).or_insert(0);
                *count += 1;
                (format!("{count}\n"), true)
            }
            ["get", key] => {
                let count = self.entries.lock().get(*key).copied().unwrap_or(0);
                (format!("{count}\n"), true)
            }
            ["dump"] => {
                let sorted: BTreeMap<String, u64> =
                    self.entries.lock().clone().into_iter().collect();
                let mut text = String::new();
                for (key, count) in sorted {
                    let _ = writeln!(text, "{key} {count}");
                }
                text.push_str("end\n");
                (text, false)
            }
            ["shutdown"] => {
                self.shutdown.store(true, Ordering::Relaxed);
                ("ok\n".to_owned(), false)
            }
            _ => (format!("error unknown request `{request}`\n"), false),
        }
    }

    /// Serves the connections that come through `door`, each on its own
    /// thread, until a `shutdown` request or until `keep_going` says stop;
    /// then waits for its connection threads (each ends within `POLL`).
    /// Calls `on_reply` after every reply sent.
    pub(crate) fn serve(
        &self,
        door: &Door,
        keep_going: &(dyn Fn() -> bool + Sync),
        on_reply: &(dyn Fn(Reply) + Sync),
    ) {
        let open = || keep_going() && !self.shutdown.load(Ordering::Relaxed);
        let open = &open;
        std::thread::scope(|scope| {
            let mut door_open = true;
            while open() {
                if !door_open {
                    // No connection can come any more: wait for `shutdown`.
                    std::thread::sleep(POLL);
                    continue;
                }
                match door.receive(open) {
                    Ok(Some(stream)) => {
                        // A connection the system cannot give a thread is
                        // closed again: its client reads the end and gives up.
                        let _ = std::thread::Builder::new()
                            .name("connection".into())
                            .spawn_scoped(scope, move || self.converse(stream, open, on_reply));
                    }
                    Ok(None) => door_open = false,
                    // Out of descriptors, say: wait for connections to end.
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        });
    }

    /// Answers one connection's requests until it closes or the server stops.
    fn converse(
        &self,
        stream: UnixStream,
        open: &dyn Fn() -> bool,
        on_reply: &(dyn Fn(Reply) + Sync),
    ) {
        let Ok(read_half) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(read_half);
        let mut writer = stream;
        if greet(&mut writer, open).is_err() {
            return;
        }
        while let Ok(Some(request)) = read_line(&mut reader, open) {
            let (text, data) = self.answer(&request);
            if write_all(&mut writer, text.as_bytes(), open).is_err() {
                return;
            }
            on_reply(Reply {
                data,
                bytes: text.len() as u64,
            });
        }
    }
}

/// A connection to the manager, for a client or the parent.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Connection {
    /// A connection over `stream`, a channel whose other end was passed to
    /// the server, once the server has greeted it.
    pub fn open(mut stream: UnixStream, keep_going: &dyn Fn() -> bool) -> io::Result<Self> {
        await_greeting(&mut stream, keep_going)?;
        let writer = stream;
        Ok(Self {
            reader: BufReader::new(writer.try_clone()?),
            writer,
        })
    }

    /// Sends one request and returns the one-line reply.
    pub fn ask(&mut self, request: &str, keep_going: &dyn Fn() -> bool) -> io::Result<String> {
        write_all(
            &mut self.writer,
            format!("{request}\n").as_bytes(),
            keep_going,
        )?;
        let reply = self.reply_line(keep_going)?;
        match reply.strip_prefix("error ") {
            Some(why) => Err(io::Error::other(why.to_owned())),
            None => Ok(reply),
        }
    }

    /// The whole dictionary, as the server holds it now.
    pub fn dump(&mut self, keep_going: &dyn Fn() -> bool) -> io::Result<BTreeMap<String, u64>> {
        let mut entries = BTreeMap::new();
        let mut line = self.ask("dump", keep_going)?;
        while line != "end" {
            let (key, count) = line
                .split_once(' ')
                .and_then(|(key, count)| Some((key.to_owned(), count.parse().ok()?)))
                .ok_or_else(|| io::Error::other(format!("a bad dictionary line: `{line}`")))?;
            entries.insert(key, count);
            line = self.reply_line(keep_going)?;
        }
        Ok(entries)
    }

    fn reply_line(&mut self, keep_going: &dyn Fn() -> bool) -> io::Result<String> {
        read_line(&mut self.reader, keep_going)?.ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
    }
}

/// The server's role: serves the dictionary to the connections passed
/// through its door until shut down or stopped, counting data requests and
/// bytes in the region.
pub(in crate::process) fn server(
    region: &SharedRegion,
    worker: &Worker,
    crash: bool,
) -> io::Result<()> {
    let door = Door::new(inherited()?);
    worker.set_state(WorkerState::SleepingIo);
    let controls = worker.controls();
    // Connection threads only read the controls: the probe has one writer,
    // this thread, so they never pass a checkpoint (a pause does not hold
    // the server; its clients are held instead).
    let keep_going = || !controls.is_stopping();
    let probe = worker.probe();
    let slot = worker.index();
    Dictionary::default().serve(&door, &keep_going, &|reply| {
        bytes_sent(region, slot, reply.bytes);
        if reply.data {
            region.values[value::MANAGER_SERVED].fetch_add(1, Ordering::Relaxed);
            probe.task_done();
            if crash {
                crash_now();
            }
        }
    });
    Ok(())
}

/// A client's role: `requests` increments of the keys in turn, each timed
/// into the region's latency histogram and counted once answered.
pub(in crate::process) fn client(
    region: &SharedRegion,
    worker: &Worker,
    requests: u64,
    crash: bool,
) -> io::Result<()> {
    let keep_going = || worker.checkpoint();
    let mut connection = Connection::open(inherited()?, &keep_going)?;
    for i in 0..requests {
        if !keep_going() {
            break;
        }
        worker.set_state(WorkerState::SleepingIo);
        let key = KEYS[(worker.index() + i as usize) % KEYS.len()];
        let request = format!("incr {key}");
        let asked_ns = now_ns();
        let reply = connection.ask(&request, &keep_going)?;
        region.latency.record(now_ns().saturating_sub(asked_ns));
        reply
            .parse::<u64>()
            .map_err(|_| io::Error::other(format!("a bad count: `{reply}`")))?;
        bytes_sent(region, worker.index(), request.len() as u64 + 1);
        region.values[value::MANAGER_REQUESTS].fetch_add(1, Ordering::Relaxed);
        task_done(region, worker, crash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ipc;
    use std::sync::atomic::AtomicU64;
    use std::time::{Duration, Instant};

    #[test]
    fn requests_are_answered_as_the_table_says() {
        let dictionary = Dictionary::default();
        assert_eq!(dictionary.answer("incr apples"), ("1\n".to_owned(), true));
        assert_eq!(dictionary.answer("incr apples"), ("2\n".to_owned(), true));
        assert_eq!(dictionary.answer("get apples"), ("2\n".to_owned(), true));
        assert_eq!(dictionary.answer("get pears"), ("0\n".to_owned(), true));
        dictionary.answer("incr figs");
        assert_eq!(
            dictionary.answer("dump"),
            ("apples 2\nfigs 1\nend\n".to_owned(), false)
        );
        assert!(dictionary.answer("explode").0.starts_with("error "));
        assert!(!dictionary.shutdown.load(Ordering::Relaxed));
        assert_eq!(dictionary.answer("shutdown").0, "ok\n");
        assert!(dictionary.shutdown.load(Ordering::Relaxed));
    }

    /// A door for a server thread, and a way to pass it channels: each call
    /// returns our end of a new one.
    fn door() -> (Door, impl Fn() -> UnixStream) {
        let (parent, server) = ipc::channel().expect("door");
        let parent = Door::new(parent);
        let connect = move || {
            let (mine, theirs) = ipc::channel().expect("channel");
            parent.send(theirs.into()).expect("send");
            ipc::timed(mine).expect("timeouts")
        };
        (Door::new(ipc::timed(server).expect("timeouts")), connect)
    }

    #[test]
    fn many_clients_lose_no_update_and_shutdown_ends_the_server() {
        let (door, connect) = door();
        let data_requests = AtomicU64::new(0);
        let dictionary = Dictionary::default();
        std::thread::scope(|scope| {
            let server = scope.spawn(|| {
                dictionary.serve(&door, &|| true, &|reply| {
                    if reply.data {
                        data_requests.fetch_add(1, Ordering::Relaxed);
                    }
                });
            });
            let clients: Vec<_> = (0..4)
                .map(|_| {
                    let mut c = Connection::open(connect(), &|| true).expect("open");
                    scope.spawn(move || {
                        for i in 0..50 {
                            let key = KEYS[i % KEYS.len()];
                            let count: u64 = c
                                .ask(&format!("incr {key}"), &|| true)
                                .expect("incr")
                                .parse()
                                .expect("a count");
                            assert!(count >= 1);
                        }
                    })
                })
                .collect();
            for client in clients {
                client.join().expect("client");
            }
            let mut parent = Connection::open(connect(), &|| true).expect("open");
            let entries = parent.dump(&|| true).expect("dump");
            assert_eq!(entries.values().sum::<u64>(), 200);
            assert_eq!(entries.len(), KEYS.len());
            assert!(parent.ask("explode", &|| true).is_err());
            assert_eq!(parent.ask("shutdown", &|| true).expect("ok"), "ok");
            let started = Instant::now();
            server.join().expect("server");
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "expected it to give up rather than wait on: {:?} passed",
                started.elapsed()
            );
        });
        assert_eq!(data_requests.load(Ordering::Relaxed), 200);
    }

    #[test]
    fn a_stop_ends_the_server_with_a_client_still_connected() {
        let (door, connect) = door();
        let stopping = AtomicBool::new(false);
        let dictionary = Dictionary::default();
        std::thread::scope(|scope| {
            let server = scope.spawn(|| {
                dictionary.serve(&door, &|| !stopping.load(Ordering::Relaxed), &|_| {});
            });
            let _idle = Connection::open(connect(), &|| true).expect("open");
            std::thread::sleep(Duration::from_millis(20));
            stopping.store(true, Ordering::Relaxed);
            let started = Instant::now();
            server.join().expect("server");
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "expected it to give up rather than wait on: {:?} passed",
                started.elapsed()
            );
        });
    }

    #[test]
    fn a_server_that_dies_fails_the_connection_instead_of_hanging() {
        let (door, connect) = door();
        let stream = connect();
        let dying = std::thread::spawn(move || {
            let stream = door.receive(&|| true).expect("receive");
            drop(stream);
        });
        dying.join().expect("dies");
        let started = Instant::now();
        assert!(Connection::open(stream, &|| true).is_err());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected it to give up rather than wait on: {:?} passed",
            started.elapsed()
        );
    }

    #[test]
    fn a_server_that_dies_after_greeting_fails_the_request_instead_of_hanging() {
        let (door, connect) = door();
        let stream = connect();
        let dying = std::thread::spawn(move || {
            let mut stream = door.receive(&|| true).expect("receive").expect("an end");
            greet(&mut stream, &|| true).expect("greet");
        });
        dying.join().expect("dies");
        let mut c = Connection::open(stream, &|| true).expect("greeted");
        let started = Instant::now();
        assert!(c.ask("incr apples", &|| true).is_err());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expected it to give up rather than wait on: {:?} passed",
            started.elapsed()
        );
    }
}
