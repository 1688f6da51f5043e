//! Fault injection: what to do instead of (or before) answering an operation.
//!
//! Spec syntax (for CLI flags and `POST /_control/faults`): `OP=FAULT[@N]`, where `OP` is an
//! operationId or `*` (every operation), `@N` applies the fault N times then clears it, and
//! `FAULT` is one of `status:CODE`, `latency:DUR` (`250ms`, `2s`, `1m`; a bare number is ms),
//! `timeout`, `malformed`, `ratelimited`, or `accepted:FAULT` (the request is carried out —
//! a write is stored — and then `FAULT` answers instead: `status:CODE`, `timeout`,
//! `malformed` or `latency:DUR`). Examples: `itemAnalytics=status:500`,
//! `getChatsV2=latency:200ms`, `getMessagesV3=timeout`, `*=latency:100ms`, `getItemsInfo=status:503@2`,
//! `createReviewAnswerV1=accepted:status:502`, `createReviewAnswerV1=accepted:timeout@1`.

use std::collections::HashMap;
use std::time::Duration;

use super::ops::Op;

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait, then answer normally.
    Latency(Duration),
    /// Answer this status with the operation's documented error body.
    Status(u16),
    /// Never answer within any sane client timeout (10 minutes).
    Timeout,
    /// 200 with a truncated JSON body.
    MalformedBody,
    /// 429 with the operation's documented 429 body and `X-RateLimit-*` headers.
    RateLimited,
    /// Apply the inner fault this many more times, then clear.
    Times(u32, Box<Fault>),
    /// Carry the request out (a write takes effect), then answer with the inner fault instead:
    /// the client cannot tell whether it was taken. The inner fault is `Status`, `Timeout`,
    /// `MalformedBody` or `Latency` (a late answer).
    Accepted(Box<Fault>),
}

/// How long [`Fault::Timeout`] hangs.
pub const TIMEOUT_HANG: Duration = Duration::from_secs(600);

/// Parses `OP=FAULT[@N]` (see the module docs).
pub fn parse_fault_spec(s: &str) -> Result<(String, Fault), String> {
    let (op, fault) = s
        .trim()
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected OP=FAULT"))?;
    let op = op.trim();
    if op != "*" && Op::from_id(op).is_none() {
        return Err(format!("{s:?}: unknown operationId {op:?}"));
    }
    let (fault, times) = match fault.rsplit_once('@') {
        Some((f, n)) => (
            f,
            Some(
                n.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("{s:?}: bad repeat count {n:?}"))?,
            ),
        ),
        None => (fault, None),
    };
    let base = base_fault(s, fault)?;
    let fault = match times {
        Some(n) => Fault::Times(n, Box::new(base)),
        None => base,
    };
    Ok((op.to_owned(), fault))
}

/// One fault without its repeat count; `s` is the whole spec, for messages.
fn base_fault(s: &str, fault: &str) -> Result<Fault, String> {
    let (kind, arg) = match fault.trim().split_once(':') {
        Some((k, a)) => (k.trim(), Some(a.trim())),
        None => (fault.trim(), None),
    };
    let need = |what: &str| arg.ok_or_else(|| format!("{s:?}: {kind} needs :{what}"));
    Ok(match kind.to_ascii_lowercase().as_str() {
        "status" => {
            let code: u16 = need("CODE")?
                .parse()
                .map_err(|_| format!("{s:?}: bad status code"))?;
            if !(100..=599).contains(&code) {
                return Err(format!("{s:?}: status must be 100..=599"));
            }
            Fault::Status(code)
        }
        "latency" => Fault::Latency(
            parse_duration(need("DURATION")?).ok_or_else(|| format!("{s:?}: bad duration"))?,
        ),
        "timeout" => Fault::Timeout,
        "malformed" => Fault::MalformedBody,
        "ratelimited" | "rate_limited" | "429" => Fault::RateLimited,
        "accepted" => match base_fault(s, need("FAULT")?)? {
            inner @ (Fault::Status(_)
            | Fault::Timeout
            | Fault::MalformedBody
            | Fault::Latency(_)) => Fault::Accepted(Box::new(inner)),
            _ => {
                return Err(format!(
                    "{s:?}: accepted takes status, timeout, malformed or latency"
                ));
            }
        },
        other => return Err(format!("{s:?}: unknown fault {other:?}")),
    })
}

/// `250ms`, `2s`, `1m`, or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    match unit {
        "" | "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" | "min" => Some(Duration::from_secs(n.checked_mul(60)?)),
        _ => None,
    }
}

/// Faults by operationId (`*` = all operations; a specific entry wins).
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    by_op: HashMap<String, Fault>,
}

impl FaultTable {
    pub fn set(&mut self, op: &str, fault: Fault) {
        self.by_op.insert(op.to_owned(), fault);
    }

    pub fn clear(&mut self) {
        self.by_op.clear();
    }

    /// The fault to apply to one request of `op`, consuming one use of a `Times` fault.
    pub fn take(&mut self, op: Op) -> Option<Fault> {
        let key = if self.by_op.contains_key(op.id()) {
            op.id()
        } else {
            "*"
        };
        let entry = self.by_op.get_mut(key)?;
        let (fault, exhausted) = consume(entry);
        if exhausted {
            self.by_op.remove(key);
        }
        fault
    }
}

/// Returns the fault to apply now and whether the entry is used up.
fn consume(f: &mut Fault) -> (Option<Fault>, bool) {
    match f {
        Fault::Times(0, _) => (None, true),
        Fault::Times(n, inner) => {
            let (applied, inner_done) = consume(inner);
            *n -= 1;
            (applied, *n == 0 || inner_done)
        }
        other => (Some(other.clone()), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(
            parse_fault_spec("itemAnalytics=status:500"),
            Ok(("itemAnalytics".into(), Fault::Status(500)))
        );
        assert_eq!(
            parse_fault_spec("getChatsV2=latency:200ms"),
            Ok((
                "getChatsV2".into(),
                Fault::Latency(Duration::from_millis(200))
            ))
        );
        assert_eq!(
            parse_fault_spec("getMessagesV3=timeout"),
            Ok(("getMessagesV3".into(), Fault::Timeout))
        );
        assert_eq!(
            parse_fault_spec("*=latency:100ms"),
            Ok(("*".into(), Fault::Latency(Duration::from_millis(100))))
        );
        assert_eq!(
            parse_fault_spec("getItemsInfo=status:503@2"),
            Ok((
                "getItemsInfo".into(),
                Fault::Times(2, Box::new(Fault::Status(503)))
            ))
        );
        assert_eq!(
            parse_fault_spec("createReviewAnswerV1=accepted:status:502@1"),
            Ok((
                "createReviewAnswerV1".into(),
                Fault::Times(1, Box::new(Fault::Accepted(Box::new(Fault::Status(502)))))
            ))
        );
        assert_eq!(
            parse_fault_spec("createReviewAnswerV1=accepted:timeout"),
            Ok((
                "createReviewAnswerV1".into(),
                Fault::Accepted(Box::new(Fault::Timeout))
            ))
        );
        assert!(parse_fault_spec("createReviewAnswerV1=accepted").is_err());
        assert!(parse_fault_spec("createReviewAnswerV1=accepted:ratelimited").is_err());
        assert!(parse_fault_spec("createReviewAnswerV1=accepted:accepted:timeout").is_err());
        assert!(parse_fault_spec("nope=timeout").is_err());
        assert!(parse_fault_spec("itemAnalytics=status").is_err());
        assert!(parse_fault_spec("itemAnalytics=explode").is_err());
    }

    #[test]
    fn times_clears_after_n_uses_and_specific_beats_wildcard() {
        let mut t = FaultTable::default();
        t.set("*", Fault::Latency(Duration::from_millis(1)));
        t.set(
            "itemAnalytics",
            Fault::Times(2, Box::new(Fault::Status(500))),
        );
        assert_eq!(t.take(Op::ItemAnalytics), Some(Fault::Status(500)));
        assert_eq!(t.take(Op::ItemAnalytics), Some(Fault::Status(500)));
        assert_eq!(
            t.take(Op::ItemAnalytics),
            Some(Fault::Latency(Duration::from_millis(1)))
        );
        assert_eq!(
            t.take(Op::GetChatsV2),
            Some(Fault::Latency(Duration::from_millis(1)))
        );
    }
}
