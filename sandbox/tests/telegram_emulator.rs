//! The Telegram emulator over real HTTP on loopback, driven by teloxide and by raw requests.

use std::time::{Duration, Instant};

use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use serde_json::{Value, json};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, ChatFullInfo, ChatMember, File, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, MaybeInaccessibleMessage, Me, MessageEntityKind, MessageId,
    MessageOrigin, ParseMode, Recipient, UpdateKind,
};
use teloxide::{ApiError, RequestError};

const WAIT: Duration = Duration::from_secs(5);

async fn emulator() -> TelegramEmulator {
    TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("emulator starts")
}

fn bot(emu: &TelegramEmulator) -> Bot {
    let url = emu.base_url().parse().expect("base url is a url");
    Bot::new(emu.bot_token()).set_api_url(url)
}

/// Raw Bot API call with a JSON body: (HTTP status, response body).
async fn call(emu: &TelegramEmulator, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}/bot{}/{method}", emu.base_url(), emu.bot_token());
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn result_of(emu: &TelegramEmulator, method: &str, body: Value) -> Value {
    let (status, body) = call(emu, method, body).await;
    assert_eq!(status, 200, "{method} failed: {body}");
    assert_eq!(body["ok"], true);
    body["result"].clone()
}

async fn raw_updates(emu: &TelegramEmulator) -> Vec<Value> {
    let updates = result_of(emu, "getUpdates", json!({})).await;
    updates.as_array().cloned().unwrap_or_default()
}

fn api_error(err: RequestError) -> ApiError {
    match err {
        RequestError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn keyboard(data: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Stats", data)]])
}

// ---- conversations through teloxide ----

#[tokio::test]
async fn teloxide_bot_receives_a_users_start_command_and_its_reply_is_seen_in_the_chat() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let alice = emu.user(42, "Alice", Some("ru"));
    alice.send_text("/start");

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message update, got {:?}", updates[0].kind);
    };
    assert_eq!(message.text(), Some("/start"));
    assert!(message.chat.is_private());
    let from = message.from.as_ref().expect("from");
    assert_eq!(from.id, UserId(42));
    assert_eq!(from.language_code.as_deref(), Some("ru"));
    assert!(!from.is_bot);
    let entity = &message.entities().expect("entities")[0];
    assert_eq!(
        (&entity.kind, entity.offset, entity.length),
        (&MessageEntityKind::BotCommand, 0, 6)
    );

    let sent = bot
        .send_message(message.chat.id, "<b>Привет</b>, Alice &amp; co")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Привет, Alice & co"));
    assert_eq!(sent.from.as_ref().map(|u| u.is_bot), Some(true));

    let seen = emu
        .wait_for(42, WAIT, |m| m.from_bot)
        .await
        .expect("reply seen");
    assert_eq!(seen.text.as_deref(), Some("Привет, Alice & co"));
    assert_eq!(
        seen.raw_text.as_deref(),
        Some("<b>Привет</b>, Alice &amp; co")
    );
    assert_eq!(seen.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(emu.chat_messages(42).len(), 2);
    assert_eq!(emu.method_calls("sendMessage"), 1);
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_an_update_arrives() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let alice = emu.user(1, "Alice", None);
    let poll = tokio::spawn(async move { bot.get_updates().timeout(30).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    alice.send_text("hello");
    let updates = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("poll returns well before its timeout")
        .expect("task")
        .expect("getUpdates");
    assert_eq!(updates.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn long_poll_without_updates_waits_for_its_timeout() {
    let emu = emulator().await;
    let started = Instant::now();
    let updates = result_of(&emu, "getUpdates", json!({ "timeout": 1 })).await;
    assert_eq!(updates, json!([]));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn offset_confirms_and_drops_earlier_updates() {
    let emu = emulator().await;
    let alice = emu.user(1, "Alice", None);
    for text in ["one", "two", "three"] {
        alice.send_text(text);
    }
    let all = raw_updates(&emu).await;
    assert_eq!(all.len(), 3);
    let ids: Vec<i64> = all.iter().filter_map(|u| u["update_id"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");

    // Unconfirmed updates are delivered again.
    assert_eq!(raw_updates(&emu).await.len(), 3);
    let rest = result_of(&emu, "getUpdates", json!({ "offset": ids[1] })).await;
    assert_eq!(rest.as_array().map(Vec::len), Some(2));
    assert_eq!(rest[0]["message"]["text"], "two");
    let limited = result_of(&emu, "getUpdates", json!({ "offset": ids[1], "limit": 1 })).await;
    assert_eq!(limited.as_array().map(Vec::len), Some(1));
    let none = result_of(&emu, "getUpdates", json!({ "offset": ids[2] + 1 })).await;
    assert_eq!(none, json!([]));
    assert_eq!(emu.pending_updates(), 0);
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let emu = emulator().await;
    for method in ["getMe", "GetMe", "getme", "GETME"] {
        let me = result_of(&emu, method, json!({})).await;
        assert_eq!(me["username"], "avito_reports_test_bot");
    }
    // GET with a query string works too.
    let url = format!(
        "{}/bot{}/getUpdates?limit=5",
        emu.base_url(),
        emu.bot_token()
    );
    let body: Value = reqwest::get(url)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body, json!({ "ok": true, "result": [] }));
    assert_eq!(emu.method_calls("GETME"), 4);
}

#[tokio::test]
async fn form_urlencoded_parameters_are_accepted() {
    let emu = emulator().await;
    emu.user(7, "Bob", None).send_text("hi");
    let url = format!("{}/bot{}/sendMessage", emu.base_url(), emu.bot_token());
    let body: Value = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("chat_id=7&text=form%20text")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(body["result"]["text"], "form text");
}

#[tokio::test]
async fn malformed_token_is_unauthorized_and_any_well_formed_token_is_accepted() {
    let emu = emulator().await;
    for token in ["nonsense", "abc:def", "123:", ":secret"] {
        let url = format!("{}/bot{token}/getMe", emu.base_url());
        let response = reqwest::get(url).await.expect("get");
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body,
            json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
        );
    }
    let other = Bot::new("987654:another-secret").set_api_url(emu.base_url().parse().expect("url"));
    let me = other.get_me().await.expect("getMe with another token");
    assert_eq!(me.id, UserId(987_654));
}

#[tokio::test]
async fn unknown_method_is_not_found() {
    let emu = emulator().await;
    let (status, body) = call(&emu, "sendSticker", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 404, "description": "Not Found: method not found" })
    );
}

// ---- Telegram's limits and errors ----

#[tokio::test]
async fn message_over_4096_characters_is_rejected() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");

    let err = bot
        .send_message(ChatId(5), "я".repeat(4097))
        .await
        .expect_err("too long");
    assert_eq!(api_error(err), ApiError::MessageIsTooLong);

    // The limit counts the text after HTML parsing: tags do not count.
    let html = format!("<b>{}</b>", "я".repeat(4096));
    bot.send_message(ChatId(5), html)
        .parse_mode(ParseMode::Html)
        .await
        .expect("4096 visible characters fit");
}

#[tokio::test]
async fn empty_text_is_rejected() {
    let emu = emulator().await;
    emu.user(5, "Eve", None).send_text("/start");
    let err = bot(&emu)
        .send_message(ChatId(5), "  ")
        .await
        .expect_err("empty");
    assert_eq!(api_error(err), ApiError::MessageTextIsEmpty);
}

#[tokio::test]
async fn malformed_html_is_rejected_with_cant_parse_entities() {
    let emu = emulator().await;
    emu.user(5, "Eve", None).send_text("/start");
    for html in [
        "<b>unclosed",
        "<foo>x</foo>",
        "<b><i>x</b></i>",
        "1 < 2",
        "<span>x</span>",
    ] {
        let (status, body) = call(
            &emu,
            "sendMessage",
            json!({ "chat_id": 5, "text": html, "parse_mode": "HTML" }),
        )
        .await;
        assert_eq!(status, 400, "{html}");
        let description = body["description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with("Bad Request: can't parse entities: "),
            "{html}: {description}"
        );
    }
    assert!(emu.chat_messages(5).iter().all(|m| !m.from_bot));
}

#[tokio::test]
async fn callback_data_over_64_bytes_is_rejected() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let err = bot
        .send_message(ChatId(5), "menu")
        .reply_markup(keyboard(&"x".repeat(65)))
        .await
        .expect_err("65 bytes");
    assert_eq!(api_error(err), ApiError::ButtonDataInvalid);
    bot.send_message(ChatId(5), "menu")
        .reply_markup(keyboard(&"x".repeat(64)))
        .await
        .expect("64 bytes fit");
}

#[tokio::test]
async fn identical_edit_is_message_not_modified() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let sent = bot
        .send_message(ChatId(5), "v1")
        .reply_markup(keyboard("a"))
        .await
        .expect("send");

    let err = bot
        .edit_message_text(ChatId(5), sent.id, "v1")
        .reply_markup(keyboard("a"))
        .await
        .expect_err("identical");
    assert_eq!(api_error(err), ApiError::MessageNotModified);
    let err = bot
        .edit_message_reply_markup(ChatId(5), sent.id)
        .reply_markup(keyboard("a"))
        .await
        .expect_err("identical markup");
    assert_eq!(api_error(err), ApiError::MessageNotModified);

    let edited = bot
        .edit_message_text(ChatId(5), sent.id, "v2")
        .reply_markup(keyboard("a"))
        .await
        .expect("edit");
    assert!(edited.edit_date().is_some());
    let seen = emu.chat_messages(5).pop().expect("message");
    assert_eq!((seen.text.as_deref(), seen.edit_count), (Some("v2"), 1));

    // As in Telegram, editing the text without reply_markup drops the keyboard.
    bot.edit_message_text(ChatId(5), sent.id, "v3")
        .await
        .expect("edit");
    let seen = emu.chat_messages(5).pop().expect("message");
    assert!(seen.buttons.is_empty());

    let err = bot
        .edit_message_text(ChatId(5), MessageId(999), "x")
        .await
        .expect_err("missing");
    assert_eq!(api_error(err), ApiError::MessageToEditNotFound);
}

#[tokio::test]
async fn deleted_message_disappears_from_the_chat() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let sent = bot.send_message(ChatId(5), "bye").await.expect("send");
    bot.delete_message(ChatId(5), sent.id)
        .await
        .expect("delete");
    assert!(emu.chat_messages(5).iter().all(|m| !m.from_bot));
    let err = bot
        .delete_message(ChatId(5), sent.id)
        .await
        .expect_err("gone");
    assert_eq!(api_error(err), ApiError::MessageToDeleteNotFound);
}

#[tokio::test]
async fn flooding_a_chat_gets_429_with_retry_after() {
    let emu = TelegramEmulator::start(TelegramConfig::default())
        .await
        .expect("start");
    emu.user(5, "Eve", None).send_text("/start");
    let mut refused = None;
    for i in 0..6 {
        let (status, body) = call(
            &emu,
            "sendMessage",
            json!({ "chat_id": 5, "text": i.to_string() }),
        )
        .await;
        if status == 429 {
            refused = Some(body);
            break;
        }
        assert_eq!(status, 200);
    }
    let body = refused.expect("a burst of 6 messages is refused");
    let retry_after = body["parameters"]["retry_after"]
        .as_u64()
        .expect("retry_after");
    assert!(retry_after >= 1);
    assert_eq!(
        body["description"],
        format!("Too Many Requests: retry after {retry_after}")
    );
    assert_eq!(body["error_code"], 429);

    // teloxide understands it as RetryAfter.
    let err = bot(&emu)
        .send_message(ChatId(5), "more")
        .await
        .expect_err("still flooded");
    assert!(matches!(err, RequestError::RetryAfter(_)), "{err:?}");
    assert_eq!(emu.rate_limited_count(), 2);

    // Another chat is not affected.
    emu.user(6, "Finn", None).send_text("/start");
    result_of(&emu, "sendMessage", json!({ "chat_id": 6, "text": "ok" })).await;
}

#[tokio::test]
async fn blocked_user_gets_403() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let eve = emu.user(5, "Eve", None);
    eve.send_text("/start");
    eve.block_bot(true);
    let err = bot
        .send_message(ChatId(5), "hi")
        .await
        .expect_err("blocked");
    assert_eq!(api_error(err), ApiError::BotBlocked);
    let (status, body) = call(&emu, "sendMessage", json!({ "chat_id": 5, "text": "x" })).await;
    assert_eq!((status, body["error_code"].as_i64()), (403, Some(403)));

    eve.block_bot(false);
    bot.send_message(ChatId(5), "hi again")
        .await
        .expect("unblocked");
}

#[tokio::test]
async fn bot_cannot_write_first_to_a_user() {
    let emu = emulator().await;
    emu.user(5, "Eve", None);
    let (status, body) = call(&emu, "sendMessage", json!({ "chat_id": 5, "text": "x" })).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Forbidden: bot can't initiate conversation with a user"
    );
}

#[tokio::test]
async fn kicked_bot_gets_403_in_the_group_and_sees_itself_kicked() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let group = emu.group(-4001, "Team");
    bot.send_message(ChatId(group.id()), "hello team")
        .await
        .expect("member can write");
    emu.set_bot_kicked(group.id(), true);
    let (status, body) = call(
        &emu,
        "sendMessage",
        json!({ "chat_id": -4001, "text": "x" }),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Forbidden: bot was kicked from the group chat"
    );

    let me = bot.get_me().await.expect("getMe");
    let member = bot
        .get_chat_member(ChatId(-4001), me.id)
        .await
        .expect("getChatMember");
    assert!(member.kind.is_banned());
}

#[tokio::test]
async fn unknown_chat_is_chat_not_found() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let err = bot
        .send_message(ChatId(777), "x")
        .await
        .expect_err("unknown");
    assert_eq!(api_error(err), ApiError::ChatNotFound);
    let err = bot.get_chat(ChatId(-777)).await.expect_err("unknown");
    assert_eq!(api_error(err), ApiError::ChatNotFound);
    let (status, body) = call(
        &emu,
        "sendMessage",
        json!({ "chat_id": "@nobody", "text": "x" }),
    )
    .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: chat not found"))
    );
}

// ---- documents ----

#[tokio::test]
async fn document_upload_keeps_bytes_and_name() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let sent = bot
        .send_document(
            ChatId(5),
            InputFile::memory(bytes.clone()).file_name("report-2024.xlsx"),
        )
        .caption("<b>Отчёт</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendDocument");
    let doc = sent.document().expect("document");
    assert_eq!(doc.file_name.as_deref(), Some("report-2024.xlsx"));
    assert_eq!(doc.file.size, 10_000);
    assert_eq!(sent.caption(), Some("Отчёт"));

    let seen = emu
        .wait_for(5, WAIT, |m| m.document.is_some())
        .await
        .expect("seen");
    let seen_doc = seen.document.expect("document");
    assert_eq!(seen_doc.bytes, bytes);
    assert_eq!(seen_doc.file_name.as_deref(), Some("report-2024.xlsx"));
    assert_eq!(seen_doc.caption.as_deref(), Some("Отчёт"));
    assert_eq!(
        seen_doc.mime_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    let file: File = bot.get_file(doc.file.id.clone()).await.expect("getFile");
    let mut downloaded = Vec::new();
    bot.download_file(&file.path, &mut downloaded)
        .await
        .expect("download");
    assert_eq!(downloaded, bytes);

    // Re-sending by file_id reuses the stored file.
    let again = bot
        .send_document(ChatId(5), InputFile::file_id(doc.file.id.clone()))
        .await
        .expect("send by file_id");
    assert_eq!(again.document().map(|d| d.file.size), Some(10_000));
}

#[tokio::test]
async fn document_over_50_megabytes_is_request_entity_too_large() {
    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let err = bot
        .send_document(
            ChatId(5),
            InputFile::memory(vec![0u8; 50 * 1024 * 1024 + 1]).file_name("huge.bin"),
        )
        .await
        .expect_err("too large");
    assert_eq!(api_error(err), ApiError::RequestEntityTooLarge);
}

// ---- photos and media groups ----

/// The start of a PNG of `width`×`height`: all the emulator reads is the header.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0]);
    bytes.extend([0u8; 64]);
    bytes
}

#[tokio::test]
async fn photos_and_media_groups_arrive_as_pictures() {
    use teloxide::types::{InputMedia, InputMediaPhoto};

    let emu = emulator().await;
    let bot = bot(&emu);
    emu.user(5, "Eve", None).send_text("/start");
    let photo = |name: &str| InputFile::memory(png_header(1280, 720)).file_name(name.to_owned());

    let sent = bot
        .send_photo(ChatId(5), photo("daily.png"))
        .caption("<b>Просмотры</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendPhoto");
    let sizes = sent.photo().expect("a photo");
    assert_eq!((sizes[0].width, sizes[0].height), (1280, 720));
    assert_eq!(sent.caption(), Some("Просмотры"));

    let group = bot
        .send_media_group(
            ChatId(5),
            vec![
                InputMedia::Photo(InputMediaPhoto::new(photo("daily.png")).caption("one")),
                InputMedia::Photo(InputMediaPhoto::new(photo("spending.png"))),
            ],
        )
        .await
        .expect("sendMediaGroup");
    assert_eq!(group.len(), 2);
    let ids: Vec<_> = group.iter().map(|m| m.media_group_id()).collect();
    assert!(ids[0].is_some() && ids[0] == ids[1], "{ids:?}");
    assert_eq!(group[0].caption(), Some("one"));

    let seen = emu.chat_messages(5);
    let photos: Vec<_> = seen.iter().filter(|m| m.photo.is_some()).collect();
    assert_eq!(photos.len(), 3);
    assert_eq!(photos[0].text_or_caption(), "Просмотры");
    assert_eq!(photos[1].media_group_id, photos[2].media_group_id);
    assert!(photos[1].media_group_id.is_some() && photos[0].media_group_id.is_none());
    let picture = photos[2].photo.as_ref().expect("photo");
    assert_eq!((picture.width, picture.height), (1280, 720));
    assert_eq!(picture.bytes, png_header(1280, 720));

    // One photo is no group; a file that is no picture is refused as Telegram refuses it.
    let err = bot
        .send_media_group(
            ChatId(5),
            vec![InputMedia::Photo(InputMediaPhoto::new(photo("a.png")))],
        )
        .await
        .expect_err("one item");
    assert!(matches!(err, RequestError::Api(_)), "{err:?}");
    let err = bot
        .send_photo(
            ChatId(5),
            InputFile::memory(b"not a picture".to_vec()).file_name("x.png"),
        )
        .await
        .expect_err("not a picture");
    assert!(err.to_string().contains("IMAGE_PROCESS_FAILED"), "{err}");
    let err = bot
        .send_photo(
            ChatId(5),
            InputFile::memory(png_header(9000, 2000)).file_name("x.png"),
        )
        .await
        .expect_err("too big");
    assert!(
        err.to_string().contains("PHOTO_INVALID_DIMENSIONS"),
        "{err}"
    );
}

// ---- buttons, forwards, groups, commands ----

#[tokio::test]
async fn button_press_arrives_as_callback_query_and_answer_is_recorded() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let eve = emu.user(5, "Eve", None);
    eve.send_text("/start");
    let sent = bot
        .send_message(ChatId(5), "menu")
        .reply_markup(keyboard("menu:stats"))
        .await
        .expect("send");
    let offset = bot.get_updates().await.expect("updates")[0].id.0 as i32 + 1;

    let query_id = eve.press_button(5, sent.id.0, "menu:stats");
    let updates = bot.get_updates().offset(offset).await.expect("updates");
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("expected a callback query, got {:?}", updates[0].kind);
    };
    assert_eq!(query.id.0, query_id);
    assert_eq!(query.data.as_deref(), Some("menu:stats"));
    assert_eq!(query.from.id, UserId(5));
    let Some(MaybeInaccessibleMessage::Regular(message)) = &query.message else {
        panic!("expected the message with the button");
    };
    assert_eq!(message.id, sent.id);
    assert!(message.reply_markup().is_some());

    assert_eq!(eve.callback_answer(&query_id), None);
    bot.answer_callback_query(query.id.clone())
        .text("Готово")
        .show_alert(true)
        .await
        .expect("answer");
    let answer = eve.callback_answer(&query_id).expect("answered");
    assert_eq!(
        (answer.text.as_deref(), answer.show_alert),
        (Some("Готово"), true)
    );

    let (status, body) = call(
        &emu,
        "answerCallbackQuery",
        json!({ "callback_query_id": query_id }),
    )
    .await;
    assert_eq!(status, 400, "answering twice: {body}");
    assert_eq!(
        body["description"],
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    );
}

#[tokio::test]
async fn forward_from_channel_has_channel_origin() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let shop = emu.channel(-1_002_003_004, "Shop news");
    emu.user(5, "Eve", None)
        .forward_from_channel(&shop, "New arrivals");
    let updates = bot.get_updates().await.expect("updates");
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message");
    };
    assert_eq!(message.text(), Some("New arrivals"));
    let Some(MessageOrigin::Channel {
        chat, message_id, ..
    }) = message.forward_origin()
    else {
        panic!(
            "expected a channel origin, got {:?}",
            message.forward_origin()
        );
    };
    assert_eq!(chat.id, ChatId(-1_002_003_004));
    assert!(chat.is_channel());
    assert_eq!(chat.title(), Some("Shop news"));
    assert!(message_id.0 > 0);
    assert_eq!(
        emu.chat_messages(5)[0].forwarded_from_channel,
        Some(-1_002_003_004)
    );
}

#[tokio::test]
async fn group_commands_for_the_bot_arrive_and_other_chatter_does_not() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let team = emu.group(-4001, "Team");
    let eve = emu.user(5, "Eve", None);
    eve.send_text_in(&team, "hi all");
    eve.send_text_in(&team, "/stats@avito_reports_test_bot");
    eve.send_text_in(&team, "/stats@some_other_bot");
    let updates = bot.get_updates().await.expect("updates");
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message");
    };
    assert_eq!(message.text(), Some("/stats@avito_reports_test_bot"));
    assert!(message.chat.is_group());
    assert_eq!(message.chat.title(), Some("Team"));
    assert_eq!(emu.chat_messages(-4001).len(), 3);

    let reply = bot
        .send_message(ChatId(team.id()), "42 views")
        .await
        .expect("reply");
    assert!(reply.chat.is_group());
}

#[tokio::test]
async fn commands_are_stored_per_scope() {
    let emu = emulator().await;
    let bot = bot(&emu);
    bot.set_my_commands([
        BotCommand::new("/start", "Начать"),
        BotCommand::new("stats", "Статистика"),
    ])
    .await
    .expect("setMyCommands");
    bot.set_my_commands([BotCommand::new("admin", "Admin")])
        .scope(BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(-4001)),
        })
        .language_code("ru")
        .await
        .expect("setMyCommands scoped");
    assert_eq!(
        emu.commands("default"),
        vec![
            ("start".to_owned(), "Начать".to_owned()),
            ("stats".to_owned(), "Статистика".to_owned())
        ]
    );
    assert_eq!(emu.commands("chat:-4001/ru").len(), 1);
    let listed = bot.get_my_commands().await.expect("getMyCommands");
    assert_eq!(listed[1].command, "stats");
    bot.delete_my_commands().await.expect("deleteMyCommands");
    assert!(emu.commands("default").is_empty());

    let err = bot
        .set_my_commands([BotCommand::new("Bad Name", "x")])
        .await
        .expect_err("invalid");
    assert!(err.to_string().contains("BOT_COMMAND_INVALID"), "{err}");
}

#[tokio::test]
async fn wait_for_timeout_says_what_the_chat_held() {
    let emu = emulator().await;
    emu.user(5, "Eve", None).send_text("hello there");
    let err = emu
        .wait_for(5, Duration::from_millis(100), |m| m.from_bot)
        .await
        .expect_err("no bot message");
    let text = err.to_string();
    assert!(text.contains("hello there"), "{text}");
}

// ---- HTTP driver ----

#[tokio::test]
async fn driver_over_http_plays_a_user() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let client = reqwest::Client::new();
    let base = emu.base_url();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{base}/_driver{path}")).json(&body);
        async move {
            let response = request.send().await.expect("driver request");
            assert!(response.status().is_success(), "{}", response.status());
            response.json::<Value>().await.expect("json")
        }
    };

    post(
        "/users",
        json!({ "id": 9, "first_name": "Ivan", "language_code": "ru" }),
    )
    .await;
    post("/users/9/send", json!({ "text": "/start" })).await;
    let updates = bot.get_updates().await.expect("updates");
    assert_eq!(updates.len(), 1);

    let sent = bot
        .send_message(ChatId(9), "menu")
        .reply_markup(keyboard("go"))
        .await
        .expect("send");
    bot.send_document(
        ChatId(9),
        InputFile::memory(b"a,b\n1,2\n".to_vec()).file_name("r.csv"),
    )
    .await
    .expect("document");
    let pressed = post(
        "/users/9/press",
        json!({ "chat_id": 9, "message_id": sent.id.0, "callback_data": "go" }),
    )
    .await;
    assert!(pressed["callback_query_id"].is_string());

    let chat: Value = client
        .get(format!("{base}/_driver/chats/9/messages"))
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("json");
    let messages = chat.as_array().expect("array");
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["buttons"][0][0]["callback_data"], "go");
    let url = messages[2]["document"]["download_url"]
        .as_str()
        .expect("download url");
    let bytes = client
        .get(url)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], b"a,b\n1,2\n");

    post("/users/9/block", json!({ "blocked": true })).await;
    let err = bot.send_message(ChatId(9), "x").await.expect_err("blocked");
    assert_eq!(api_error(err), ApiError::BotBlocked);

    let response = client
        .post(format!("{base}/_driver/users/404/send"))
        .json(&json!({ "text": "x" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 404);
}

// ---- shapes: everything the emulator emits deserialises into teloxide's types ----

#[tokio::test]
async fn every_update_the_emulator_emits_deserializes_into_teloxide_update() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let eve = emu.user(5, "Eve", Some("en"));
    let team = emu.group(-4001, "Team");
    let shop = emu.channel(-1_002_003_004, "Shop");
    eve.send_text("/start");
    eve.send_text_in(&team, "/stats");
    eve.forward_from_channel(&shop, "post");
    let sent = bot
        .send_message(ChatId(5), "menu")
        .reply_markup(keyboard("k"))
        .await
        .expect("send");
    eve.press_button(5, sent.id.0, "k");

    let raw = raw_updates(&emu).await;
    assert_eq!(raw.len(), 4);
    for value in raw {
        // From text, as teloxide reads responses: its Update impl cannot read a `Value`.
        let update: Update = serde_json::from_str(&value.to_string()).expect("an Update");
        assert!(
            !matches!(update.kind, UpdateKind::Error(_)),
            "teloxide could not read {value}"
        );
        if let UpdateKind::Message(m) = &update.kind {
            assert!(m.text().is_some(), "{value}");
        }
    }
}

#[tokio::test]
async fn every_message_the_bot_sends_deserializes_into_teloxide_message() {
    let emu = emulator().await;
    emu.user(5, "Eve", None).send_text("/start");
    emu.group(-4001, "Team");
    emu.channel(-1_002_003_004, "Shop");
    let mut messages = Vec::new();
    for chat_id in [5, -4001, -1_002_003_004] {
        messages.push(
            result_of(
                &emu,
                "sendMessage",
                json!({
                    "chat_id": chat_id,
                    "text": "<i>hi</i> <a href=\"https://example.com\">link</a>",
                    "parse_mode": "HTML",
                    "reply_markup": { "inline_keyboard": [[
                        { "text": "A", "callback_data": "a" },
                        { "text": "Site", "url": "https://example.com/x" }
                    ]] },
                }),
            )
            .await,
        );
    }
    let edited = result_of(
        &emu,
        "editMessageText",
        json!({ "chat_id": 5, "message_id": messages[0]["message_id"], "text": "edited" }),
    )
    .await;
    let with_keyboard = result_of(
        &emu,
        "editMessageReplyMarkup",
        json!({ "chat_id": 5, "message_id": messages[0]["message_id"],
                "reply_markup": { "inline_keyboard": [[{ "text": "B", "callback_data": "b" }]] } }),
    )
    .await;

    for value in &messages {
        let message: Message = serde_json::from_value(value.clone()).expect("a Message");
        assert_eq!(message.text(), Some("hi link"));
        let entities = message.entities().expect("entities");
        assert_eq!(entities[0].kind, MessageEntityKind::Italic);
        assert!(matches!(
            entities[1].kind,
            MessageEntityKind::TextLink { .. }
        ));
        let buttons = &message.reply_markup().expect("keyboard").inline_keyboard[0];
        assert_eq!(buttons.len(), 2);
    }
    let channel_post: Message = serde_json::from_value(messages[2].clone()).expect("post");
    assert!(channel_post.chat.is_channel());
    assert!(channel_post.from.is_none());
    assert_eq!(
        channel_post.sender_chat.map(|c| c.id),
        Some(ChatId(-1_002_003_004))
    );
    let group_message: Message = serde_json::from_value(messages[1].clone()).expect("group");
    assert!(group_message.chat.is_group());

    let edited: Message = serde_json::from_value(edited).expect("edited");
    assert_eq!(edited.text(), Some("edited"));
    assert!(edited.edit_date().is_some());
    let with_keyboard: Message = serde_json::from_value(with_keyboard).expect("markup edit");
    assert!(with_keyboard.reply_markup().is_some());
}

#[tokio::test]
async fn me_chat_member_chat_and_file_deserialize_into_teloxide_types() {
    let emu = emulator().await;
    let eve = emu.user(5, "Eve", Some("ru"));
    eve.send_text("/start");
    emu.group(-4001, "Team");
    emu.channel(-1_002_003_004, "Shop");

    let me: Me = serde_json::from_value(result_of(&emu, "getMe", json!({})).await).expect("Me");
    assert_eq!(me.username(), "avito_reports_test_bot");
    assert!(me.user.is_bot);
    assert_eq!(me.id, UserId(123_456));

    for (chat_id, check) in [
        (5_i64, "private"),
        (-4001, "group"),
        (-1_002_003_004, "channel"),
    ] {
        let value = result_of(&emu, "getChat", json!({ "chat_id": chat_id })).await;
        let info: ChatFullInfo = serde_json::from_value(value.clone()).expect("ChatFullInfo");
        assert_eq!(info.id, ChatId(chat_id));
        let matches = match check {
            "private" => info.is_private(),
            "group" => info.is_group(),
            _ => info.is_channel(),
        };
        assert!(matches, "{value}");

        let member = result_of(
            &emu,
            "getChatMember",
            json!({ "chat_id": chat_id, "user_id": 123_456 }),
        )
        .await;
        let member: ChatMember = serde_json::from_value(member).expect("ChatMember");
        assert!(member.user.is_bot);
        assert_eq!(member.kind.is_privileged(), check == "channel");
        assert!(member.kind.is_present());
    }
    let user_member = result_of(
        &emu,
        "getChatMember",
        json!({ "chat_id": -4001, "user_id": 5 }),
    )
    .await;
    let user_member: ChatMember = serde_json::from_value(user_member).expect("ChatMember");
    assert_eq!(user_member.user.language_code.as_deref(), Some("ru"));

    let sent = bot(&emu)
        .send_document(
            ChatId(5),
            InputFile::memory(vec![1, 2, 3]).file_name("a.bin"),
        )
        .await
        .expect("document");
    let file_id = sent.document().expect("doc").file.id.clone();
    let file = result_of(&emu, "getFile", json!({ "file_id": file_id.0 })).await;
    let file: File = serde_json::from_value(file).expect("File");
    assert_eq!(file.meta.size, 3);
    assert!(file.path.starts_with("documents/"));

    let webhook = result_of(&emu, "getWebhookInfo", json!({})).await;
    let _: teloxide::types::WebhookInfo = serde_json::from_value(webhook).expect("WebhookInfo");
}

#[tokio::test]
async fn shutdown_ends_a_pending_long_poll() {
    let emu = emulator().await;
    let bot = bot(&emu);
    let poll = tokio::spawn(async move { bot.get_updates().timeout(30).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.shutdown().await;
    let result = tokio::time::timeout(Duration::from_secs(5), poll).await;
    assert!(result.is_ok(), "long poll still pending after shutdown");
}

#[tokio::test]
async fn teloxide_dispatcher_with_default_polling_answers_a_user() {
    let emu = emulator().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let text = format!("echo: {}", msg.text().unwrap_or_default());
        bot.send_message(msg.chat.id, text).await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot(&emu), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    emu.user(5, "Eve", None).send_text("hello");
    let reply = emu
        .wait_for(5, WAIT, |m| m.from_bot)
        .await
        .expect("the bot answered");
    assert_eq!(reply.text.as_deref(), Some("echo: hello"));

    shutdown.shutdown().expect("dispatcher is running").await;
    running.await.expect("dispatcher task");
}
