//! What the contract server answers: the spec's examples, or random schema-valid bodies in
//! either documented form.

use serde_json::{Map, Value};

use super::example::example_answer;
use super::generate::random_answer;
use crate::avito::openapi::OpenApi;
use crate::avito::rng::SplitMix64;

/// Operations with a documented alternative form of their 200 answer.
pub const ALTERNATIVE_FORMS: [&str; 2] = ["getMessagesV3", "postOperationsHistory"];

/// What a [`ContractServer`](super::ContractServer) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMode {
    /// The spec's own example for every operation ([`example_answer`]), the same every time.
    Examples,
    /// A random schema-valid answer, a pure function of (seed, operation, n-th request of that
    /// operation); see [`AnswerMode::answer`].
    Random { seed: u64, forms: Forms },
}

/// Which form answers take for the operations in [`ALTERNATIVE_FORMS`] (others have one form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Forms {
    /// Per request, chosen by the rng (about half each).
    #[default]
    Mixed,
    /// Always the form the response schema describes (so every answer validates).
    Spec,
    /// Always the documented alternative.
    Alternative,
}

impl AnswerMode {
    /// Random answers in both forms.
    pub fn random(seed: u64) -> Self {
        AnswerMode::Random {
            seed,
            forms: Forms::Mixed,
        }
    }

    /// The body answered to the `n`-th (0-based) request of `operation_id`; `None` if the spec
    /// has no such operation or it documents no JSON 200 response.
    ///
    /// In `Random` mode the body comes from `SplitMix64::at(&[seed, key(op), n])` and the form
    /// from a separate stream, so the `Spec` and `Alternative` forms of one request carry the
    /// same data.
    pub fn answer(&self, spec: &OpenApi, operation_id: &str, n: u64) -> Option<Value> {
        match *self {
            AnswerMode::Examples => example_answer(spec, operation_id),
            AnswerMode::Random { seed, forms } => {
                let key = operation_key(operation_id);
                let body = random_answer(spec, operation_id, &mut SplitMix64::at(&[seed, key, n]))?;
                let alternative = match forms {
                    Forms::Spec => false,
                    Forms::Alternative => true,
                    Forms::Mixed => SplitMix64::at(&[seed, key, n, FORM_STREAM]).chance(0.5),
                };
                Some(if alternative {
                    alternative_form(operation_id, body)
                } else {
                    body
                })
            }
        }
    }
}

/// Salt of the rng stream that chooses the form.
const FORM_STREAM: u64 = 0xF0F0;

/// The documented alternative of a spec-form answer; other operations' answers unchanged.
///
/// * `getMessagesV3`: `[...]` → `{"messages": [...]}`;
/// * `postOperationsHistory`: `{"result": {...}}` → the content of `result` (so
///   `{"operations": [...]}`); an answer without a `result` object is left as it is.
pub fn alternative_form(operation_id: &str, spec_form: Value) -> Value {
    match operation_id {
        "getMessagesV3" => {
            let mut wrapper = Map::new();
            wrapper.insert("messages".into(), spec_form);
            Value::Object(wrapper)
        }
        "postOperationsHistory" => match spec_form {
            Value::Object(mut o) => match o.remove("result") {
                Some(inner @ Value::Object(_)) => inner,
                Some(other) => {
                    o.insert("result".into(), other);
                    Value::Object(o)
                }
                None => Value::Object(o),
            },
            other => other,
        },
        _ => spec_form,
    }
}

/// A stable 64-bit key for an operation id (FNV-1a), for the rng coordinates.
pub fn operation_key(operation_id: &str) -> u64 {
    operation_id.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}
