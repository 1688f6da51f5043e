//! The seventeen operations of the spec subset and their per-operation facts.

/// An operation, named by its spec `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
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

/// How an operation's error bodies look, per its documented responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{error: {code: int, message}}` (authError, badRequestError, ErrorResponse, ...).
    Nested,
    /// `FieldError`: `{code: string, message}` (the `default` response of the items operations).
    Field,
    /// RFC 6749 `{error, error_description}` (the token endpoint; the spec documents no errors).
    OAuth,
    /// `{error: ReviewError}`: `{error: {code: string, message}}` (the ratings operations).
    Review,
}

impl Op {
    pub const ALL: [Op; 17] = [
        Op::GetAccessToken,
        Op::GetUserInfoSelf,
        Op::GetUserBalance,
        Op::GetItemsInfo,
        Op::GetItemInfo,
        Op::ItemStatsShallow,
        Op::ItemAnalytics,
        Op::AccountSpendings,
        Op::PostCallsStats,
        Op::PostOperationsHistory,
        Op::GetChatsV2,
        Op::GetChatByIdV2,
        Op::GetMessagesV3,
        Op::BalanceInfoV3,
        Op::GetRatingsInfoV1,
        Op::GetReviewsV1,
        Op::CreateReviewAnswerV1,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Op::GetAccessToken => "getAccessToken",
            Op::GetUserInfoSelf => "getUserInfoSelf",
            Op::GetUserBalance => "getUserBalance",
            Op::GetItemsInfo => "getItemsInfo",
            Op::GetItemInfo => "getItemInfo",
            Op::ItemStatsShallow => "itemStatsShallow",
            Op::ItemAnalytics => "itemAnalytics",
            Op::AccountSpendings => "accountSpendings",
            Op::PostCallsStats => "postCallsStats",
            Op::PostOperationsHistory => "postOperationsHistory",
            Op::GetChatsV2 => "getChatsV2",
            Op::GetChatByIdV2 => "getChatByIdV2",
            Op::GetMessagesV3 => "getMessagesV3",
            Op::BalanceInfoV3 => "balanceInfoV3",
            Op::GetRatingsInfoV1 => "getRatingsInfoV1",
            Op::GetReviewsV1 => "getReviewsV1",
            Op::CreateReviewAnswerV1 => "createReviewAnswerV1",
        }
    }

    pub fn from_id(id: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.id() == id)
    }

    /// Documented requests per minute per account.
    pub fn rate_limit(self) -> Option<u32> {
        match self {
            Op::GetItemsInfo => Some(25),
            Op::GetItemInfo => Some(500),
            Op::ItemAnalytics | Op::AccountSpendings | Op::BalanceInfoV3 => Some(1),
            _ => None,
        }
    }

    pub fn error_shape(self) -> ErrorShape {
        match self {
            Op::GetAccessToken => ErrorShape::OAuth,
            Op::GetItemsInfo | Op::GetItemInfo => ErrorShape::Field,
            Op::GetRatingsInfoV1 | Op::GetReviewsV1 | Op::CreateReviewAnswerV1 => {
                ErrorShape::Review
            }
            _ => ErrorShape::Nested,
        }
    }

    /// Whether the operation documents 404 ("wrong user_id"); otherwise a foreign or unknown
    /// `user_id` is answered 403.
    pub fn documents_not_found(self) -> bool {
        matches!(
            self,
            Op::GetUserBalance | Op::ItemStatsShallow | Op::PostCallsStats
        )
    }
}
