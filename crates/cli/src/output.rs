//! Writing results to standard output.

use std::io::{ErrorKind as IoErrorKind, Write};

use narratix_domain::{ErrorKind, WireError};

/// Writes `text` and a final newline to stdout. A closed pipe (`narratix … | head`) is not a
/// failure.
pub fn print_text(text: &str) -> Result<(), WireError> {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                stdout.write_all(b"\n")
            }
        })
        .and_then(|()| stdout.flush());
    match written {
        Err(error) if error.kind() != IoErrorKind::BrokenPipe => Err(ErrorKind::StorageUnavailable
            .with_cause(format!("cannot write to standard output: {error}"))),
        _ => Ok(()),
    }
}
