//! Account, balances and items.

use serde_json::json;

use super::json::{parse, parse_list, unwrap};
use crate::avito::client::Account;
use crate::avito::error::{AvitoError, AvitoResult};
use crate::avito::model::{AccountSelf, Item, ItemInfo, ItemStatus, WalletBalance};
use crate::avito::money::Kopecks;
use crate::avito::operation::Operation;
use crate::avito::transport::Request;
use crate::domain::AccountId;

/// Items per page; the spec says "more than 0 and less than 100".
const ITEMS_PER_PAGE: usize = 99;
/// Guard against an API that never returns a short page.
const MAX_ITEM_PAGES: usize = 2_000;

impl Account {
    /// `GET /core/v1/accounts/self`: the account behind the credentials.
    pub async fn self_info(&self) -> AvitoResult<AccountSelf> {
        let op = Operation::GetUserInfoSelf;
        let value = self
            .call(Request::get(op, "/core/v1/accounts/self".into()))
            .await?;
        parse(op, &value)
    }

    /// The account behind the credentials, checked with a token Avito issues now for them
    /// (never a cached one): what adding a profile or entering new keys relies on.
    pub async fn check_keys(&self) -> AvitoResult<AccountSelf> {
        self.transport.tokens.fresh_token(&self.creds).await?;
        self.self_info().await
    }

    /// The account id behind the credentials, which every per-account operation takes.
    pub async fn account_id(&self) -> AvitoResult<AccountId> {
        self.self_info().await?.id.ok_or(AvitoError::Unexpected {
            operation: Operation::GetUserInfoSelf,
            status: 200,
            detail: "the answer has no usable account id".to_owned(),
        })
    }

    /// `GET /core/v1/accounts/{user_id}/balance/`: wallet money and bonuses, in roubles.
    pub async fn wallet_balance(&self, user_id: AccountId) -> AvitoResult<WalletBalance> {
        let op = Operation::GetUserBalance;
        let value = self
            .call(Request::get(
                op,
                format!("/core/v1/accounts/{user_id}/balance/"),
            ))
            .await?;
        parse(op, &value)
    }

    /// `POST /cpa/v3/balanceInfo`: the CPA balance, in kopecks (may be negative).
    pub async fn cpa_balance(&self) -> AvitoResult<Kopecks> {
        let op = Operation::BalanceInfoV3;
        let value = self
            .call(Request::post(op, "/cpa/v3/balanceInfo".into(), json!({})))
            .await?;
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default, deserialize_with = "crate::avito::lenient::opt_f64")]
            balance: Option<f64>,
        }
        let answer: Answer = parse(op, unwrap(&value, "/result"))?;
        answer
            .balance
            .map(Kopecks::from_api)
            .ok_or(AvitoError::Unexpected {
                operation: op,
                status: 200,
                detail: "the answer has no balance".to_owned(),
            })
    }

    /// `GET /core/v1/items`: every item with one of `statuses`, all pages. A status the
    /// listing cannot be asked for (see [`ItemStatus::LISTABLE`]) is refused unsent: Avito
    /// answers 400 to `status=not_found`, and `Other` would silently ask for active items.
    pub async fn items(&self, statuses: &[ItemStatus]) -> AvitoResult<Vec<Item>> {
        let op = Operation::GetItemsInfo;
        if let Some(status) = statuses.iter().find(|s| !ItemStatus::LISTABLE.contains(s)) {
            return Err(AvitoError::InvalidRequest(format!(
                "the items listing cannot be asked for {status:?} items: only active, removed, old, blocked or rejected"
            )));
        }
        let status = if statuses.is_empty() {
            "active".to_owned()
        } else {
            statuses
                .iter()
                .map(|s| s.as_query())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut items: Vec<Item> = Vec::new();
        for page in 1..=MAX_ITEM_PAGES {
            let value = self
                .call(
                    Request::get(op, "/core/v1/items".into())
                        .query("per_page", ITEMS_PER_PAGE)
                        .query("page", page)
                        .query("status", &status),
                )
                .await?;
            let page = unwrap(&value, "/resources");
            let short = page.as_array().map_or(0, Vec::len) < ITEMS_PER_PAGE;
            let batch: Vec<Item> = parse_list(op, page);
            items.extend(batch);
            if short {
                return Ok(items);
            }
        }
        Err(AvitoError::Unexpected {
            operation: op,
            status: 200,
            detail: format!("more than {MAX_ITEM_PAGES} full pages of items"),
        })
    }

    /// `GET /core/v1/accounts/{user_id}/items/{item_id}/`.
    pub async fn item_info(&self, user_id: AccountId, item_id: i64) -> AvitoResult<ItemInfo> {
        let op = Operation::GetItemInfo;
        let value = self
            .call(Request::get(
                op,
                format!("/core/v1/accounts/{user_id}/items/{item_id}/"),
            ))
            .await?;
        parse(op, &value)
    }
}
