//! CLI output that tolerates a closed pipe.
//!
//! Every command that prints (`verify`, `key`, `checkpoint`, `evidence`,
//! `verify-bundle`, `export` to stdout, `replay`, `copy`, `import`,
//! `openapi`) writes through [`outln!`](crate::outln) /
//! [`out!`](crate::out) (catalogue messages through [`say!`](crate::say)), which return the write's `io::Result` instead of
//! panicking as `println!` does. When the reader of stdout has gone
//! (`salesledger verify ... | head -1`), the write fails with
//! `BrokenPipe`; the command stops there and the binary exits quietly with
//! status 141 (128 + SIGPIPE, what a shell reports for a command killed by
//! SIGPIPE), so a pipeline under `set -o pipefail` still sees that the
//! output was cut short, and no panic or error message is printed
//! ([`is_broken_pipe`]).

use std::fmt;
use std::io::{self, Write};

/// The exit status of a command whose stdout was closed by its reader.
pub const BROKEN_PIPE_EXIT: u8 = 141;

/// Writes `args` to stdout (no newline), flushing nothing.
pub fn write_fmt(args: fmt::Arguments<'_>) -> io::Result<()> {
    io::stdout().lock().write_fmt(args)
}

/// Writes `args` and a newline to stdout.
pub fn write_line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.write_all(b"\n")
}

/// Whether `error` (or anything in its chain of sources) is a write to a
/// closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io_error| io_error.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `println!` that returns the write's `io::Result` (use with `?`).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// A CLI catalogue message on a line of its own, returning the write's
/// `io::Result`: `say!("cli-key", name = value, ...)` is
/// `outln!("{}", t!("cli-key", name = value, ...))`.
#[macro_export]
macro_rules! say {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::output::write_line(format_args!("{}", $crate::t!($id $(, $name = $value)*)))
    };
}

/// [`say!`](crate::say) indented by four spaces: a detail of the line
/// above it.
#[macro_export]
macro_rules! say_detail {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::output::write_line(format_args!("    {}", $crate::t!($id $(, $name = $value)*)))
    };
}

/// `print!` that returns the write's `io::Result` (use with `?`).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_fmt(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_found_through_context() {
        let error = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the export");
        assert!(is_broken_pipe(&error));
        let other = anyhow::Error::from(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other));
    }
}
