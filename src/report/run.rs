//! What a `run` report adds to a watch report: how the command ended, whether
//! corescope ended it, and where its output went.

use std::path::Path;

use serde::Serialize;

use crate::launch::{Launched, RunEnd};
use crate::snapshot::RunExit;

/// The end of a command corescope started.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct RunOutcome {
    /// Its exit code; `null` when a signal killed it (or it was not seen to end).
    pub exit_code: Option<i32>,
    /// The signal that killed it (`SIGKILL`); `null` when it exited.
    pub signal: Option<String>,
    /// True when corescope ended it (Ctrl-C, `--duration`, quitting the
    /// dashboard); false when it ended on its own.
    pub stopped: bool,
    /// The file its output went to; `null` when it went to corescope's stderr.
    pub log: Option<String>,
    /// Processes besides the command that corescope ended: still running
    /// when it stopped the command, or left running by a command that
    /// exited (at its exit, or with `--stay` when corescope ended). `null`
    /// when unknown (a replay).
    pub descendants_ended: Option<u32>,
}

impl RunOutcome {
    /// Ends the command if it still runs (and what it left behind either way)
    /// and says how it ended.
    pub(crate) fn after_stop(command: &mut Launched) -> Self {
        let end = command.stop();
        Self::ended(&end, command.log_path())
    }

    /// The outcome of a run that ended as `end` says.
    #[must_use]
    pub(crate) fn ended(end: &RunEnd, log: Option<&Path>) -> Self {
        Self {
            descendants_ended: end.descendants_ended,
            ..Self::new(end.exit.as_ref(), end.stopped, log)
        }
    }

    /// An outcome from its parts.
    #[must_use]
    pub(crate) fn new(exit: Option<&RunExit>, stopped: bool, log: Option<&Path>) -> Self {
        Self {
            exit_code: exit.and_then(|e| e.code),
            signal: exit.and_then(|e| e.signal.clone()),
            stopped,
            log: log.map(|p| p.display().to_string()),
            descendants_ended: None,
        }
    }

    /// In words: `exited with code 0`, `killed by SIGTERM (stopped by corescope)`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let how = RunExit {
            code: self.exit_code,
            signal: self.signal.clone(),
        }
        .describe();
        let how = if self.stopped {
            format!("{how} (stopped by corescope)")
        } else {
            how
        };
        match self.descendants_ended {
            Some(0) | None => how,
            Some(1) => format!("{how}; corescope ended 1 more process it had started"),
            Some(n) => format!("{how}; corescope ended {n} more processes it had started"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_words_and_keep_both_keys() {
        let exited = RunExit {
            code: Some(0),
            signal: None,
        };
        let outcome = RunOutcome::new(Some(&exited), false, Some(Path::new("x.log")));
        assert_eq!(outcome.describe(), "exited with code 0");
        let json = serde_json::to_value(&outcome).expect("json");
        assert_eq!(json["exit_code"], 0);
        assert!(json["signal"].is_null(), "present, and null");
        assert_eq!(json["log"], "x.log");
        let killed = RunExit {
            code: None,
            signal: Some("SIGTERM".to_owned()),
        };
        let outcome = RunOutcome::new(Some(&killed), true, None);
        assert_eq!(
            outcome.describe(),
            "killed by SIGTERM (stopped by corescope)"
        );
        let json = serde_json::to_value(&outcome).expect("json");
        assert!(json["exit_code"].is_null() && json["log"].is_null());
        assert!(json["descendants_ended"].is_null(), "present, and null");
    }

    #[test]
    fn what_corescope_ended_besides_the_command_is_said() {
        let exited = RunExit {
            code: Some(0),
            signal: None,
        };
        let end = |n| RunEnd {
            exit: Some(exited.clone()),
            descendants_ended: Some(n),
            stopped: false,
        };
        let none = RunOutcome::ended(&end(0), None);
        assert_eq!(none.describe(), "exited with code 0");
        let three = RunOutcome::ended(&end(3), None);
        assert_eq!(
            three.describe(),
            "exited with code 0; corescope ended 3 more processes it had started"
        );
        assert_eq!(
            serde_json::to_value(&three).expect("json")["descendants_ended"],
            3
        );
        assert!(
            RunOutcome::ended(
                &RunEnd {
                    stopped: true,
                    ..end(1)
                },
                None
            )
            .describe()
            .ends_with("(stopped by corescope); corescope ended 1 more process it had started")
        );
    }
}
