//! Method parameters from any of the encodings the Bot API accepts: query string, JSON,
//! `application/x-www-form-urlencoded` and `multipart/form-data` (files included).
//!
//! Values keep their JSON type when sent as JSON and are strings otherwise, so the typed
//! getters accept both (`chat_id: 42` and `chat_id=42`), as Telegram does.

use std::collections::HashMap;

use axum::Form;
use axum::body::to_bytes;
use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// Telegram's upload limit for bots.
pub(crate) const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// Room for the other multipart fields on top of a maximal file.
pub(crate) const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct UploadedFile {
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, Value>,
    /// Multipart parts that carried a file name, by part name.
    files: HashMap<String, UploadedFile>,
}

impl Params {
    pub async fn from_request(req: Request) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Ok(Query(query)) = Query::<Vec<(String, String)>>::try_from_uri(req.uri()) {
            params.extend_strings(query);
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            params.read_multipart(req).await?;
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, &())
                .await
                .map_err(|e| ApiError::bad(format!("can't parse request: {e}")))?;
            params.extend_strings(fields);
        } else if content_type.starts_with("application/json") {
            let body = to_bytes(req.into_body(), MAX_BODY_BYTES)
                .await
                .map_err(|_| ApiError::TooLarge)?;
            if !body.is_empty() {
                let object: serde_json::Map<String, Value> = serde_json::from_slice(&body)
                    .map_err(|e| ApiError::bad(format!("can't parse JSON object: {e}")))?;
                params.values.extend(object);
            }
        }
        Ok(params)
    }

    async fn read_multipart(&mut self, req: Request) -> Result<(), ApiError> {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad(format!("can't parse multipart: {e}")))?;
        let mut total = 0usize;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(()),
                Err(e) => return Err(multipart_error(&e.body_text())),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| multipart_error(&e.body_text()))?;
            total += bytes.len();
            if total > MAX_UPLOAD_BYTES {
                return Err(ApiError::TooLarge);
            }
            match file_name {
                Some(file_name) => {
                    let file_name = Some(file_name).filter(|n| !n.is_empty());
                    self.files.insert(
                        name,
                        UploadedFile {
                            file_name,
                            bytes: bytes.to_vec(),
                        },
                    );
                }
                None => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    self.values.insert(name, Value::String(text));
                }
            }
        }
    }

    fn extend_strings(&mut self, pairs: Vec<(String, String)>) {
        self.values
            .extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
    }

    /// A string parameter; numbers and booleans are given in their text form.
    pub fn str(&self, key: &str) -> Option<String> {
        match self.values.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| invalid(key)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid(key)),
            Some(_) => Err(invalid(key)),
        }
    }

    pub fn required_i64(&self, key: &str) -> Result<i64, ApiError> {
        self.i64(key)?
            .ok_or_else(|| ApiError::bad(format!("{key} is empty")))
    }

    pub fn bool(&self, key: &str) -> Result<bool, ApiError> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "True" | "1" => Ok(true),
                "" | "false" | "False" | "0" => Ok(false),
                _ => Err(invalid(key)),
            },
            Some(Value::Number(n)) => Ok(n.as_i64() != Some(0)),
            Some(_) => Err(invalid(key)),
        }
    }

    /// A JSON-valued parameter, sent either as JSON or as a string holding JSON.
    pub fn json_value(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad(format!("can't parse {key} JSON object"))),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    pub fn json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.json_value(key)?
            .map(|v| {
                serde_json::from_value(v)
                    .map_err(|e| ApiError::bad(format!("can't parse {key}: {e}")))
            })
            .transpose()
    }

    /// The target chat. `@channelusername` targets are not emulated, so they are "not found".
    pub fn chat_id(&self) -> Result<i64, ApiError> {
        match self.values.get("chat_id") {
            Some(Value::String(s)) if s.starts_with('@') => Err(ApiError::chat_not_found()),
            _ => self.required_i64("chat_id"),
        }
    }

    /// An `InputFile` parameter: a part uploaded under `key`, or `attach://<part>` naming one
    /// (teloxide's way), or the `file_id` of a file sent before.
    pub fn input_file(&mut self, key: &str) -> Result<InputFile, ApiError> {
        if let Some(file) = self.files.remove(key) {
            return Ok(InputFile::Upload(file));
        }
        let value = self
            .str(key)
            .ok_or_else(|| ApiError::bad("there is no document in the request"))?;
        if let Some(part) = value.strip_prefix("attach://") {
            return self
                .files
                .remove(part)
                .map(InputFile::Upload)
                .ok_or_else(|| ApiError::bad("there is no document in the request"));
        }
        Ok(InputFile::FileId(value))
    }
}

impl Params {
    /// The uploaded part named `name` (a media group item's `attach://name`).
    pub fn take_file(&mut self, name: &str) -> Option<UploadedFile> {
        self.files.remove(name)
    }
}

pub(crate) enum InputFile {
    Upload(UploadedFile),
    FileId(String),
}

fn invalid(key: &str) -> ApiError {
    ApiError::bad(format!("invalid {key} specified"))
}

fn multipart_error(text: &str) -> ApiError {
    if text.contains("length limit") || text.contains("too large") {
        ApiError::TooLarge
    } else {
        ApiError::bad(format!("can't parse multipart: {text}"))
    }
}
