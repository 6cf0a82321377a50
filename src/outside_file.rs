//! Reading a file corescope did not write: a config, a theme, a lesson, a
//! recording. Whoever named it may have named `/dev/zero` (endless), a FIFO
//! (blocks until someone writes) or a huge file; none of them may hang
//! corescope or fill its memory.
//!
//! A file is opened without blocking (`O_NONBLOCK`, so a FIFO's open
//! returns at once), checked to be a regular file on the descriptor opened
//! (`fstat`, so nothing can be swapped in between), and read up to a bound:
//! one byte more than the bound means the file is too large. The errors are
//! phrases to follow the file's name: `FILE: it does not exist`.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::OFlag;

/// The most a config, theme or lesson file may hold: far more than any
/// hand-written one needs.
pub(crate) const SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// Why an outside file cannot be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Nothing is at the path.
    Missing,
    /// Something other than a regular file is (its kind, in words).
    NotRegular(&'static str),
    /// The file holds more than the bound.
    TooLarge {
        /// The bound, in bytes.
        max_bytes: u64,
    },
    /// The file is not UTF-8 text.
    NotText,
    /// The system refused (permissions, a directory in the path...).
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => write!(f, "it does not exist"),
            Self::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            Self::TooLarge { max_bytes } => {
                write!(f, "it is larger than {}", size_in_words(*max_bytes))
            }
            Self::NotText => write!(f, "it is not UTF-8 text"),
            Self::Io(err) => write!(f, "cannot read it: {err}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::NotFound {
            Self::Missing
        } else {
            Self::Io(err)
        }
    }
}

/// Opens `path` for reading if it is a regular file, without ever blocking.
pub(crate) fn open_regular(path: &Path) -> Result<File, ReadError> {
    open_regular_with(path, OFlag::empty())
}

/// [`open_regular`], and never through a symbolic link: for files in a
/// directory another program may write to (a Python program's probes).
pub(crate) fn open_regular_unlinked(path: &Path) -> Result<File, ReadError> {
    open_regular_with(path, OFlag::O_NOFOLLOW)
}

fn open_regular_with(path: &Path, extra: OFlag) -> Result<File, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY | extra).bits())
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        Ok(file)
    } else {
        Err(ReadError::NotRegular(kind_in_words(kind)))
    }
}

/// The whole text of the regular file `path`, at most `max_bytes` of it.
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let file = open_regular(path)?;
    let bytes = read_bounded(file, max_bytes)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotText)
}

/// Everything `reader` yields, failing once it yields more than `max_bytes`.
pub(crate) fn read_bounded(reader: impl Read, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge { max_bytes });
    }
    Ok(bytes)
}

/// Reads the next line of `reader` into `line` (cleared first, newline
/// kept): `Ok(0)` at the end, else the bytes read. A line longer than
/// `max_bytes` is an error, found having read at most one byte more.
pub(crate) fn read_line_bounded(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max_bytes: u64,
) -> Result<usize, ReadError> {
    line.clear();
    let read = reader
        .take(max_bytes.saturating_add(1))
        .read_until(b'\n', line)?;
    if read as u64 > max_bytes {
        return Err(ReadError::TooLarge { max_bytes });
    }
    Ok(read)
}

/// `1 MiB`, `64 MiB`, `512 bytes`.
fn size_in_words(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a path that is not a regular file is, in words.
fn kind_in_words(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("corescope-outside-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join(name)
    }

    #[test]
    fn devices_fifos_and_directories_are_refused_without_reading() {
        let zero = read_text(Path::new("/dev/zero"), SMALL_FILE_BYTES).expect_err("zero");
        assert_eq!(
            zero.to_string(),
            "it is a character device, not a regular file"
        );
        let dir = read_text(Path::new("/"), SMALL_FILE_BYTES).expect_err("dir");
        assert_eq!(dir.to_string(), "it is a directory, not a regular file");
        let fifo = scratch("fifo");
        let _ = std::fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        // Without O_NONBLOCK this open would wait for a writer forever.
        let err = read_text(&fifo, SMALL_FILE_BYTES).expect_err("fifo");
        assert_eq!(err.to_string(), "it is a FIFO, not a regular file");
        let _ = std::fs::remove_file(&fifo);
    }

    #[test]
    fn the_unlinked_open_refuses_a_link_the_plain_one_follows() {
        let target = scratch("link-target");
        std::fs::write(&target, "text").expect("write");
        let link = scratch("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(
            open_regular(&link).is_ok(),
            "expected a link to a regular file opened where links are allowed"
        );
        assert!(
            open_regular_unlinked(&link).is_err(),
            "expected a link refused where links are not allowed"
        );
        assert!(
            open_regular_unlinked(&target).is_ok(),
            "expected the file itself opened"
        );
    }

    #[test]
    fn a_missing_file_is_said_to_be_missing() {
        let err = read_text(Path::new("/nonexistent/corescope.toml"), 10).expect_err("missing");
        assert!(matches!(err, ReadError::Missing));
        assert_eq!(err.to_string(), "it does not exist");
    }

    #[test]
    fn a_file_over_the_bound_is_too_large_and_one_at_it_is_read() {
        let path = scratch("sized");
        std::fs::write(&path, "x".repeat(100)).expect("write");
        assert_eq!(read_text(&path, 100).expect("at the bound").len(), 100);
        let err = read_text(&path, 99).expect_err("over");
        assert_eq!(err.to_string(), "it is larger than 99 bytes");
        assert_eq!(
            ReadError::TooLarge {
                max_bytes: SMALL_FILE_BYTES
            }
            .to_string(),
            "it is larger than 1 MiB"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn an_endless_line_is_cut_at_its_bound() {
        let mut zero = std::io::BufReader::new(File::open("/dev/zero").expect("zero"));
        let mut line = Vec::new();
        let err = read_line_bounded(&mut zero, &mut line, 4096).expect_err("endless");
        assert!(matches!(err, ReadError::TooLarge { max_bytes: 4096 }));
        assert!(line.len() <= 4097, "read {} bytes", line.len());
    }

    proptest! {
        #[test]
        fn reads_never_hold_more_than_the_bound_plus_one(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            max in 0_u64..1024,
        ) {
            match read_bounded(bytes.as_slice(), max) {
                Ok(read) => prop_assert!(read.len() as u64 <= max && read == bytes),
                Err(err) => {
                    let too_large = matches!(err, ReadError::TooLarge { .. });
                    prop_assert!(too_large && bytes.len() as u64 > max, "{}", err);
                }
            }
            let mut reader = bytes.as_slice();
            let mut line = Vec::new();
            let mut total = 0;
            while let Ok(read) = read_line_bounded(&mut reader, &mut line, max) {
                prop_assert!(line.len() as u64 <= max);
                if read == 0 {
                    prop_assert_eq!(total, bytes.len());
                    break;
                }
                total += read;
            }
        }
    }
}
