//! Table and column names shared by the migrations (later migrations refer to earlier tables).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    FirstName,
    LanguageCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum AvitoProfiles {
    Table,
    Id,
    OwnerId,
    Name,
    ClientId,
    ClientSecretEnc,
    AvitoUserId,
    AvitoAccountName,
    AccessTokenEnc,
    TokenExpiresAt,
    Status,
    LastError,
    CreatedAt,
    UpdatedAt,
    AlertQuietFrom,
    AlertQuietTo,
    ListingPages,
}

#[derive(DeriveIden)]
pub enum ReportTasks {
    Table,
    Id,
    ProfileId,
    ChatId,
    ChatTitle,
    Frequency,
    IntervalDays,
    Weekdays,
    MonthDay,
    TimeOfDay,
    TimeZone,
    Period,
    Metrics,
    IsActive,
    Charts,
    ScheduleVersion,
    NextRunAt,
    LastRunAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum ReportRuns {
    Table,
    Id,
    TaskId,
    ProfileId,
    Kind,
    Slot,
    ChatId,
    PeriodStart,
    PeriodEnd,
    Status,
    Attempts,
    Error,
    StartedAt,
    FinishedAt,
    CreatedAt,
    Chunks,
    ChunksSent,
    Sending,
}

#[derive(DeriveIden)]
pub enum Dialogues {
    Table,
    ChatId,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Exports {
    Table,
    Id,
    ProfileId,
    ChatId,
    Status,
    ChatsDone,
    ChatsTotal,
    MessagesDone,
    ProgressMessageId,
    Since,
    Until,
    Kind,
    Error,
    StartedAt,
    FinishedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AdminAlerts {
    Table,
    Cause,
    LastSentAt,
    Suppressed,
    ReportedSuppressed,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum AlertRules {
    Table,
    Id,
    ProfileId,
    Rule,
    Enabled,
    Param,
    RemindMinutes,
    WorkFrom,
    WorkTo,
    SeenDay,
    SeenCount,
    WatchingSince,
}

#[derive(DeriveIden)]
pub enum AlertEpisodes {
    Table,
    Id,
    ProfileId,
    Rule,
    OpenedAt,
    ClosedAt,
    LastSentAt,
    Reminders,
    Detail,
    Held,
}

#[derive(DeriveIden)]
pub enum AvitoBudgets {
    Table,
    BudgetKey,
    Slots,
}

#[derive(DeriveIden)]
pub enum AvitoAnswers {
    Table,
    KeyHash,
    RequestKey,
    Body,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub enum RatingSnapshots {
    Table,
    Id,
    ProfileId,
    Day,
    Score,
    ReviewsCount,
    ReviewsWithScoreCount,
    TakenAt,
}

#[derive(DeriveIden)]
pub enum ReviewsSeen {
    Table,
    ProfileId,
    ReviewId,
    SeenAt,
}

#[derive(DeriveIden)]
pub enum ReviewAnswers {
    Table,
    Id,
    ProfileId,
    ReviewId,
    ChatId,
    UserId,
    Text,
    State,
    AnswerId,
    Detail,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum ReviewWatch {
    Table,
    ProfileId,
    Total,
    Unanswered,
    CheckedAt,
}

#[derive(DeriveIden)]
pub enum ListingsSeen {
    Table,
    ProfileId,
    ItemId,
    Status,
    SeenAt,
}
