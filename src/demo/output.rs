//! `demo-output/`: the conversation, the report, the group's /stats, the workbook and the
//! metrics, each overwritten by the next run.

use std::path::{Path, PathBuf};

use anyhow::Context;

pub const CONVERSATION: &str = "conversation.txt";
pub const REPORT: &str = "report.txt";
pub const STATS: &str = "stats.txt";
pub const METRICS: &str = "metrics.txt";
pub const ALERTS: &str = "alerts.txt";
pub const REVIEW: &str = "review.txt";
/// Workbooks the bot names `avito-chats-<profile>-<date>.xlsx`: an earlier run's are replaced.
const WORKBOOK_PREFIX: &str = "avito-chats-";

/// The output directory, checked to be writable before the demo starts.
#[derive(Debug, Clone)]
pub struct OutDir {
    path: PathBuf,
}

impl OutDir {
    /// Creates the directory if missing and checks that files can be written in it.
    pub fn prepare(path: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create the output directory {}", path.display()))?;
        let probe = path.join(".avito-reports-demo-write-test");
        std::fs::write(&probe, b"")
            .with_context(|| format!("cannot write in the output directory {}", path.display()))?;
        let _ = std::fs::remove_file(&probe);
        Ok(Self {
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes (or overwrites) one file; its path.
    pub fn write(&self, name: &str, contents: &[u8]) -> anyhow::Result<PathBuf> {
        let file = self.path.join(name);
        std::fs::write(&file, contents)
            .with_context(|| format!("cannot write {}", file.display()))?;
        Ok(file)
    }

    /// Writes the workbook under the name the bot gave it, replacing an earlier run's.
    pub fn write_workbook(&self, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        // The name comes from the bot: keep only a plain file name.
        let name = Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.ends_with(".xlsx"))
            .unwrap_or("avito-chats.xlsx");
        let entries = std::fs::read_dir(&self.path)
            .with_context(|| format!("cannot list {}", self.path.display()))?;
        for entry in entries.flatten() {
            let old = entry.file_name();
            let old = old.to_string_lossy();
            if old.starts_with(WORKBOOK_PREFIX) && old.ends_with(".xlsx") && old != name {
                std::fs::remove_file(entry.path()).with_context(|| {
                    format!("cannot replace the earlier {}", entry.path().display())
                })?;
            }
        }
        self.write(name, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "avito-reports-demo-output-test-{name}-{}",
            std::process::id()
        ))
    }

    #[test]
    fn files_are_written_and_an_earlier_workbook_is_replaced() {
        let dir = scratch("replace");
        let out = OutDir::prepare(&dir.join("nested")).expect("prepared");
        out.write_workbook("avito-chats-Shop-2025-01-01.xlsx", b"old")
            .expect("written");
        out.write(REPORT, b"report").expect("written");
        let new = out
            .write_workbook("../avito-chats-Shop-2025-01-02.xlsx", b"new")
            .expect("written");
        assert_eq!(new, out.path().join("avito-chats-Shop-2025-01-02.xlsx"));
        let mut names: Vec<String> = std::fs::read_dir(out.path())
            .expect("listed")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["avito-chats-Shop-2025-01-02.xlsx", "report.txt"]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_unwritable_place_is_a_clear_error() {
        let dir = scratch("file");
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("a-file");
        std::fs::write(&file, b"x").expect("file");
        let e = OutDir::prepare(&file.join("out")).expect_err("a file is in the way");
        assert!(
            format!("{e:#}").contains("cannot create the output directory"),
            "{e:#}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
