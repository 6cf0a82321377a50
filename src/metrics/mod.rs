//! `--metrics ADDR`: corescope's figures for Prometheus, in the OpenMetrics
//! text format, at `http://ADDR/metrics`.
//!
//! The contract:
//! - Every snapshot the sampler makes passes through [`Exporter::publish`]
//!   (the metrics tap of `record::Taps`), on the session's thread, in the
//!   dashboard and headless alike. It turns the snapshot into a bounded
//!   [`frame::Frame`] (the top N threads, the rest summed) and publishes it
//!   on a `tokio::sync::watch` channel where the newest replaces the one
//!   before. A scrape encodes the newest frame: it never reads `/proc`, and
//!   the sampler never waits for a scrape.
//! - The HTTP server ([`serve`]) runs on its own small thread with a
//!   current-thread tokio runtime, apart from the screen's: a slow scraper
//!   cannot delay a frame. It answers `GET /metrics` (OpenMetrics when the
//!   scraper asks for it, as Prometheus does; the classic text format
//!   otherwise) and 404 to anything else; it only reads.
//! - The listening socket is bound before anything starts
//!   ([`Exporter::start`]), so a port in use is one error line and no run.
//!   A bare port means `127.0.0.1:PORT`: loopback unless the address says
//!   otherwise.
//!
//! Why a `Collector` over the newest frame rather than registered metrics
//! updated at every tick: the set of series changes from tick to tick (the
//! top threads, the demo's probes, a thread that exits), and a registry of
//! live metrics would have to remove series by hand or keep them forever.
//! The collector writes exactly what the newest snapshot holds, and a
//! value the snapshot does not know is left out, never written as 0.

mod encode;
mod frame;
mod serve;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;

use crate::sampler::machine::MachineSample;
use crate::snapshot::Snapshot;

pub(crate) use frame::Frame;

/// The threads exported one by one unless `--metrics-top` says.
pub(crate) const DEFAULT_TOP_THREADS: usize = 20;

/// Parses `--metrics ADDR`: `PORT` (then `127.0.0.1:PORT`), `IP:PORT` or
/// `[IPv6]:PORT`.
pub(crate) fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is not PORT, IP:PORT or [IPv6]:PORT (e.g. 9464 or 127.0.0.1:9464)")
    })
}

/// The `/metrics` endpoint of this run: the newest frame, shared with the
/// server thread. Cloning it shares the same endpoint.
#[derive(Clone)]
pub struct Exporter {
    newest: Arc<watch::Sender<Option<Arc<Frame>>>>,
    top_threads: usize,
    /// The most CPU time of the tree exported so far, so that the counter
    /// never goes back.
    cpu_ns_seen: Arc<std::sync::atomic::AtomicU64>,
    addr: SocketAddr,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("addr", &self.addr)
            .field("top_threads", &self.top_threads)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Binds `addr` now and serves `/metrics` from a thread of its own.
    /// Fails, in one line naming the address, when it cannot listen there.
    pub fn start(addr: SocketAddr, top_threads: usize) -> Result<Self> {
        let listener = TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on {addr} for --metrics"))?;
        let addr = listener.local_addr().unwrap_or(addr);
        let (newest, frames) = watch::channel(None);
        serve::spawn(listener, frames)?;
        Ok(Self {
            newest: Arc::new(newest),
            top_threads,
            cpu_ns_seen: Arc::default(),
            addr,
        })
    }

    /// Makes `snapshot` the one the next scrape reads.
    pub fn publish(&self, snapshot: &Snapshot) {
        use std::sync::atomic::Ordering::Relaxed;
        let cpu_ns = snapshot
            .target
            .cpu_time_ns
            .map(|ns| self.cpu_ns_seen.fetch_max(ns, Relaxed).max(ns));
        let frame = Frame::new(snapshot, self.top_threads, cpu_ns);
        self.newest.send_replace(Some(Arc::new(frame)));
    }

    /// Makes `machine` the one the next scrape reads (`watch --all`), with
    /// the top processes one by one (as many as threads would be).
    pub fn publish_machine(&self, machine: &MachineSample) {
        let frame = Frame::of_machine(machine, self.top_threads);
        self.newest.send_replace(Some(Arc::new(frame)));
    }
}

#[cfg(test)]
mod tests;
