//! The `corescope` executable: everything lives in the library, so the
//! end-to-end tests can reach it too.

fn main() -> std::process::ExitCode {
    corescope::main_entry()
}
