//! Lessons: playlists of demo steps a lecturer walks through with `n`/`p`.
//!
//! A lesson is a TOML file (`assets/lessons/*.toml`): a title, a description,
//! and `[[step]]`s, each naming a demo with its options, a title and a few
//! lines of notes. The lessons in `assets/lessons/` are built into the binary,
//! so `cargo run` finds them from any directory; `--lesson FILE` adds one.
//! Every step is checked against the demo catalogue when the file is read: a
//! broken lesson is refused with its file and line, before a class sees it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use corescope_demos::catalog::{Kind, Mode};
use corescope_demos::config::{DemoConfig, DemoRequest};

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

/// One step: a demo with its settings, and what to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The step's title.
    pub title: String,
    /// Its notes, a few lines.
    pub notes: String,
    /// The demo to run.
    pub config: DemoConfig,
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
    demo: String,
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
            let config = step_config(&step).map_err(|message| error(at, message))?;
            Ok(Step {
                title: step.title,
                notes: step.notes.trim().to_owned(),
                config,
            })
        })
        .collect::<Result<_, LessonError>>()?;
    Ok(Lesson {
        title: lesson.title,
        description: paragraphs(&lesson.description),
        steps,
    })
}

fn step_config(step: &StepFile) -> Result<DemoConfig, String> {
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
        name: step.demo.clone(),
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
