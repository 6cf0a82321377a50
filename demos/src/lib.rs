//! corescope-demos: workloads and the probes that measure them.
//!
//! This crate owns the demo catalogue, the instrumented primitives (mutex,
//! semaphore, queue, counters, histograms) and the thread, process and async
//! runners. It never draws and never touches the terminal.

pub mod catalog;
pub mod config;
pub mod control;
pub mod demos;
pub mod gil;
pub mod outcome;
pub mod pool;
pub mod probes;
pub mod process;
pub mod run;
pub mod shm;
pub mod worker;
