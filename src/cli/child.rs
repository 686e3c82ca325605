//! Child processes of the commands that run seeds in their own process
//! (`suite`, `hunt`, `shrink`): starting one robustly and waiting for it
//! within a wall-clock bound.

use std::io::Read;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// Starts `command`, retrying a few times while the executable is busy
/// (`ETXTBSY`: another thread's fork still held the file open for writing
/// when it was just written, as a freshly built or generated binary can be).
pub(crate) fn spawn(command: &mut Command) -> std::io::Result<Child> {
    let mut tries_left = 50;
    loop {
        match command.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries_left > 0 => {
                tries_left -= 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// Waits for `child` at most `limit`, collecting its stderr; kills it
/// past the limit (`Ok(None)`).
pub(crate) fn wait_bounded(mut child: Child, limit: Duration) -> std::io::Result<Option<Output>> {
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = stderr {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout: Vec::new(),
        stderr,
    }))
}
