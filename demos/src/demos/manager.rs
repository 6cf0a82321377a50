//! `manager`: a server process holds a dictionary; worker processes update
//! it through requests, as with `multiprocessing.Manager().dict()`.
//!
//! Worker 0 is the manager: it serves a `HashMap` to the connections the
//! parent passes it through its door, one per client and one for the parent
//! (channels nobody else can reach: see `process::ipc`). Workers
//! 1..=`workers` are clients: each makes `tasks` `incr KEY` requests (the
//! keys in turn), timing each one, and counts those answered. The parent
//! then asks the server for the whole dictionary, checks that its counts add
//! up to the requests made, and sends `shutdown`; the server exits on its
//! own, and is killed only if it does not.
//!
//! The server is started by the demo's own launcher, from this thread,
//! before the clients' pool, because it must outlive the pool: the pool
//! returns once every client has ended.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::context::{Demo, RunContext};
use crate::outcome::{Latency, Outcome, ResultLine, RoundOutcome};
use crate::process::{
    ChildSpec, Exit, Launcher, ManagerConnection, PoolPlan, Role, STOP_GRACE, ipc,
    run_process_pool_with, slot, value,
};
use crate::shm::SharedRegion;

/// The server's slot; the clients' start at the next.
const SERVER: usize = slot::MANAGER_SERVER;

/// How long the parent waits for the server to answer its own requests.
const ASK_DEADLINE: Duration = Duration::from_secs(2);

/// What the manager's dictionary held after a round.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ManagerOutcome {
    /// Client processes.
    pub clients: usize,
    /// Requests each client was to make.
    pub requests_per_client: u64,
    /// Requests the clients made and saw answered.
    pub requests_made: u64,
    /// `incr` and `get` requests the server answered, as it counted them
    /// (the parent's `dump` and `shutdown` not included).
    pub requests_served: u64,
    /// The dictionary as the server returned it at the end; empty if it
    /// could not be asked.
    pub dictionary: BTreeMap<String, u64>,
    /// Its counts, summed.
    pub dictionary_total: u64,
    /// Each request's time, from sending it to having the reply.
    pub request: Latency,
    /// Bytes the clients and the server sent each other.
    pub bytes_moved: u64,
    /// Wall time of the clients' round, from the first spawn to the last
    /// exit, ms.
    pub wall_ms: f64,
    /// True when the server answered `shutdown` and exited cleanly.
    pub server_shut_down: bool,
}

impl RoundOutcome for ManagerOutcome {
    /// The dictionary against the requests made; requests served; latency.
    fn lines(&self) -> Vec<ResultLine> {
        let asked = self.clients as u64 * self.requests_per_client;
        let entries: Vec<String> = self
            .dictionary
            .iter()
            .map(|(key, count)| format!("{key} {count}"))
            .collect();
        vec![
            ResultLine::compare(
                "dictionary total",
                self.requests_made,
                self.dictionary_total,
                self.dictionary_total == self.requests_made && !self.dictionary.is_empty(),
                format!(
                    "every update the clients made is there: {}",
                    entries.join(", ")
                ),
            ),
            ResultLine::compare(
                "requests served",
                asked,
                self.requests_served,
                self.requests_served == asked,
                format!("by one server process, for {} clients", self.clients),
            ),
            ResultLine::figure(
                "request",
                self.request.mean_and_p99(),
                "mean / p99: a round trip to the server process".to_owned(),
            ),
            ResultLine::compare(
                "server shut down",
                "yes",
                if self.server_shut_down { "yes" } else { "no" },
                self.server_shut_down,
                "answered `shutdown` and exited on its own".to_owned(),
            ),
        ]
    }
}

/// The demo; its server and clients are worker processes.
pub struct Manager;

impl Manager {
    /// Nothing to register: the processes report through their slots.
    #[must_use]
    pub fn new(_ctx: &RunContext) -> Self {
        Self
    }

    fn round_in_processes(ctx: &RunContext, region: &'static SharedRegion) -> ManagerOutcome {
        let clients = ctx.controls.workers();
        let requests = ctx.config.get("tasks");
        region.latency.reset();
        for index in [value::MANAGER_REQUESTS, value::MANAGER_SERVED] {
            region.values[index].store(0, Ordering::Relaxed);
        }
        // The server's slot and its clients' (the config keeps them within
        // the region).
        let slots = &region.workers[SERVER..=clients.min(region.workers.len() - 1)];
        for slot in slots {
            slot.bytes_sent.store(0, Ordering::Relaxed);
        }
        region.controls.publish(&ctx.controls);
        let Some(server) = Server::start(ctx, region) else {
            return ManagerOutcome::default();
        };
        let role = |_| Role::ManagerClient { requests };
        // Each client's channel: one end through the door to the server (a
        // server already gone refuses it, and the client reads the end),
        // the other as the client's stdin.
        let channel = |_| {
            let (client, theirs) = ipc::channel()?;
            let _ = server.door.send(theirs.into());
            Ok(Some(OwnedFd::from(client)))
        };
        // The pool asks `more` at every tick: the moment to see whether the
        // server is still there.
        let more = |_: &SharedRegion| {
            server.watch();
            true
        };
        let run = run_process_pool_with(
            ctx,
            region,
            &PoolPlan {
                role: &role,
                more: &more,
                first_slot: SERVER + 1,
                fixed: Some(clients),
            },
            &channel,
        );
        server.watch();
        let (dictionary, answered_shutdown) = if server.is_running() {
            ask_for_the_dictionary(ctx, &server.door)
        } else {
            (BTreeMap::new(), false)
        };
        region.controls.publish(&ctx.controls);
        let server_shut_down = server.finish(ctx) && answered_shutdown;
        ManagerOutcome {
            clients,
            requests_per_client: requests,
            requests_made: region.values[value::MANAGER_REQUESTS].load(Ordering::Relaxed),
            requests_served: region.values[value::MANAGER_SERVED].load(Ordering::Relaxed),
            dictionary_total: dictionary.values().sum(),
            dictionary,
            request: region.latency.summary().into(),
            bytes_moved: slots
                .iter()
                .map(|slot| slot.bytes_sent.load(Ordering::Relaxed))
                .sum(),
            wall_ms: run.wall.as_secs_f64() * 1e3,
            server_shut_down,
        }
    }
}

/// The manager process, started by the demo itself: it must outlive the
/// clients' pool.
struct Server {
    launcher: RefCell<Launcher>,
    /// Our side of the server's door: connections are passed through it.
    door: ipc::Door,
    exits: RefCell<Vec<Exit>>,
}

impl Server {
    /// Starts the server in its slot; `None` (the run failed) if it cannot.
    fn start(ctx: &RunContext, region: &'static SharedRegion) -> Option<Self> {
        let mut launcher = Launcher::new();
        let spec = ChildSpec {
            slot: SERVER,
            role: Role::ManagerServer,
            fault: ctx.config.faults.get(&SERVER).copied(),
        };
        let door = ipc::channel().and_then(|(ours, theirs)| {
            launcher.spawn_with(region, &spec, Some(theirs.into()))?;
            Ok(ipc::Door::new(ours))
        });
        let door = match door {
            Ok(door) => door,
            Err(err) => {
                ctx.status
                    .fail(format!("cannot start the manager process: {err}"));
                ctx.controls.stop();
                return None;
            }
        };
        ctx.registry
            .register_worker_shared(SERVER, &region.workers[SERVER].probe);
        Some(Self {
            launcher: RefCell::new(launcher),
            door,
            exits: RefCell::new(Vec::new()),
        })
    }

    /// Reaps the server if it ended.
    fn watch(&self) {
        let ended = self.launcher.borrow_mut().reap();
        self.exits.borrow_mut().extend(ended);
    }

    fn is_running(&self) -> bool {
        self.launcher.borrow().is_running(SERVER)
    }

    /// Waits a moment for the server to exit, kills it if it does not, and
    /// reports how it ended: true for a clean exit.
    fn finish(self, ctx: &RunContext) -> bool {
        let mut exits = self.exits.into_inner();
        exits.extend(self.launcher.into_inner().stop_all(STOP_GRACE));
        for exit in exits.iter().filter(|e| !e.clean) {
            ctx.status.worker_failed(format!(
                "manager {} (pid {}) {}",
                exit.slot, exit.pid, exit.how
            ));
        }
        exits.iter().all(|e| e.clean)
    }
}

/// Asks the server for its dictionary, then to shut down: the dictionary
/// (empty if the server could not be asked) and whether it answered the
/// shutdown. Nothing is asked of a stopped run.
fn ask_for_the_dictionary(ctx: &RunContext, door: &ipc::Door) -> (BTreeMap<String, u64>, bool) {
    if ctx.controls.is_stopping() {
        return (BTreeMap::new(), false);
    }
    let deadline = Instant::now() + ASK_DEADLINE;
    let keep_going = || !ctx.controls.is_stopping() && Instant::now() < deadline;
    let connection = ipc::channel().and_then(|(ours, theirs)| {
        door.send(theirs.into())?;
        ManagerConnection::open(ipc::timed(ours)?, &keep_going)
    });
    let Ok(mut connection) = connection else {
        return (BTreeMap::new(), false);
    };
    let dictionary = connection.dump(&keep_going).unwrap_or_default();
    let shut_down = connection
        .ask("shutdown", &keep_going)
        .is_ok_and(|reply| reply == "ok");
    (dictionary, shut_down)
}

impl Demo for Manager {
    fn round(&mut self, ctx: &RunContext) -> Outcome {
        ctx.tasks
            .start_round(ctx.controls.workers() as u64 * ctx.config.get("tasks"));
        let Some(region) = ctx.region() else {
            ctx.status
                .fail("manager runs only in processes mode".to_owned());
            return Outcome::new(ManagerOutcome::default());
        };
        Outcome::new(Self::round_in_processes(ctx, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    #[test]
    fn a_dictionary_that_adds_up_reads_good() {
        let outcome = ManagerOutcome {
            clients: 2,
            requests_per_client: 3,
            requests_made: 6,
            requests_served: 6,
            dictionary: [("apples".to_owned(), 4), ("pears".to_owned(), 2)].into(),
            dictionary_total: 6,
            server_shut_down: true,
            ..ManagerOutcome::default()
        };
        let lines = outcome.lines();
        assert_eq!(lines[0].verdict, Verdict::Good);
        assert!(lines[0].note.ends_with("apples 4, pears 2"), "{lines:?}");
        assert_eq!(lines[1].verdict, Verdict::Good);
        assert_eq!(lines[3].verdict, Verdict::Good);
        let lost = ManagerOutcome {
            dictionary_total: 5,
            server_shut_down: false,
            ..outcome
        };
        assert_eq!(lost.lines()[0].verdict, Verdict::Bad);
        assert_eq!(lost.lines()[3].actual, "no");
    }

    #[test]
    fn no_dictionary_is_not_a_match() {
        let lines = ManagerOutcome::default().lines();
        assert_eq!(lines[0].verdict, Verdict::Bad, "nothing to compare");
    }
}
