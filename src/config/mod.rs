//! corescope's configuration: the config file, the command line and the
//! environment, validated here, once, into the plain settings that `run()`
//! passes on.

pub mod error;
pub mod theme_file;
