//! README's configuration tables, checked against the table of variables: a variable
//! without a row, a row naming no variable, a knob in the production table (or the other way
//! round) or a default shown otherwise than the table's fails here.

use std::collections::BTreeMap;

use super::vars;

const README: &str = include_str!("../../README.md");
const SECTION: &str = "## Configuration";
/// The heading of the knobs' own table, inside the section.
const KNOBS_HEADING: &str = "### Test knobs";

/// `variable → default cell` of the rows of a README table.
fn rows(table: &str) -> BTreeMap<String, String> {
    table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| {
            let (var, rest) = rest.split_once("` | ")?;
            let (default, _) = rest.split_once(" | ")?;
            Some((var.to_owned(), default.trim().to_owned()))
        })
        .collect()
}

/// The README's production rows and knob rows.
fn readme_tables() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let start = README
        .find(SECTION)
        .expect("README has a configuration section");
    let section = &README[start + SECTION.len()..];
    let section = section.split("\n## ").next().unwrap_or(section);
    let (production, knobs) = section
        .split_once(KNOBS_HEADING)
        .expect("the configuration section has a table of test knobs");
    (rows(production), rows(knobs))
}

/// `variable → default` (None when it has none) of the table's production variables and of
/// its knobs.
type Declared = BTreeMap<&'static str, Option<String>>;

fn declared() -> (Declared, Declared) {
    let (mut production, mut knobs) = (Declared::new(), Declared::new());
    for arg in vars::table().get_arguments() {
        let Some(var) = vars::name(arg) else { continue };
        let default = arg
            .get_default_values()
            .first()
            .map(|d| d.to_string_lossy().into_owned());
        let side = if arg.get_help_heading() == Some(vars::KNOBS) {
            &mut knobs
        } else {
            &mut production
        };
        side.insert(var, default);
    }
    (production, knobs)
}

/// What is wrong with one README table against the variables it should list.
fn mismatches(which: &str, readme: &BTreeMap<String, String>, declared: &Declared) -> Vec<String> {
    let mut wrong = Vec::new();
    for (var, default) in declared {
        match (readme.get(*var), default) {
            (None, _) => wrong.push(format!("{which}: no row for {var}")),
            (Some(shown), Some(default)) if *shown != format!("`{default}`") => wrong.push(
                format!("{which}: {var} shows the default {shown}, the table has `{default}`"),
            ),
            (Some(shown), None) if shown.starts_with('`') => wrong.push(format!(
                "{which}: {var} has no default, the row shows {shown} (say what unset means)"
            )),
            _ => {}
        }
    }
    for var in readme.keys() {
        if !declared.contains_key(var.as_str()) {
            wrong.push(format!(
                "{which}: a row for {var}, which is not a variable there"
            ));
        }
    }
    wrong
}

#[test]
fn the_readme_lists_every_variable_with_its_default() {
    let (readme_production, readme_knobs) = readme_tables();
    let (production, knobs) = declared();
    assert!(
        production.len() > 20 && knobs.len() >= 3,
        "{production:?} {knobs:?}"
    );
    let mut wrong = mismatches("production settings", &readme_production, &production);
    wrong.extend(mismatches("test knobs", &readme_knobs, &knobs));
    assert!(
        wrong.is_empty(),
        "README.md's configuration tables and src/config/vars.rs differ:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_fails_on_a_missing_row_an_unknown_row_and_another_default() {
    let declared: Declared = [("A_SEC", Some("1".to_owned())), ("B", None)].into();
    let readme: BTreeMap<String, String> = [
        ("A_SEC".to_owned(), "`2`".to_owned()),
        ("C".to_owned(), "`x`".to_owned()),
    ]
    .into();
    let wrong = mismatches("t", &readme, &declared);
    assert_eq!(
        wrong,
        [
            "t: A_SEC shows the default `2`, the table has `1`",
            "t: no row for B",
            "t: a row for C, which is not a variable there",
        ]
    );
    let unset: BTreeMap<String, String> = [
        ("A_SEC".to_owned(), "`1`".to_owned()),
        ("B".to_owned(), "`5`".to_owned()),
    ]
    .into();
    assert_eq!(
        mismatches("t", &unset, &declared),
        ["t: B has no default, the row shows `5` (say what unset means)"]
    );
}
