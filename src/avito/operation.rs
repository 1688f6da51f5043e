//! The Avito API operations the bot uses, with their documented limits.

use std::time::Duration;

/// One operation of the spec subset (`shared/avito/avito-analytics-openapi.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    GetAccessToken,
    GetUserInfoSelf,
    GetUserBalance,
    GetItemsInfo,
    GetItemInfo,
    ItemStatsShallow,
    ItemAnalytics,
    AccountSpendings,
    PostCallsStats,
    PostOperationsHistory,
    GetChatsV2,
    GetChatByIdV2,
    GetMessagesV3,
    BalanceInfoV3,
    GetRatingsInfoV1,
    GetReviewsV1,
    CreateReviewAnswerV1,
}

impl Operation {
    /// The Avito Messenger reads (they need a subscription the other operations do not).
    pub fn is_messenger(self) -> bool {
        matches!(
            self,
            Operation::GetChatsV2 | Operation::GetChatByIdV2 | Operation::GetMessagesV3
        )
    }

    /// Writes to the seller's public page: never resent by the transport, never cached (see
    /// `AvitoError::OutcomeUnknown`).
    pub fn is_write(self) -> bool {
        matches!(self, Operation::CreateReviewAnswerV1)
    }

    /// The spec's operationId, used in logs, errors and metrics.
    pub fn id(self) -> &'static str {
        match self {
            Operation::GetAccessToken => "getAccessToken",
            Operation::GetUserInfoSelf => "getUserInfoSelf",
            Operation::GetUserBalance => "getUserBalance",
            Operation::GetItemsInfo => "getItemsInfo",
            Operation::GetItemInfo => "getItemInfo",
            Operation::ItemStatsShallow => "itemStatsShallow",
            Operation::ItemAnalytics => "itemAnalytics",
            Operation::AccountSpendings => "accountSpendings",
            Operation::PostCallsStats => "postCallsStats",
            Operation::PostOperationsHistory => "postOperationsHistory",
            Operation::GetChatsV2 => "getChatsV2",
            Operation::GetChatByIdV2 => "getChatByIdV2",
            Operation::GetMessagesV3 => "getMessagesV3",
            Operation::BalanceInfoV3 => "balanceInfoV3",
            Operation::GetRatingsInfoV1 => "getRatingsInfoV1",
            Operation::GetReviewsV1 => "getReviewsV1",
            Operation::CreateReviewAnswerV1 => "createReviewAnswerV1",
        }
    }

    /// Requests per minute the documentation allows, where it states a limit. The ratings
    /// operations document none: like the other account-level reads they go unpaced, and a
    /// 429 or `X-RateLimit-Remaining: 0` still holds them for a window.
    pub fn per_minute_limit(self) -> Option<u32> {
        match self {
            Operation::ItemAnalytics | Operation::AccountSpendings | Operation::BalanceInfoV3 => {
                Some(1)
            }
            Operation::GetItemsInfo => Some(25),
            Operation::GetItemInfo => Some(500),
            _ => None,
        }
    }

    /// Answers shared by every process on one database: the once-a-window operations, whose
    /// second call in a window anywhere would be a 429.
    pub fn shares_answers(self) -> bool {
        self.per_minute_limit() == Some(1)
    }

    /// How long a successful answer may be reused for an identical request. The 1/min
    /// operations are reused for a few minutes, so a `/stats` and a scheduled report of the
    /// same profile and period in one minute make one call. The rating and review pages are
    /// reused briefly (half a window: 30 s against the real Avito), so one screen and the
    /// next do not ask again; an answer written through the client drops the account's cached
    /// review pages at once. Others only coalesce concurrent identical requests.
    pub fn reuse_for(self, rate_window: Duration) -> Duration {
        match self {
            Operation::GetRatingsInfoV1 | Operation::GetReviewsV1 => rate_window / 2,
            _ if self.is_write() => Duration::ZERO,
            _ => match self.per_minute_limit() {
                // Five windows: five minutes against the real Avito.
                Some(1) => rate_window * 5,
                _ => Duration::ZERO,
            },
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
