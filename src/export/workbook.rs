//! The .xlsx writer: a "Chats" and a "Messages" sheet in constant-memory mode, split into
//! numbered parts that each stay under a size limit.
//!
//! Synchronous (rust_xlsxwriter is): run it on a blocking thread. Both sheets stream: a chat
//! arrives with all its messages, so its Chats row and its Messages rows are written at once,
//! each sheet in row order, and constant-memory mode flushes every finished row to a temporary
//! file. Only column widths and counters stay in memory.
//!
//! A part's final size is known only after it is zipped, so parts are cut by an estimate: the
//! XML bytes written times a compression ratio. The first part assumes a pessimistic ratio;
//! each finished part measures the real one, so later parts come close to the limit. A part
//! that still comes out over the limit is an error (it is never sent).

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::render::{self, ChatRow, MessageRow, RenderCtx};
use super::texts::{X, x};
use crate::avito::model::{Chat, Message};

/// Telegram's bot upload limit, less room for the multipart envelope.
pub const TELEGRAM_UPLOAD_LIMIT: u64 = 50 * 1024 * 1024 - 64 * 1024;
/// Excel's row limit is 1,048,576; parts are cut well before it.
const MAX_ROWS: u32 = 1_000_000;
/// Zipped size of an empty two-sheet workbook (styles, relationships), rounded up.
const FIXED_BYTES: u64 = 12 * 1024;
/// Assumed zipped/XML ratio before a part has been measured: XML of this kind deflates 4-8x.
const FIRST_RATIO: f64 = 0.5;
/// Margin on a measured ratio: the next part's text may compress a little worse.
const RATIO_MARGIN: f64 = 1.2;
/// Widest column, in characters.
const MAX_WIDTH: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot write the workbook: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "part {part} came out at {size} bytes, over the {limit}-byte limit (one chat alone may be too large for this limit)"
    )]
    PartTooLarge { part: usize, size: u64, limit: u64 },
    #[error("the part size limit {0} bytes is too small: at least {min} bytes are needed", min = FIXED_BYTES * 4)]
    LimitTooSmall(u64),
}

const CHAT_COLS: [X; 10] = [
    X::ColChatId,
    X::ColItemId,
    X::ColItemTitle,
    X::ColItemUrl,
    X::ColCounterparty,
    X::ColCounterpartyUrl,
    X::ColCreated,
    X::ColUpdated,
    X::ColMessageCount,
    X::ColLastMessage,
];
const MESSAGE_COLS: [X; 8] = [
    X::ColChatId,
    X::ColItemTitle,
    X::ColTime,
    X::ColDirection,
    X::ColAuthor,
    X::ColType,
    X::ColText,
    X::ColRead,
];
/// Width of a date-time column ("2025-01-31 23:59").
const DATE_WIDTH: usize = 17;

/// One finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartFile {
    pub path: PathBuf,
    pub size: u64,
    pub chats: u64,
    pub messages: u64,
}

struct Formats {
    header: Format,
    date: Format,
}

/// The part being written.
struct Part {
    workbook: Workbook,
    path: PathBuf,
    chat_rows: u32,
    message_rows: u32,
    xml: u64,
    chat_widths: [usize; 10],
    message_widths: [usize; 8],
}

/// Writes chats into one or more workbooks at `out` (`name.xlsx`, or `name-1.xlsx`,
/// `name-2.xlsx`, … when split).
pub struct PartsWriter {
    ctx: RenderCtx,
    out: PathBuf,
    limit: u64,
    ratio: f64,
    formats: Formats,
    current: Option<Part>,
    /// Finished parts under temporary names; renamed by `finish`, removed on drop otherwise.
    done: Vec<PartFile>,
    finished: bool,
}

impl PartsWriter {
    pub fn new(out: &Path, limit: u64, ctx: RenderCtx) -> Result<Self, WriteError> {
        if limit < FIXED_BYTES * 4 {
            return Err(WriteError::LimitTooSmall(limit));
        }
        Ok(Self {
            ctx,
            out: out.to_path_buf(),
            limit,
            ratio: FIRST_RATIO,
            formats: Formats {
                header: Format::new().set_bold(),
                date: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            },
            current: None,
            done: Vec::new(),
            finished: false,
        })
    }

    fn estimate(&self, xml: u64) -> u64 {
        FIXED_BYTES + (xml as f64 * self.ratio) as u64
    }

    /// Adds one chat with its messages (`messages` in the order they should appear).
    pub fn add_chat(&mut self, chat: &Chat, messages: &[Message]) -> Result<(), WriteError> {
        let ctx = self.ctx;
        let chat_row = render::chat_row(&ctx, chat, messages.len() as u64);
        let rows: Vec<MessageRow<'_>> = messages
            .iter()
            .map(|m| render::message_row(&ctx, chat, m))
            .collect();
        let xml = chat_xml(&chat_row) + rows.iter().map(message_xml).sum::<u64>();
        if let Some(part) = &self.current
            && part.chat_rows > 0
            && (self.estimate(part.xml + xml) > self.limit
                || part.message_rows as usize + rows.len() > MAX_ROWS as usize)
        {
            self.close_part()?;
        }
        if self.current.is_none() {
            self.current = Some(self.open_part()?);
        }
        let Self {
            current, formats, ..
        } = self;
        let Some(part) = current.as_mut() else {
            return Ok(());
        };
        part.xml += xml;
        part.chat_rows += 1;
        let r = part.chat_rows;
        write_chat(
            part.workbook.worksheet_from_index(0)?,
            r,
            &chat_row,
            formats,
            &mut part.chat_widths,
        )?;
        let sheet = part.workbook.worksheet_from_index(1)?;
        for row in &rows {
            part.message_rows += 1;
            write_message(
                sheet,
                part.message_rows,
                row,
                formats,
                &mut part.message_widths,
            )?;
        }
        Ok(())
    }

    fn open_part(&self) -> Result<Part, WriteError> {
        let n = self.done.len() + 1;
        let path = temp_name(&self.out, n);
        let mut workbook = Workbook::new();
        for (name, cols) in [
            (X::SheetChats, &CHAT_COLS[..]),
            (X::SheetMessages, &MESSAGE_COLS[..]),
        ] {
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            sheet.set_name(x(self.ctx.lang, name))?;
            for (c, key) in cols.iter().enumerate() {
                sheet.write_string_with_format(
                    0,
                    c as u16,
                    x(self.ctx.lang, *key),
                    &self.formats.header,
                )?;
            }
            sheet.set_freeze_panes(1, 0)?;
        }
        let header_widths = |cols: &[X]| -> Vec<usize> {
            cols.iter()
                // Room for the autofilter's drop-down arrow.
                .map(|k| x(self.ctx.lang, *k).chars().count() + 3)
                .collect()
        };
        let mut chat_widths = [0; 10];
        chat_widths.copy_from_slice(&header_widths(&CHAT_COLS));
        let mut message_widths = [0; 8];
        message_widths.copy_from_slice(&header_widths(&MESSAGE_COLS));
        Ok(Part {
            workbook,
            path,
            chat_rows: 0,
            message_rows: 0,
            xml: 0,
            chat_widths,
            message_widths,
        })
    }

    fn close_part(&mut self) -> Result<(), WriteError> {
        let Some(mut part) = self.current.take() else {
            return Ok(());
        };
        for (index, rows, widths) in [
            (0, part.chat_rows, &part.chat_widths[..]),
            (1, part.message_rows, &part.message_widths[..]),
        ] {
            let sheet = part.workbook.worksheet_from_index(index)?;
            sheet.autofilter(0, 0, rows, (widths.len() - 1) as u16)?;
            for (c, w) in widths.iter().enumerate() {
                sheet.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64 + 1.0)?;
            }
        }
        part.workbook.save(&part.path)?;
        let size = std::fs::metadata(&part.path)?.len();
        let number = self.done.len() + 1;
        self.done.push(PartFile {
            path: part.path,
            size,
            chats: u64::from(part.chat_rows),
            messages: u64::from(part.message_rows),
        });
        if size > self.limit {
            return Err(WriteError::PartTooLarge {
                part: number,
                size,
                limit: self.limit,
            });
        }
        if part.xml > 0 {
            let measured = size.saturating_sub(FIXED_BYTES / 2).max(1) as f64 / part.xml as f64;
            self.ratio = (measured * RATIO_MARGIN).clamp(0.02, 1.0);
        }
        tracing::debug!(
            part = number,
            size,
            ratio = self.ratio,
            "export part written"
        );
        Ok(())
    }

    /// Closes the last part and gives the files their final names. An export with no chats
    /// still gives one workbook (headers only).
    pub fn finish(mut self) -> Result<Vec<PartFile>, WriteError> {
        if self.current.is_none() && self.done.is_empty() {
            self.current = Some(self.open_part()?);
        }
        self.close_part()?;
        let count = self.done.len();
        for (i, part) in self.done.iter_mut().enumerate() {
            let target = final_name(&self.out, i + 1, count);
            std::fs::rename(&part.path, &target)?;
            part.path = target;
        }
        self.finished = true;
        Ok(std::mem::take(&mut self.done))
    }
}

impl Drop for PartsWriter {
    /// An unfinished export leaves no files behind: nothing half-written can be taken for a
    /// complete export.
    fn drop(&mut self) {
        if !self.finished {
            for part in &self.done {
                let _ = std::fs::remove_file(&part.path);
            }
            if let Some(part) = &self.current {
                let _ = std::fs::remove_file(&part.path);
            }
        }
    }
}

fn stem_and_ext(out: &Path) -> (String, String) {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_owned());
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "xlsx".to_owned());
    (stem, ext)
}

fn temp_name(out: &Path, n: usize) -> PathBuf {
    let (stem, ext) = stem_and_ext(out);
    out.with_file_name(format!(".{stem}.part{n}.partial.{ext}"))
}

/// `out` itself for a single part, else `stem-N.ext`.
pub fn final_name(out: &Path, n: usize, count: usize) -> PathBuf {
    if count <= 1 {
        return out.to_path_buf();
    }
    let (stem, ext) = stem_and_ext(out);
    out.with_file_name(format!("{stem}-{n}.{ext}"))
}

/// Upper bound of a string cell's XML: `<c r="XFD1048576" s="99" t="inlineStr"><is><t>…</t></is></c>`.
fn str_xml(s: &str) -> u64 {
    let escapes = s
        .bytes()
        .filter(|b| matches!(b, b'&' | b'<' | b'>' | b'"'))
        .count();
    60 + s.len() as u64 + 5 * escapes as u64
}
const NUM_XML: u64 = 50;
const ROW_XML: u64 = 40;

fn opt_str_xml(s: Option<&str>) -> u64 {
    s.map_or(0, str_xml)
}

fn chat_xml(r: &ChatRow<'_>) -> u64 {
    ROW_XML
        + str_xml(r.chat_id)
        + NUM_XML * 4
        + opt_str_xml(r.item_title)
        + opt_str_xml(r.item_url)
        + opt_str_xml(r.counterparty)
        + opt_str_xml(r.counterparty_url)
        + str_xml(&r.last_message)
}

fn message_xml(r: &MessageRow<'_>) -> u64 {
    ROW_XML
        + str_xml(r.chat_id)
        + opt_str_xml(r.item_title)
        + NUM_XML * 2
        + opt_str_xml(r.direction)
        + str_xml(&r.author)
        + str_xml(r.kind)
        + str_xml(&r.text)
}

fn widen(widths: &mut [usize], col: usize, text: &str) {
    // Only the first line counts; characters beyond the cap do not matter.
    let n = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(MAX_WIDTH)
        .count();
    if let Some(w) = widths.get_mut(col)
        && n > *w
    {
        *w = n;
    }
}

fn put_str(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<&str>,
    widths: &mut [usize],
) -> Result<(), XlsxError> {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        sheet.write_string(row, col, v)?;
        widen(widths, col as usize, v);
    }
    Ok(())
}

fn put_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    f: &Formats,
    widths: &mut [usize],
) -> Result<(), XlsxError> {
    if let Some(v) = value {
        sheet.write_number_with_format(row, col, v, &f.date)?;
        if let Some(w) = widths.get_mut(col as usize) {
            *w = (*w).max(DATE_WIDTH);
        }
    }
    Ok(())
}

fn put_num(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    widths: &mut [usize],
) -> Result<(), XlsxError> {
    if let Some(v) = value {
        sheet.write_number(row, col, v)?;
        widen(widths, col as usize, &v.to_string());
    }
    Ok(())
}

fn write_chat(
    sheet: &mut Worksheet,
    row: u32,
    r: &ChatRow<'_>,
    f: &Formats,
    w: &mut [usize],
) -> Result<(), XlsxError> {
    put_str(sheet, row, 0, Some(r.chat_id), w)?;
    put_num(sheet, row, 1, r.item_id.map(|i| i as f64), w)?;
    put_str(sheet, row, 2, r.item_title, w)?;
    put_str(sheet, row, 3, r.item_url, w)?;
    put_str(sheet, row, 4, r.counterparty, w)?;
    put_str(sheet, row, 5, r.counterparty_url, w)?;
    put_date(sheet, row, 6, r.created, f, w)?;
    put_date(sheet, row, 7, r.updated, f, w)?;
    put_num(sheet, row, 8, Some(r.message_count as f64), w)?;
    put_str(sheet, row, 9, Some(&r.last_message), w)?;
    Ok(())
}

fn write_message(
    sheet: &mut Worksheet,
    row: u32,
    r: &MessageRow<'_>,
    f: &Formats,
    w: &mut [usize],
) -> Result<(), XlsxError> {
    put_str(sheet, row, 0, Some(r.chat_id), w)?;
    put_str(sheet, row, 1, r.item_title, w)?;
    put_date(sheet, row, 2, r.time, f, w)?;
    put_str(sheet, row, 3, r.direction, w)?;
    put_str(sheet, row, 4, Some(&r.author), w)?;
    put_str(sheet, row, 5, Some(r.kind), w)?;
    put_str(sheet, row, 6, Some(&r.text), w)?;
    if let Some(read) = r.read {
        sheet.write_boolean(row, 7, read)?;
    }
    Ok(())
}
