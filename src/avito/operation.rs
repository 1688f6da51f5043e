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
}

impl Operation {
    /// The Avito Messenger reads (they need a subscription the other operations do not).
    pub fn is_messenger(self) -> bool {
        matches!(
            self,
            Operation::GetChatsV2 | Operation::GetChatByIdV2 | Operation::GetMessagesV3
        )
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
        }
    }

    /// Requests per minute the documentation allows, where it states a limit.
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

    /// How long a successful answer may be reused for an identical request. The 1/min
    /// operations are reused for a few minutes, so a `/stats` and a scheduled report of the
    /// same profile and period in one minute make one call; others only coalesce concurrent
    /// identical requests.
    pub fn reuse_for(self, rate_window: Duration) -> Duration {
        match self.per_minute_limit() {
            // Five windows: five minutes against the real Avito.
            Some(1) => rate_window * 5,
            _ => Duration::ZERO,
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
