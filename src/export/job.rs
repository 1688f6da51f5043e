//! The export job (replaced by the export branch).

use crate::jobs::JobContext;

/// Runs export `export_id`.
pub async fn run(_ctx: &JobContext, export_id: i64) -> anyhow::Result<()> {
    anyhow::bail!("export {export_id}: the Excel export is not part of this build yet")
}
