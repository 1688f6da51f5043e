//! Wallet, CPA balance and the operations history.

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::account::AccountData;
use super::calendar::{days, moscow_midnight, moscow_rfc3339};
use crate::avito::rng::SplitMix64;

/// `Balance`: wallet money and bonuses, in roubles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wallet {
    pub real: f64,
    pub bonus: f64,
}

/// One `ResponseOperationsHistoryItem`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Unix seconds (rendered as RFC 3339 in `updatedAt` and `paidAt`).
    pub at: i64,
    pub amount_rub: f64,
    pub amount_bonus: f64,
    pub item_id: i64,
    pub operation_name: String,
    pub operation_type: &'static str,
    pub service_id: i64,
    pub service_name: &'static str,
    pub service_type: &'static str,
}

impl Operation {
    pub fn to_json(&self) -> Value {
        json!({
            "amountBonus": self.amount_bonus,
            "amountRub": self.amount_rub,
            "amountTotal": round2(self.amount_rub + self.amount_bonus),
            "itemId": self.item_id,
            "operationName": self.operation_name,
            "operationType": self.operation_type,
            "paidAt": moscow_rfc3339(self.at),
            "serviceId": self.service_id,
            "serviceName": self.service_name,
            "serviceType": self.service_type,
            "updatedAt": moscow_rfc3339(self.at),
        })
    }
}

const SERVICES: &[(i64, &str, &str, &str)] = &[
    (
        16,
        "Сделать XL объявлением",
        "vas",
        "резервирование средств под услугу",
    ),
    (
        3,
        "Выделить объявление",
        "vas",
        "резервирование средств под услугу",
    ),
    (
        41,
        "Продвижение за просмотры",
        "perf_vas",
        "резервирование под автостратегию",
    ),
    (7, "Размещение объявления", "lf", "признание выручки"),
    (
        52,
        "Тариф «Максимальный»",
        "tariff",
        "списание в счёт кредита",
    ),
    (60, "Целевые действия", "cpa", "внесение CPA аванса"),
];

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl AccountData {
    pub fn wallet(&self) -> Wallet {
        let mut r = SplitMix64::at(&[self.key(), 10]);
        Wallet {
            real: r.range(0, 5_000_000) as f64 / 100.0,
            bonus: r.range(0, 300_000) as f64 / 100.0,
        }
    }

    /// CPA balance in kopecks; some accounts are in debt (negative).
    pub fn cpa_balance(&self) -> i64 {
        SplitMix64::at(&[self.key(), 11]).range(-20_000, 2_000_000)
    }

    /// Operations of one Moscow day, oldest first.
    pub fn operations_on(&self, date: NaiveDate) -> Vec<Operation> {
        if date > self.today() || self.items.is_empty() {
            return Vec::new();
        }
        let mut r = SplitMix64::at(&[self.key(), 12, date.num_days_from_ce() as u64]);
        let n = r.weighted(&[40, 30, 20, 10]);
        let midnight = moscow_midnight(date);
        let mut at: Vec<i64> = (0..n).map(|_| midnight + r.range(0, 86_399)).collect();
        at.sort_unstable();
        at.into_iter()
            .map(|at| {
                let (service_id, service_name, service_type, operation_type) = *r.pick(SERVICES);
                let item = r.pick(&self.items);
                let total = r.range(49, 2_990) as f64;
                let bonus = if r.chance(0.2) {
                    (total * 0.3).round()
                } else {
                    0.0
                };
                Operation {
                    at,
                    amount_rub: total - bonus,
                    amount_bonus: bonus,
                    item_id: item.id,
                    operation_name: format!("Услуга «{service_name}» для объявления №{}", item.id),
                    operation_type,
                    service_id,
                    service_name,
                    service_type,
                }
            })
            .collect()
    }

    /// Operations with `from <= at <= to` (unix seconds), oldest first.
    pub fn operations_between(&self, from: i64, to: i64) -> Vec<Operation> {
        let day = |t: i64| {
            chrono::DateTime::from_timestamp(t + 3 * 3600, 0)
                .map(|d| d.date_naive())
                .unwrap_or(self.today())
        };
        days(day(from), day(to))
            .flat_map(|d| self.operations_on(d))
            .filter(|o| from <= o.at && o.at <= to)
            .collect()
    }
}
