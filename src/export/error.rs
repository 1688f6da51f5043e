//! How a chat export fails. A leaf: the collector, the pipeline and the job's decisions all
//! name it.

use super::workbook::WriteError;
use crate::avito::AvitoError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("Avito failed on {what}: {source}")]
    Avito { what: String, source: AvitoError },
    /// Avito refused the Messenger to valid keys: a subscription or account-role matter the
    /// owner must settle with Avito, not a failure to retry.
    #[error(
        "this Avito account has no access to the Messenger API: Avito opens it with the «Максимальный» subscription for goods or «Расширенный» for services, and an employee's keys do not see the company's chats"
    )]
    NoMessengerAccess,
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("the workbook writer stopped unexpectedly")]
    WriterGone,
}
