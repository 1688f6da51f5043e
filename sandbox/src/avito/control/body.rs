//! A control endpoint's JSON body read field by field, and its answer: what was wrong with it
//! is a 400 naming the field.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::avito::data::moscow;
use crate::avito::error::json_response;
use crate::avito::live::LiveError;

pub(crate) fn bad(msg: String) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": msg}))
}

/// A live change's JSON body: fields by name, with what was wrong said in the 400.
pub(crate) struct Body(pub(crate) Value);

impl Body {
    pub(crate) fn parse(bytes: &Bytes) -> Result<Body, Rejected> {
        serde_json::from_slice::<Value>(bytes)
            .ok()
            .filter(Value::is_object)
            .map(Body)
            .ok_or_else(|| Rejected("expected a JSON object".into()))
    }

    pub(crate) fn user_id(&self) -> Result<i64, Rejected> {
        self.0
            .get("user_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Rejected("user_id (integer) is required".into()))
    }

    pub(crate) fn money(&self, field: &str) -> Result<f64, Rejected> {
        self.0
            .get(field)
            .and_then(Value::as_f64)
            .ok_or_else(|| Rejected(format!("{field} (number of roubles) is required")))
    }

    pub(crate) fn optional_i64(&self, field: &str) -> Result<Option<i64>, Rejected> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Rejected(format!("{field} must be an integer"))),
        }
    }

    /// `date` (YYYY-MM-DD), today in Moscow when absent.
    pub(crate) fn date(&self) -> Result<chrono::NaiveDate, Rejected> {
        match self.optional_str("date")? {
            Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Rejected(format!("date {d:?}: expected YYYY-MM-DD"))),
            None => Ok(chrono::Utc::now().with_timezone(&moscow()).date_naive()),
        }
    }

    pub(crate) fn optional_str(&self, field: &str) -> Result<Option<&str>, Rejected> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| Rejected(format!("{field} must be a string"))),
        }
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn applied(result: Result<Value, LiveError>) -> Response {
    match result {
        Ok(v) => json_response(StatusCode::OK, v),
        Err(e) => bad(e.to_string()),
    }
}

/// What was wrong with a live change's body, answered as a 400.
pub(crate) struct Rejected(pub(crate) String);

pub(crate) fn answer(result: Result<Response, Rejected>) -> Response {
    result.unwrap_or_else(|Rejected(why)| bad(why))
}
