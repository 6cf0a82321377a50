//! The course's Python programs (`assets/python/*.py`), built into the
//! binary so that a lesson step can run one from any directory.
//!
//! A lesson step names one by file name (`python = "semaphore.py"`); the
//! session writes its text into the private directory the probes live in
//! (see `python_probes::ProbeDir`: mode 0700, a fresh `mkdtemp` name, each
//! file created new with mode 0600 and never through a link) and runs it
//! there with `python3`, under the guardian, as `corescope run` would. The
//! program keeps its own file name, so its probes are named after it
//! (`sem (semaphore.py:15)`), and `multiprocessing` finds its main module.

/// One built-in program.
#[derive(Debug, PartialEq, Eq)]
pub struct Program {
    /// Its file name in `assets/python/`.
    pub name: &'static str,
    /// Its text.
    pub text: &'static str,
}

macro_rules! programs {
    ($($name:literal),* $(,)?) => {
        [$(Program {
            name: $name,
            text: include_str!(concat!("../assets/python/", $name)),
        }),*]
    };
}

/// Every built-in program, by file name.
pub(crate) static PROGRAMS: [Program; 11] = programs![
    "counter.py",
    "lock_counter.py",
    "semaphore.py",
    "producer_consumer.py",
    "queue_pipeline.py",
    "sender_receiver.py",
    "cpu_threads.py",
    "cpu_processes.py",
    "pool_map.py",
    "pipe.py",
    "io_threads.py",
];

/// The built-in program called `name`.
#[must_use]
pub(crate) fn find(name: &str) -> Option<&'static Program> {
    PROGRAMS.iter().find(|program| program.name == name)
}

/// The names of every built-in program, for a message.
#[must_use]
pub(crate) fn names() -> String {
    PROGRAMS
        .iter()
        .map(|program| program.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_in_assets_is_built_in_and_found_by_name() {
        let mut on_disk: Vec<String> = std::fs::read_dir("assets/python")
            .expect("assets/python")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| {
                std::path::Path::new(name)
                    .extension()
                    .is_some_and(|e| e == "py")
            })
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = PROGRAMS.iter().map(|p| p.name.to_owned()).collect();
        built_in.sort();
        assert_eq!(built_in, on_disk, "assets/python and PROGRAMS differ");
        let semaphore = find("semaphore.py").expect("semaphore.py");
        assert!(semaphore.text.contains("threading.Semaphore(2)"));
        assert_eq!(find("nope.py"), None);
        assert_eq!(find("../semaphore.py"), None);
    }
}
