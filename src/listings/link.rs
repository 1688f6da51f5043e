//! A listing's page on Avito.

/// The link Avito gave when it is one, else the short form Avito redirects from
/// (`https://www.avito.ru/ID`).
pub fn page(id: i64, url: Option<&str>) -> String {
    url.filter(|u| u.starts_with("https://"))
        .map_or_else(|| format!("https://www.avito.ru/{id}"), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_without_a_usable_url_gets_the_short_form() {
        assert_eq!(page(7, None), "https://www.avito.ru/7");
        assert_eq!(page(7, Some("javascript:x")), "https://www.avito.ru/7");
        assert_eq!(
            page(7, Some("https://avito.ru/a_7")),
            "https://avito.ru/a_7"
        );
    }
}
