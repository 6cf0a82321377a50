//! Worker processes: the parent's launcher and pool, the child's main and
//! roles, the message between them, and the channels some of them talk over.

mod child;
pub mod ipc;
mod launcher;
mod pool;
mod roles;
mod spec;

pub use child::{BAD_START, ORPHANED, ROLE_FAILED, child_main};
pub use launcher::{Exit, Launcher};
pub use pool::{PoolPlan, ProcessRun, STOP_GRACE, run_process_pool, run_process_pool_with};
pub use roles::manager::Connection as ManagerConnection;
pub use spec::{ChildSpec, PoolResult, Role, SENTINEL, slot, value};
