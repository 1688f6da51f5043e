//! Typed keys of the `jobs` locale area (`locales/<lang>/jobs.toml`).

crate::text_keys!(pub enum J in "jobs" {
    ReportFailed => "report_failed",
    DestinationLost => "destination_lost",
    AdminDeliveryFailed => "admin_delivery_failed",
    NextNone => "next_none",
    DatetimeFormat => "datetime_format",
    ChatNone => "chat_none",
    ChatPrivate => "chat_private",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_texts_exist_in_every_language_with_the_same_placeholders() {
        crate::i18n::check_area("jobs", J::ALL).expect("jobs texts complete");
    }
}
