//! A lesson step's Python program: launched as `corescope run -- python3
//! FILE` launches one (under the guardian, with the probes), from a private
//! directory (see `lesson_programs`).

use std::ffi::OsString;

use anyhow::{Context, Result};

use crate::launch::{Launched, Lifetime, OutputTo};
use crate::lesson::PythonStep;
use crate::python_probes::ProbeDir;

/// The interpreter a lesson step runs, found on `PATH`.
const PYTHON: &str = "python3";
/// The program's output, in its private directory (gone with it).
const OUTPUT: &str = "output.log";

/// Starts `step`'s program. The guardian's parent-death signal is tied to
/// the calling thread: call it from the session's, which outlives it.
pub(super) fn launch(step: &PythonStep) -> Result<Launched> {
    let probes = ProbeDir::create()?;
    let file = probes.add_program(step.program.name, step.program.text)?;
    let output = OutputTo::File(probes.path().join(OUTPUT));
    let command: Vec<OsString> = [OsString::from(PYTHON), file.into_os_string()]
        .into_iter()
        .chain(step.args.iter().map(OsString::from))
        .collect();
    Launched::start(&command, &output, Lifetime::EndWithCommand, Some(probes))
        .with_context(|| format!("this step runs {} with {PYTHON}", step.program.name))
}
