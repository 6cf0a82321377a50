//! Lessons: playlists of demo steps a lecturer walks through with `n`/`p`.
//!
//! A lesson is a TOML file (`assets/lessons/*.toml`): a title, a description,
//! and `[[step]]`s, each naming a demo with its options (`demo = "race"`) or
//! one of the course's built-in Python programs with its arguments
//! (`python = "semaphore.py"`, see `lesson_programs`), a title and a few
//! lines of notes. The lessons in `assets/lessons/` are built into the binary,
//! so `cargo run` finds them from any directory; `--lesson FILE` adds one.
//! Every step is checked against the demo catalogue and the built-in programs
//! when the file is read: a broken lesson is refused with its file and line,
//! before a class sees it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use corescope_demos::catalog::{Kind, Mode};
use corescope_demos::config::{DemoConfig, DemoRequest};

use crate::lesson_programs::{self, Program};
use crate::outside_file::{SMALL_FILE_BYTES, read_text};

/// The lessons shipped in `assets/lessons/`, by file name.
const BUILT_IN: [(&str, &str); 1] = [(
    "assets/lessons/concurrency.toml",
    include_str!("../assets/lessons/concurrency.toml"),
)];

/// A lesson, checked and ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// What the lesson is called.
    pub title: String,
    /// What it covers, in a sentence or two.
    pub description: String,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// One step: what it runs, and what to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The step's title.
    pub title: String,
    /// Its notes, a few lines.
    pub notes: String,
    /// What runs while the step is on.
    pub play: Play,
}

impl Step {
    /// The step's demo, when it runs one.
    #[must_use]
    pub const fn demo(&self) -> Option<&DemoConfig> {
        match &self.play {
            Play::Demo(config) => Some(config),
            Play::Python(_) => None,
        }
    }
}

/// What a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Play {
    /// A built-in demo with its settings.
    Demo(DemoConfig),
    /// A built-in Python program, run with probes as `corescope run` would.
    Python(PythonStep),
}

/// A built-in Python program and the arguments it is run with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonStep {
    /// The program.
    pub program: &'static Program,
    /// Its arguments (after the program's file name).
    pub args: Vec<String>,
}

/// A lesson file that cannot be used, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonError {
    /// The file.
    pub file: String,
    /// The 1-based line the problem is on; `None` when it is about the
    /// whole file (it does not exist, it is not a regular file).
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}: line {line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LessonError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    #[serde(default)]
    description: String,
    step: Vec<Spanned<StepFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    demo: Option<String>,
    python: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    notes: String,
    mode: Option<String>,
    kind: Option<String>,
    variant: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, u64>,
}

/// The built-in lessons.
pub fn built_in() -> Result<Vec<Lesson>, LessonError> {
    BUILT_IN
        .iter()
        .map(|(file, text)| parse(file, text))
        .collect()
}

/// Reads and checks the lesson in `path`.
pub fn load(path: &Path) -> Result<Lesson, LessonError> {
    let file = path.display().to_string();
    let text = read_text(path, SMALL_FILE_BYTES).map_err(|err| LessonError {
        file: file.clone(),
        line: None,
        message: err.to_string(),
    })?;
    parse(&file, &text)
}

/// Checks the lesson `text` read from `file`.
pub fn parse(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let error = |at: usize, message: String| LessonError {
        file: file.to_owned(),
        line: Some(line_of(text, at)),
        message,
    };
    let lesson: LessonFile = toml::from_str(text).map_err(|err| {
        let at = err.span().map_or(0, |span| span.start);
        error(at, err.message().trim().to_owned())
    })?;
    if lesson.step.is_empty() {
        return Err(error(0, "a lesson needs at least one [[step]]".to_owned()));
    }
    let steps = lesson
        .step
        .into_iter()
        .map(|step| {
            let at = step.span().start;
            let step = step.into_inner();
            let play = step_play(&step).map_err(|message| error(at, message))?;
            Ok(Step {
                title: step.title,
                notes: step.notes.trim().to_owned(),
                play,
            })
        })
        .collect::<Result<_, LessonError>>()?;
    Ok(Lesson {
        title: lesson.title,
        description: paragraphs(&lesson.description),
        steps,
    })
}

fn step_play(step: &StepFile) -> Result<Play, String> {
    let title = &step.title;
    match (&step.demo, &step.python) {
        (Some(demo), None) => {
            if !step.args.is_empty() {
                return Err(format!(
                    "step `{title}`: `args` go with a Python program; a demo takes `options`"
                ));
            }
            step_config(step, demo).map(Play::Demo)
        }
        (None, Some(name)) => {
            let demo_keys = [
                ("mode", step.mode.is_some()),
                ("kind", step.kind.is_some()),
                ("variant", step.variant.is_some()),
                ("options", !step.options.is_empty()),
            ];
            if let Some((key, _)) = demo_keys.iter().find(|(_, given)| *given) {
                return Err(format!(
                    "step `{title}`: `{key}` goes with a demo; a Python program takes `args`"
                ));
            }
            let program = lesson_programs::find(name).ok_or_else(|| {
                format!(
                    "step `{title}`: unknown Python program `{name}`; the programs are {}",
                    lesson_programs::names()
                )
            })?;
            Ok(Play::Python(PythonStep {
                program,
                args: step.args.clone(),
            }))
        }
        (Some(_), Some(_)) => Err(format!(
            "step `{title}`: a step runs a demo or a Python program, not both"
        )),
        (None, None) => Err(format!(
            "step `{title}`: a step needs `demo = \"NAME\"` or `python = \"FILE.py\"`"
        )),
    }
}

fn step_config(step: &StepFile, demo: &str) -> Result<DemoConfig, String> {
    let mode = match &step.mode {
        Some(name) => Some(Mode::from_name(name).ok_or_else(|| {
            format!("unknown mode `{name}`; the modes are threads, gil, processes, async")
        })?),
        None => None,
    };
    let kind = match &step.kind {
        Some(name) => Some(
            Kind::from_name(name)
                .ok_or_else(|| format!("unknown kind `{name}`; it is cpu or io"))?,
        ),
        None => None,
    };
    let request = DemoRequest {
        name: demo.to_owned(),
        mode,
        kind,
        variant: step.variant.clone(),
        values: step.options.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        ..DemoRequest::default()
    };
    DemoConfig::new(&request).map_err(|err| format!("step `{}`: {err}", step.title))
}

/// Text as written in a TOML multi-line string, reflowed: single line breaks
/// join words (the screen wraps to its own width), blank lines stay
/// paragraph breaks.
fn paragraphs(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text.char_indices()
        .take_while(|(i, _)| *i < at)
        .filter(|(_, c)| *c == '\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lessons_load_and_every_step_has_two_to_four_lines_of_notes() {
        let lessons = built_in().expect("built-in lessons");
        assert!(!lessons.is_empty());
        for lesson in &lessons {
            for step in &lesson.steps {
                let lines = step.notes.lines().count();
                assert!(
                    (2..=4).contains(&lines),
                    "`{}` has {lines} lines of notes",
                    step.title
                );
            }
        }
    }

    #[test]
    fn a_broken_step_names_its_file_and_line() {
        let text = "title = \"t\"\n\n[[step]]\ntitle = \"ok\"\ndemo = \"race\"\nnotes = \"a\\nb\"\n\n[[step]]\ntitle = \"bad\"\ndemo = \"raec\"\nnotes = \"a\\nb\"\n";
        let err = parse("mine.toml", text).expect_err("unknown demo");
        assert_eq!(err.line, Some(8), "{err}");
        assert!(
            err.to_string()
                .starts_with("mine.toml: line 8: step `bad`: unknown demo `raec`"),
            "{err}"
        );
    }

    const STEP_OK: &str =
        "title = \"t\"\n\n[[step]]\ntitle = \"ok\"\ndemo = \"race\"\nnotes = \"a\\nb\"\n\n";

    #[test]
    fn a_python_step_names_a_built_in_program_and_its_arguments() {
        let text = format!(
            "{STEP_OK}[[step]]\ntitle = \"py\"\npython = \"counter.py\"\nargs = [\"unsafe\"]\nnotes = \"a\\nb\"\n"
        );
        let lesson = parse("mine.toml", &text).expect("a good lesson");
        assert_eq!(lesson.steps[0].demo().map(|c| c.spec.name), Some("race"));
        let Play::Python(step) = &lesson.steps[1].play else {
            panic!("step 2 runs a Python program: {:?}", lesson.steps[1].play);
        };
        assert_eq!(
            (step.program.name, step.args.as_slice()),
            ("counter.py", &["unsafe".to_owned()][..])
        );
        assert_eq!(lesson.steps[1].demo(), None);
    }

    #[test]
    fn an_unknown_program_is_refused_with_its_file_and_line() {
        let text = format!(
            "{STEP_OK}[[step]]\ntitle = \"bad\"\npython = \"semafore.py\"\nnotes = \"a\\nb\"\n"
        );
        let err = parse("mine.toml", &text).expect_err("unknown program");
        assert_eq!(err.line, Some(8), "{err}");
        assert!(
            err.to_string().starts_with(
                "mine.toml: line 8: step `bad`: unknown Python program `semafore.py`; \
                 the programs are counter.py, "
            ),
            "{err}"
        );
        // A path is not a program name: nothing outside the built-in ones runs.
        let text = text.replace("semafore.py", "../assets/python/semaphore.py");
        assert!(parse("mine.toml", &text).is_err());
    }

    #[test]
    fn a_step_runs_a_demo_or_a_program_never_both_nor_neither() {
        let cases = [
            ("demo = \"race\"\npython = \"pipe.py\"\n", "not both"),
            (
                "",
                "a step needs `demo = \"NAME\"` or `python = \"FILE.py\"`",
            ),
            (
                "python = \"pipe.py\"\nmode = \"gil\"\n",
                "`mode` goes with a demo",
            ),
            (
                "python = \"pipe.py\"\noptions = { workers = 2 }\n",
                "`options` goes with a demo",
            ),
            (
                "demo = \"race\"\nargs = [\"x\"]\n",
                "`args` go with a Python program",
            ),
        ];
        for (keys, wanted) in cases {
            let text = format!("{STEP_OK}[[step]]\ntitle = \"s\"\n{keys}notes = \"a\\nb\"\n");
            let err = parse("m.toml", &text).expect_err(keys);
            assert_eq!(err.line, Some(8), "{keys}: {err}");
            assert!(
                err.message.contains(wanted),
                "{keys}: wanted `{wanted}`, got: {err}"
            );
        }
    }

    #[test]
    fn a_missing_or_endless_file_is_named_without_a_line() {
        let err = load(Path::new("/nonexistent/lesson.toml")).expect_err("missing");
        assert_eq!(
            err.to_string(),
            "/nonexistent/lesson.toml: it does not exist"
        );
        let err = load(Path::new("/dev/zero")).expect_err("endless");
        assert_eq!(
            err.to_string(),
            "/dev/zero: it is a character device, not a regular file"
        );
    }

    #[test]
    fn a_syntax_error_and_an_unknown_key_name_their_line() {
        let err = parse("x.toml", "title = \"t\"\n[[step]\n").expect_err("syntax");
        assert_eq!((err.file.as_str(), err.line), ("x.toml", Some(2)), "{err}");
        let err = parse(
            "y.toml",
            "title = \"t\"\n[[step]]\ntitle = \"s\"\ndemo = \"race\"\nnotes = \"n\"\nworkers = 3\n",
        )
        .expect_err("unknown key");
        assert!(err.message.contains("workers"), "{err}");
        let err = parse("z.toml", "title = \"t\"\n[[step]]\ntitle = \"s\"\ndemo = \"race\"\nnotes = \"n\"\noptions = { workers = 0 }\n")
            .expect_err("bad value");
        assert!(
            err.message.contains("--workers must be between 1 and 4096"),
            "{err}"
        );
    }

    #[test]
    fn descriptions_reflow_but_keep_paragraphs() {
        assert_eq!(
            paragraphs("one\ntwo  three\n\nfour\n"),
            "one two three\n\nfour"
        );
    }

    #[test]
    fn an_empty_lesson_is_refused() {
        assert!(parse("e.toml", "title = \"t\"\nstep = []\n").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn any_lesson_text_is_checked_without_panicking(text in crate::fuzz_inputs::toml_text()) {
            match parse("lesson.toml", &text) {
                Ok(lesson) => proptest::prop_assert!(lesson.steps.len() <= text.len()),
                Err(err) => {
                    let lines = text.lines().count().max(1);
                    proptest::prop_assert!(err.line.is_none_or(|line| line <= lines + 1), "{}", err);
                }
            }
        }
    }
}
