//! Output files that grow chunk by chunk: each chunk of persons appends its lines, so
//! memory stays bounded however many persons a prefecture has, while a file's running
//! totals (lines, claims, points) survive between chunks for its trailer.

use crate::error::{Result, SynthError, io};
use crate::rng::{Purpose, Stream, hash_str};
use renkei_formats::sjis;
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A defect that spoils a whole file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileDefect {
    /// The GO trailer's claim count disagrees with the file.
    TrailerMismatch,
    /// The file stops in the middle, without its trailer.
    Truncated,
}

#[derive(Default)]
pub struct OutFile {
    /// Lines written so far, including pending ones.
    pub lines: u64,
    pub claims: u64,
    pub points: u64,
    pending: String,
}

impl OutFile {
    /// Reserves the next line number and gives the buffer to write that line into.
    pub fn next_line(&mut self) -> (u64, &mut String) {
        self.lines += 1;
        (self.lines, &mut self.pending)
    }
}

pub struct FileSet {
    root: PathBuf,
    files: BTreeMap<String, OutFile>,
    pub bytes_written: u64,
}

impl FileSet {
    pub fn new(root: &Path) -> FileSet {
        FileSet {
            root: root.to_path_buf(),
            files: BTreeMap::new(),
            bytes_written: 0,
        }
    }

    /// The file at `rel` (relative to the output root), created with `header` the first
    /// time it is asked for.
    pub fn file(&mut self, rel: &str, header: impl FnOnce(&mut OutFile)) -> &mut OutFile {
        if !self.files.contains_key(rel) {
            let mut f = OutFile::default();
            header(&mut f);
            self.files.insert(rel.to_string(), f);
        }
        self.files.get_mut(rel).expect("inserted above")
    }

    fn append(&mut self, rel: &str, text: &str) -> Result<()> {
        let path = self.root.join(rel);
        let bytes = sjis::encode(text).map_err(|source| SynthError::Encoding {
            path: path.clone(),
            source,
        })?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        file.write_all(&bytes).map_err(io(&path))?;
        self.bytes_written += bytes.len() as u64;
        Ok(())
    }

    /// Appends every file's pending lines to disk (Shift_JIS).
    pub fn flush(&mut self) -> Result<()> {
        let pending: Vec<(String, String)> = self
            .files
            .iter_mut()
            .filter(|(_, f)| !f.pending.is_empty())
            .map(|(k, f)| (k.clone(), std::mem::take(&mut f.pending)))
            .collect();
        for (rel, text) in pending {
            self.append(&rel, &text)?;
        }
        Ok(())
    }

    /// Writes each file's trailer (if its kind has one) and applies file-level defects.
    /// Returns the bytes written and the files spoilt on purpose.
    pub fn finish(
        mut self,
        seed: u64,
        defect_rate: f64,
        trailer: impl Fn(&str, &mut OutFile, bool),
    ) -> Result<(u64, Vec<(String, FileDefect)>)> {
        let mut spoilt = Vec::new();
        for (rel, f) in self.files.iter_mut() {
            let mut rng = Stream::new(seed, Purpose::Defects, hash_str(rel), 1);
            let defect = (defect_rate > 0.0 && rng.chance(defect_rate)).then(|| {
                if rel.ends_with(".UKE") && rng.chance(0.5) {
                    FileDefect::TrailerMismatch
                } else {
                    FileDefect::Truncated
                }
            });
            if defect != Some(FileDefect::Truncated) {
                trailer(rel, f, defect == Some(FileDefect::TrailerMismatch));
            }
            if let Some(d) = defect {
                spoilt.push((rel.clone(), d, rng.unit()));
            }
        }
        self.flush()?;
        for (rel, defect, cut) in &spoilt {
            if *defect == FileDefect::Truncated {
                let path = self.root.join(rel);
                let bytes = fs::read(&path).map_err(io(&path))?;
                let len = bytes.len();
                let mut keep = (len / 2 + (len as f64 / 2.0 * cut) as usize).min(len.saturating_sub(1));
                // Never cut just after a line end: the file must visibly stop mid-line.
                if bytes[..keep].ends_with(b"\r\n") {
                    keep -= 1;
                }
                let file = OpenOptions::new().write(true).open(&path).map_err(io(&path))?;
                file.set_len(keep as u64).map_err(io(&path))?;
            }
        }
        Ok((self.bytes_written, spoilt.into_iter().map(|(r, d, _)| (r, d)).collect()))
    }
}

impl FileSet {
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
