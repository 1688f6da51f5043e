//! Carries a press out: loads what its plan needs, asks [`plan::press`], and carries the
//! [`HubPlan`] out through the ports — the dialogue step, the change, the screen (of the
//! profile as then stored) and the press's answer, or the longer effect it starts.

use super::plan::{self, Ask, HubPlan, Loaded, Of, PressFacts, Reply, Say, Shown, Step, View};
use crate::bot::access::Owned;
use crate::bot::answer::{self, AnswerPorts};
use crate::bot::dialogue::check::{self, CheckPorts};
use crate::bot::dialogue::prompts;
use crate::bot::ports::{Chat, DialogueStore, Effects, Export, HubMessage, Reviews, SettingsStore};
use crate::bot::texts::{T, t, tf};
use crate::bot::ui::{Answer, Screen};
use crate::bot::views::{list, listings, screens, words};
use crate::db::tasks::RunKind;
use crate::db::users::TelegramUser;
use crate::domain::clock;
use crate::export::job::Pressed;
use crate::i18n::Lang;
use crate::report::{Period, html_escape};
use crate::telegram::callback::{Callback, ProfileAction};

/// What a press acts through.
pub struct HubPorts<'a> {
    pub store: &'a dyn SettingsStore,
    pub dialogue: &'a dyn DialogueStore,
    pub hub: &'a dyn HubMessage,
    pub chat: &'a dyn Chat,
    pub effects: &'a dyn Effects,
    /// "Try again" checks kept keys.
    pub check: CheckPorts<'a>,
    pub reviews: &'a dyn Reviews,
}

/// Who pressed, where, in which language.
pub struct Presser<'a> {
    pub lang: Lang,
    pub facts: &'a PressFacts,
    pub user: &'a TelegramUser,
}

/// Loads what the plan of `cb` needs, plans, and carries the plan out.
pub async fn run(ports: &HubPorts<'_>, by: &Presser<'_>, cb: Callback) -> anyhow::Result<Answer> {
    let mut loaded = Loaded::default();
    if plan::needs_dialogue(cb) {
        loaded.dialogue = ports.dialogue.current().await?;
    }
    if let Callback::Profile(id, action) = cb {
        let owned = ports.store.owned(id, by.facts.user).await?;
        if owned.is_ok() {
            // A valid press elsewhere in the hub leaves a half-done dialogue: the user moved
            // on. (Buttons that start a dialogue enter their own step afterwards.)
            ports.dialogue.leave().await?;
            if plan::needs_rules(action) {
                loaded.rules = ports.store.alert_rules(id).await?;
            }
        }
        loaded.profile = Some(owned);
    }
    let planned = plan::press(cb, &loaded, by.facts, clock::now());
    let o = loaded.profile.as_ref().and_then(|p| p.as_ref().ok());
    execute(ports, by, o, planned).await
}

/// Carries `planned` out on the profile `o` (when the press named one).
async fn execute(
    ports: &HubPorts<'_>,
    by: &Presser<'_>,
    o: Option<&Owned>,
    planned: HubPlan,
) -> anyhow::Result<Answer> {
    let lang = by.lang;
    match (planned, o) {
        (HubPlan::Refuse(say), _) => Ok(Answer::Alert(said(lang, &say))),
        (HubPlan::Show(shown), o) => show(ports, by, o, shown).await,
        (HubPlan::Retry(kept), _) => {
            // Answer now (the check can take a while) and take the button away so it is not
            // pressed twice while Avito is being asked.
            ports.hub.answer_now(Answer::Silent).await?;
            ports.hub.take_buttons().await;
            check::retry(&ports.check, by.user, lang, kept).await?;
            Ok(Answer::Done)
        }
        // The rest are effects on a profile.
        (_, None) => Ok(Answer::Alert(said(lang, &Say::Stale))),
        (HubPlan::ReportNow(period), Some(o)) => report_now(ports, lang, o, period).await,
        (HubPlan::Listings(page), Some(o)) => {
            // Answer first: a new order may wait for Avito's once-a-minute statistics.
            let reading = Answer::Toast(t(lang, T::ListingsReading));
            ports.hub.answer_now(reading).await?;
            let read = ports.effects.listings(o, page).await?;
            let screen = listings::screen(lang, o.profile.id, &o.profile.name, page, &read);
            ports.hub.show(screen).await?;
            Ok(Answer::Done)
        }
        (HubPlan::Answer(what), Some(o)) => {
            let answering = AnswerPorts {
                reviews: ports.reviews,
                pressed: ports.hub,
                chat: ports.chat,
            };
            answer::press(&answering, lang, o, by.facts.private, what).await
        }
        (HubPlan::ExportChats { since }, Some(o)) => {
            let what = Export::Chats { since };
            Ok(match ports.effects.export(lang, &o.profile, what).await? {
                Pressed::AlreadyRunning(text) => Answer::Alert(text),
                Pressed::Queued { toast, .. } => Answer::Toast(toast),
            })
        }
        (HubPlan::CheckRights { channel }, Some(o)) => {
            let rights = ports.effects.can_post(by.facts.chat, channel).await;
            match plan::rights_checked(o, by.facts, rights) {
                Ok(shown) => show(ports, by, Some(o), shown).await,
                Err(say) => Ok(Answer::Alert(said(lang, &say))),
            }
        }
    }
}

/// "Report now": to the destination chat, or here when none is set.
async fn report_now(
    ports: &HubPorts<'_>,
    lang: Lang,
    o: &Owned,
    period: Result<Period, crate::domain::DamagedSetting>,
) -> anyhow::Result<Answer> {
    // Answer first: building a report can outlast the callback's answer window.
    let preparing = Answer::Toast(t(lang, T::ReportPreparing));
    ports.hub.answer_now(preparing).await?;
    match period {
        Ok(period) => ports.effects.report(lang, o, period, RunKind::Now).await?,
        // The press is answered already: say it in the chat.
        Err(damaged) => ports.chat.say(words::damaged(lang, &damaged)).await?,
    }
    Ok(Answer::Done)
}

async fn show(
    ports: &HubPorts<'_>,
    by: &Presser<'_>,
    o: Option<&Owned>,
    shown: Shown,
) -> anyhow::Result<Answer> {
    let Shown {
        step,
        change,
        view,
        reply,
    } = shown;
    match step {
        Step::Stay => {}
        Step::Enter(state) => ports.dialogue.enter(state).await?,
        Step::Leave => ports.dialogue.leave().await?,
        Step::Exit => ports.dialogue.exit().await?,
    }
    let changed = change.is_some();
    if let (Some(change), Some(o)) = (change, o) {
        ports.store.apply(o, change).await?;
    }
    // After a change the screen shows what is stored (the alerts screen always does).
    let fresh;
    let o = match (o, &view) {
        (Some(o), View::Profile(of)) if changed || *of == Of::Alerts => {
            match ports.store.owned(o.profile.id, by.facts.user).await? {
                Ok(reloaded) => {
                    fresh = reloaded;
                    Some(&fresh)
                }
                // Gone meanwhile: nothing to show.
                Err(_) => {
                    return Ok(match reply {
                        Reply::Toast(say) => Answer::Toast(said(by.lang, &say)),
                        Reply::Silent | Reply::Saved => Answer::Alert(said(by.lang, &Say::Stale)),
                    });
                }
            }
        }
        (o, _) => o,
    };
    let Some(screen) = render(ports, by, o, view).await? else {
        return Ok(Answer::Alert(said(by.lang, &Say::Stale)));
    };
    ports.hub.show(screen).await?;
    Ok(match reply {
        Reply::Silent => Answer::Silent,
        Reply::Saved => Answer::Toast(t(by.lang, T::Saved)),
        Reply::Toast(say) => Answer::Toast(said(by.lang, &say)),
    })
}

/// The screen of `view` (`None`: a screen of a profile, and none was loaded).
async fn render(
    ports: &HubPorts<'_>,
    by: &Presser<'_>,
    o: Option<&Owned>,
    view: View,
) -> anyhow::Result<Option<Screen>> {
    let (lang, user) = (by.lang, by.facts.user);
    let screen = match (view, o) {
        (View::List(page), _) => {
            list::screen(lang, user, &ports.store.profiles_page(user, page).await?)
        }
        (View::Deleted(name), _) => {
            let notice = tf(lang, T::Deleted, &[("name", &html_escape(&name))]);
            let page = ports.store.profiles_page(user, 0).await?;
            list::screen(lang, user, &page).with_notice(&notice)
        }
        (View::Cancelled, _) => Screen::new(t(lang, T::Cancelled), vec![]),
        (View::AskName, _) => {
            let back = Callback::ProfilesPage {
                owner: user,
                page: 0,
            };
            screens::prompt(lang, prompts::ask_name(lang), back)
        }
        (View::Profile(of), Some(o)) => of_profile(ports, lang, o, of).await?,
        (View::Profile(_), None) => return Ok(None),
    };
    Ok(Some(screen))
}

async fn of_profile(ports: &HubPorts<'_>, lang: Lang, o: &Owned, of: Of) -> anyhow::Result<Screen> {
    let id = o.profile.id;
    Ok(match of {
        Of::Card => {
            let last = ports.store.last_run(&o.task).await?;
            let open = ports.store.open_alerts(id).await?;
            let reputation = ports.store.reputation(id).await?;
            screens::card(lang, o, last.as_ref(), &open, reputation.as_ref())
        }
        Of::Alerts => {
            let rules = ports.store.alert_rules(id).await?;
            let open = ports.store.open_alerts(id).await?;
            screens::alerts(lang, o, &rules, &open)
        }
        Of::Settings => screens::settings(lang, o),
        Of::Metrics => screens::metrics(lang, o),
        Of::Chat => screens::chat(lang, o),
        Of::Time => screens::time(lang, o),
        Of::TimeZone => screens::time_zone(lang, o),
        Of::Frequency => screens::frequency(lang, o),
        Of::IntervalChoice => screens::interval_prompt(lang, o),
        Of::MonthDayChoice => screens::month_day_prompt(lang, o),
        Of::Period => screens::period(lang, o),
        Of::DeleteConfirm => screens::delete_confirm(lang, o),
        Of::Ask(ask) => question(lang, o, ask),
    })
}

/// The first question of a dialogue about `o`, with the way back.
fn question(lang: Lang, o: &Owned, ask: Ask) -> Screen {
    let (id, name) = (o.profile.id, &o.profile.name);
    let (text, back) = match ask {
        Ask::PeriodStart { purpose, today } => (
            prompts::ask_start(lang, name, purpose, today),
            ProfileAction::View,
        ),
        Ask::Forward => (prompts::ask_forward(lang, name), ProfileAction::SetChat),
        Ask::Rename => (prompts::ask_rename(lang, name), ProfileAction::View),
        Ask::KeysClientId => (prompts::ask_client_id(lang, name), ProfileAction::View),
    };
    screens::prompt(lang, text, back.on(id))
}

/// What an alert or a toast says, in the user's language.
pub fn said(lang: Lang, say: &Say) -> String {
    let key = match say {
        Say::NotOwner => T::AlertNotOwner,
        Say::PrivateOnly => T::PrivateOnly,
        Say::Stale => T::AlertStale,
        Say::MetricLast => T::AlertMetricLast,
        Say::NeedChat => T::AlertNeedChat,
        Say::NoDialogue => T::AlertNoDialogue,
        Say::ChatCleared => T::ChatCleared,
        Say::Damaged(damaged) => return words::damaged(lang, damaged),
        // Alerts are plain text: the tags the shared text carries are dropped.
        Say::CannotPost { title, why } => {
            let text = tf(
                lang,
                T::ChatCannotPost,
                &[("title", title), ("reason", &why.reason(lang))],
            );
            return text.replace("<b>", "").replace("</b>", "");
        }
        Say::TimeSaved(at) => return tf(lang, T::TimeSaved, &[("time", &at.to_string())]),
        Say::TzSaved(tz) => return tf(lang, T::TzSaved, &[("tz", tz.name())]),
        Say::ChatSet { name, title } => {
            return tf(lang, T::ChatSetDone, &[("name", name), ("title", title)]);
        }
    };
    t(lang, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::chat_check::CannotPost;

    #[test]
    fn alerts_are_plain_text() {
        let said = said(
            Lang::En,
            &Say::CannotPost {
                title: "<b>Team</b>".into(),
                why: CannotPost::NoRights,
            },
        );
        assert!(said.contains("“Team”"), "{said}");
        assert!(!said.contains("<b>"), "{said}");
    }
}
