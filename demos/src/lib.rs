//! corescope-demos: workloads and the probes that measure them.
//!
//! This crate owns the demo catalogue, the instrumented primitives (mutex,
//! semaphore, queue, counters, histograms) and the thread, process and async
//! runners. It never draws and never touches the terminal.
//!
//! Its modules in layers, each importing only from layers below it:
//! - primitives: `probes`, `control`, `worker`, `shm`, `gil`, `steps` (what
//!   a demo's thread and process halves both run);
//! - vocabulary: `catalog` (modes, kinds, parameter specs), `config` (a
//!   checked request), `outcome` (what a round showed), `context` (the
//!   `Demo` trait and the `RunContext` a round gets);
//! - workers: `pool` (threads) and `process` (worker processes and their
//!   roles);
//! - the demos: `demos::*`, one module each;
//! - the top: `registry` (the table of demos: specs and constructors), `run`
//!   (a demo on its own thread, sampled as a `DemoSample`) and `host`
//!   (start, steer, restart: what the binary calls).

#![warn(unreachable_pub)]
#![cfg_attr(not(test), deny(clippy::expect_used))]

pub mod catalog;
pub mod config;
pub(crate) mod context;
pub mod control;
pub mod demos;
pub mod gil;
pub mod host;
pub mod outcome;
pub(crate) mod pool;
pub mod probes;
pub mod process;
pub mod registry;
pub mod run;
pub mod shm;
mod steps;
pub mod worker;
