//! Which blocked or rejected listings the rule tells, decided without I/O: a listing seen
//! flagged for the first time, or flagged differently than before, is told once; on the
//! rule's first pass what is flagged already is only recorded; quiet hours hold the notice
//! (the listing stays unrecorded, so the first check after them tells it).

use std::collections::HashMap;

use crate::avito::model::{Item, ItemStatus};
use crate::domain::ListingFlag;

/// A listing's flag, when it has one.
pub fn flag_of(status: ItemStatus) -> Option<ListingFlag> {
    match status {
        ItemStatus::Blocked => Some(ListingFlag::Blocked),
        ItemStatus::Rejected => Some(ListingFlag::Rejected),
        _ => None,
    }
}

/// What to do with one flagged listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Tell,
    /// Recorded without a word (the first pass).
    Mark,
    /// Quiet hours: the next check after them.
    Wait,
    /// Seen so already.
    Nothing,
}

pub fn decide(
    known: Option<ListingFlag>,
    flag: ListingFlag,
    first_pass: bool,
    quiet: bool,
) -> Step {
    match () {
        _ if known == Some(flag) => Step::Nothing,
        _ if first_pass => Step::Mark,
        _ if quiet => Step::Wait,
        _ => Step::Tell,
    }
}

/// The plan of one check: each flagged listing's step, and the recorded listings that are no
/// longer flagged (forgotten, so that a new block is told again).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan<'a> {
    pub steps: Vec<(&'a Item, ListingFlag, Step)>,
    pub cleared: Vec<i64>,
}

pub fn plan<'a>(
    items: &'a [Item],
    known: &HashMap<i64, ListingFlag>,
    first_pass: bool,
    quiet: bool,
) -> Plan<'a> {
    let steps: Vec<(&Item, ListingFlag, Step)> = items
        .iter()
        .filter_map(|item| {
            let flag = flag_of(item.status)?;
            let step = decide(known.get(&item.id).copied(), flag, first_pass, quiet);
            Some((item, flag, step))
        })
        .collect();
    let cleared = known
        .keys()
        .filter(|id| !steps.iter().any(|(item, _, _)| item.id == **id))
        .copied()
        .collect();
    Plan { steps, cleared }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, status: ItemStatus) -> Item {
        Item {
            id,
            title: Some(format!("Item {id}")),
            address: None,
            price: None,
            status,
            url: None,
            category: None,
        }
    }

    #[test]
    fn each_listing_and_change_is_told_once_and_a_lifted_block_is_forgotten() {
        let items = [
            item(1, ItemStatus::Blocked),
            item(2, ItemStatus::Rejected),
            item(3, ItemStatus::Blocked),
        ];
        let known = HashMap::from([
            (1, ListingFlag::Blocked),
            (2, ListingFlag::Blocked),
            (9, ListingFlag::Rejected),
        ]);
        let p = plan(&items, &known, false, false);
        let steps: Vec<(i64, Step)> = p.steps.iter().map(|(i, _, s)| (i.id, *s)).collect();
        assert_eq!(
            steps,
            [(1, Step::Nothing), (2, Step::Tell), (3, Step::Tell)]
        );
        assert_eq!(p.cleared, [9]);
        let first: Vec<Step> = plan(&items, &HashMap::new(), true, false)
            .steps
            .iter()
            .map(|(_, _, s)| *s)
            .collect();
        assert_eq!(first, [Step::Mark; 3]);
        assert_eq!(decide(None, ListingFlag::Blocked, false, true), Step::Wait);
        assert_eq!(flag_of(ItemStatus::Active), None);
    }
}
