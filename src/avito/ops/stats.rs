//! Statistics: stats v1 and v2, spendings, calls, operations history.

use std::ops::ControlFlow;

use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};

use super::json::{parse, parse_list, unwrap};
use crate::avito::client::Account;
use crate::avito::error::{AvitoError, AvitoResult};
use crate::avito::model::{
    Analytics, AnalyticsGroup, CallsStats, ItemStats, Spendings, WalletOperation,
};
use crate::avito::operation::Operation;
use crate::avito::query::{AnalyticsQuery, AnalyticsSort, DateRange, SpendingsQuery, TimeGrouping};
use crate::avito::transport::Request;
use crate::domain::AccountId;

/// Item ids per stats v1 request (the API's limit).
pub const STATS_V1_BATCH: usize = 200;
/// Groups per stats v2 page (the API's limit).
const ANALYTICS_PAGE: usize = 1000;
const MAX_ANALYTICS_PAGES: usize = 1000;
/// Operations history takes at most one week per request.
const HISTORY_WINDOW_DAYS: i64 = 7;

/// Whether a request may be sent, or only a recent answer reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reuse {
    Ask,
    /// Ask, and keep the answers until then at least.
    AskKeeping(tokio::time::Instant),
    RecentOnly,
}

/// The request of the analytics page at `offset`.
fn page_request(
    user_id: AccountId,
    query: &AnalyticsQuery,
    sort: Option<&AnalyticsSort>,
    offset: usize,
) -> Request {
    let mut body = json!({
        "dateFrom": query.range.iso_from(),
        "dateTo": query.range.iso_to(),
        "metrics": query.metrics,
        "grouping": query.grouping,
        "limit": ANALYTICS_PAGE,
        "offset": offset,
    });
    if !query.category_ids.is_empty() {
        body["filter"] = json!({ "categoryIDs": query.category_ids });
    }
    if let Some(sort) = sort {
        body["sort"] = json!(sort);
    }
    let path = format!("/stats/v2/accounts/{user_id}/items");
    Request::post(Operation::ItemAnalytics, path, body)
}

/// The groups an analytics answer's `result` says there are in all.
fn total_of(result: &Value) -> Option<u64> {
    result
        .get("dataTotalCount")
        .and_then(crate::avito::lenient::to_i64)
        .and_then(|t| u64::try_from(t).ok())
}

impl Account {
    /// `POST /stats/v1/accounts/{user_id}/items`: per-item counters, in batches of 200 ids.
    pub async fn item_stats(
        &self,
        user_id: AccountId,
        item_ids: &[i64],
        range: DateRange,
        grouping: TimeGrouping,
    ) -> AvitoResult<Vec<ItemStats>> {
        let op = Operation::ItemStatsShallow;
        range.check_for_api()?;
        let mut all = Vec::with_capacity(item_ids.len());
        for batch in item_ids.chunks(STATS_V1_BATCH) {
            let body = json!({
                "itemIds": batch,
                "dateFrom": range.iso_from(),
                "dateTo": range.iso_to(),
                "fields": ["uniqViews", "uniqContacts", "uniqFavorites"],
                "periodGrouping": grouping,
            });
            let value = self
                .call(Request::post(
                    op,
                    format!("/stats/v1/accounts/{user_id}/items"),
                    body,
                ))
                .await?;
            let items: Vec<ItemStats> = parse_list(op, unwrap(&value, "/result/items"));
            all.extend(items);
        }
        Ok(all)
    }

    /// `POST /stats/v2/accounts/{user_id}/items`: analytics, paged with limit/offset to the end.
    pub async fn analytics(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
    ) -> AvitoResult<Analytics> {
        let mut groups: Vec<AnalyticsGroup> = Vec::new();
        let timestamp = self
            .analytics_pages(user_id, query, None, |page| {
                groups.extend(page);
                ControlFlow::Continue(())
            })
            .await?;
        Ok(Analytics { groups, timestamp })
    }

    /// The same request, in `sort` order, handed to `visit` one page (up to 1,000 groups) at a
    /// time, so that a caller ranking 20,000 listings never holds them all. Each page is one
    /// request of the once-a-minute operation, paced like any other call; `visit` returns
    /// `Break` to stop early. Returns the answer's timestamp (the last page's).
    pub async fn analytics_pages(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
        sort: Option<&AnalyticsSort>,
        visit: impl FnMut(Vec<AnalyticsGroup>) -> ControlFlow<()>,
    ) -> AvitoResult<Option<String>> {
        self.pages_of(user_id, query, sort, Reuse::Ask, visit).await
    }

    /// [`Self::analytics_pages`] whose answers are kept until `until` at least, here and (on
    /// PostgreSQL) for the other processes, whatever the operation's reuse time: asked ahead
    /// of a report's slot, they are there for the report.
    pub async fn kept_analytics_pages(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
        sort: Option<&AnalyticsSort>,
        until: tokio::time::Instant,
        visit: impl FnMut(Vec<AnalyticsGroup>) -> ControlFlow<()>,
    ) -> AvitoResult<Option<String>> {
        self.pages_of(user_id, query, sort, Reuse::AskKeeping(until), visit)
            .await
    }

    /// [`Self::analytics_pages`] from answers got within the operation's reuse time only (five
    /// minutes against Avito), here or in another process on PostgreSQL: nothing is sent, and a
    /// page not answered lately is [`AvitoError::NotCached`]. For a person waiting, whom the
    /// operation's next free minute would keep waiting.
    pub async fn recent_analytics_pages(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
        sort: Option<&AnalyticsSort>,
        visit: impl FnMut(Vec<AnalyticsGroup>) -> ControlFlow<()>,
    ) -> AvitoResult<Option<String>> {
        self.pages_of(user_id, query, sort, Reuse::RecentOnly, visit)
            .await
    }

    async fn pages_of(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
        sort: Option<&AnalyticsSort>,
        reuse: Reuse,
        mut visit: impl FnMut(Vec<AnalyticsGroup>) -> ControlFlow<()>,
    ) -> AvitoResult<Option<String>> {
        let op = Operation::ItemAnalytics;
        query.range.check_for_api()?;
        let mut timestamp = None;
        for page in 0..MAX_ANALYTICS_PAGES {
            let offset = page * ANALYTICS_PAGE;
            let request = page_request(user_id, query, sort, offset);
            let value = match reuse {
                Reuse::Ask => self.call(request).await?,
                Reuse::AskKeeping(until) => self.call(request.kept_until(until)).await?,
                Reuse::RecentOnly => self.cached(request).await?,
            };
            let result = unwrap(&value, "/result");
            let page = result.get("groupings").unwrap_or(&Value::Null);
            let page_len = page.as_array().map_or(0, Vec::len);
            let batch: Vec<AnalyticsGroup> = parse_list(op, page);
            let total = total_of(result);
            timestamp = result
                .get("timestamp")
                .and_then(crate::avito::lenient::to_text)
                .or(timestamp);
            let short = page_len < ANALYTICS_PAGE;
            let seen = (offset + page_len) as u64;
            let reached_total = total.is_some_and(|t| seen >= t);
            if visit(batch).is_break() || short || reached_total {
                return Ok(timestamp);
            }
        }
        Err(AvitoError::Unexpected {
            operation: op,
            status: 200,
            detail: format!("more than {MAX_ANALYTICS_PAGES} pages of analytics"),
        })
    }

    /// How many groups `query` has in all, as the first page in `sort` order says (`None`
    /// when Avito does not): one request, its answer kept until `until` at least, as
    /// [`Self::kept_analytics_pages`] would (it is that first page).
    pub async fn analytics_total(
        &self,
        user_id: AccountId,
        query: &AnalyticsQuery,
        sort: Option<&AnalyticsSort>,
        until: tokio::time::Instant,
    ) -> AvitoResult<Option<u64>> {
        query.range.check_for_api()?;
        let request = page_request(user_id, query, sort, 0).kept_until(until);
        let value = self.call(request).await?;
        Ok(total_of(unwrap(&value, "/result")))
    }

    /// `POST /stats/v2/accounts/{user_id}/spendings`.
    pub async fn spendings(
        &self,
        user_id: AccountId,
        query: &SpendingsQuery,
    ) -> AvitoResult<Spendings> {
        let op = Operation::AccountSpendings;
        query.range.check_for_api()?;
        let body = json!({
            "dateFrom": query.range.iso_from(),
            "dateTo": query.range.iso_to(),
            "spendingTypes": query.spending_types,
            "grouping": query.grouping,
        });
        let value = self
            .call(Request::post(
                op,
                format!("/stats/v2/accounts/{user_id}/spendings"),
                body,
            ))
            .await?;
        parse(op, unwrap(&value, "/result"))
    }

    /// `POST /core/v1/accounts/{user_id}/calls/stats/`.
    pub async fn calls_stats(
        &self,
        user_id: AccountId,
        range: DateRange,
        item_ids: &[i64],
    ) -> AvitoResult<CallsStats> {
        let op = Operation::PostCallsStats;
        let mut body = json!({ "dateFrom": range.iso_from(), "dateTo": range.iso_to() });
        if !item_ids.is_empty() {
            body["itemIds"] = json!(item_ids);
        }
        let value = self
            .call(Request::post(
                op,
                format!("/core/v1/accounts/{user_id}/calls/stats/"),
                body,
            ))
            .await?;
        parse(op, unwrap(&value, "/result"))
    }

    /// `POST /core/v1/accounts/operations_history/`: any span, asked in one-week windows and
    /// stitched in order.
    pub async fn operations_history(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> AvitoResult<Vec<WalletOperation>> {
        let op = Operation::PostOperationsHistory;
        if from > to {
            return Err(AvitoError::InvalidRequest(format!(
                "operations history: start {from} is after end {to}"
            )));
        }
        let mut all = Vec::new();
        let mut start = from;
        while start < to {
            let end = (start + Duration::days(HISTORY_WINDOW_DAYS)).min(to);
            let body = json!({
                "dateTimeFrom": start.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "dateTimeTo": end.format("%Y-%m-%dT%H:%M:%S").to_string(),
            });
            let value = self
                .call(Request::post(
                    op,
                    "/core/v1/accounts/operations_history/".into(),
                    body,
                ))
                .await?;
            // The spec's example has no `result` wrapper: accept both.
            let list = unwrap(&value, "/result")
                .get("operations")
                .unwrap_or(&Value::Null);
            let operations: Vec<WalletOperation> = parse_list(op, list);
            all.extend(operations);
            start = end;
        }
        Ok(all)
    }
}
