//! `--replay DIR`: recorded `.sse` bodies served verbatim.
//!
//! Every `*.sse` file of the directory is loaded at start-up (sorted by name). A request whose
//! last user text contains `[[replay:NAME]]` gets `NAME.sse`; any other request gets the next
//! file in round-robin order. The bytes are sent unchanged, one blank-line-terminated frame per
//! write, so `--delay-ms` paces them like echo streams.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

/// The loaded fixtures.
pub(crate) struct Replay {
    files: Vec<(String, Bytes)>,
    next: AtomicUsize,
}

impl Replay {
    pub fn load(dir: &Path) -> std::io::Result<Replay> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "sse")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                files.push((stem.to_owned(), Bytes::from(std::fs::read(&path)?)));
            }
        }
        if files.is_empty() {
            let msg = format!("no .sse files in {}", dir.display());
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, msg));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Replay {
            files,
            next: AtomicUsize::new(0),
        })
    }

    /// The named fixture, or the next one round-robin when `name` is `None`.
    pub fn pick(&self, name: Option<&str>) -> Option<Bytes> {
        match name {
            Some(name) => self
                .files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone()),
            None => {
                let i = self.next.fetch_add(1, Ordering::Relaxed) % self.files.len();
                Some(self.files[i].1.clone())
            }
        }
    }
}
