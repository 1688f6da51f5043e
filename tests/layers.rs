//! Dependencies point one way: entry points → features → configuration → services → domain. Read
//! from the sources (every `crate::module` a top-level module names), so a new import that
//! goes up a layer, or a cycle between two modules, fails here with the file that made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer of each top-level module of `src/`, lowest first. Configuration sits above the
/// services: they own their value types (`BotToken`, `DatabaseUrl`, `SecretKey`, `LogFormat`)
/// and take their own small values, so that none of them reads the settings; `config` builds
/// those values from the environment, and `context` hands the settings to the features.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &["domain", "i18n", "net", "retry", "text_keys"]),
    (
        "services",
        &[
            "avito",
            "budget",
            "crypto",
            "db",
            "metrics",
            "queue",
            "telegram",
            "ops",
            "telemetry",
        ],
    ),
    ("configuration", &["config", "context"]),
    (
        "features",
        &[
            "listings", "report", "schedule", "export", "jobs", "bot", "alerts", "keys", "reviews",
        ],
    ),
    ("entry points", &["app", "cli", "demo"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/bot/hub/mod.rs` → `bot`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// Every `crate::name` in `text`, doc links and comments included: a link up a layer
/// couples the modules' documentation the same way.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` in macros names the crate the same way.
            if !name.is_empty() {
                found.insert(name);
            }
            rest = after;
        }
    }
    found
}

fn imports() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read file");
        let entry = graph.entry(module.clone()).or_default();
        for used in crate_paths(&text) {
            if used != module {
                entry.entry(used).or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

#[test]
fn every_top_level_module_has_a_layer() {
    let graph = imports();
    let unknown: Vec<&String> = graph.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        unknown.is_empty(),
        "modules without a layer in tests/layers.rs: {unknown:?}"
    );
}

#[test]
fn no_module_imports_one_above_it() {
    let mut wrong = Vec::new();
    for (module, uses) in imports() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for (used, file) in uses {
            if layer_of(&used).is_some_and(|l| l > own) {
                wrong.push(format!(
                    "{module} ({}) imports {used} ({}) in {}",
                    LAYERS[own].0,
                    LAYERS[layer_of(&used).unwrap_or(own)].0,
                    file.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = imports();
    // Depth-first search for a back edge; the cycle is reported with the files behind it.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|m| m.keys()) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            let edges: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let file = graph
                        .get(&w[0])
                        .and_then(|m| m.get(&w[1]))
                        .map(|f| f.display().to_string())
                        .unwrap_or_default();
                    format!("{} → {} ({file})", w[0], w[1])
                })
                .collect();
            panic!("import cycle:\n{}", edges.join("\n"));
        }
    }
}

/// Inside `src/bot`, file by file: the files import each other in no circle, and the views
/// (`src/bot/views/`) import neither the hub's handlers nor the dialogues, which both use
/// them. Read from the sources: every `use` (its braces expanded) and every path that starts
/// at `crate::bot`, `super`, `self` or a module the file declares, resolved to the file that
/// defines it; code under `#[cfg(test)]` and comments are not read.
#[test]
fn bot_files_form_no_circle_and_views_import_no_handlers() {
    type Graph = BTreeMap<PathBuf, BTreeSet<PathBuf>>;

    /// The text of a file without comments, string literals and `#[cfg(test)]` items.
    fn code_of(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            out.push('\n');
                            break;
                        }
                    }
                }
                '"' => {
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        match (escaped, c) {
                            (false, '\\') => escaped = true,
                            (false, '"') => break,
                            _ => escaped = false,
                        }
                    }
                    out.push_str("\"\"");
                }
                c => out.push(c),
            }
        }
        // A test item runs from its attribute to the end of its braces (or its `;`).
        while let Some(at) = out.find("#[cfg(test)]") {
            let rest = &out[at..];
            let mut depth = 0;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => {
                        end = i + 1;
                        break;
                    }
                    '}' => depth -= 1,
                    ';' if depth == 0 => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            out.replace_range(at..at + end, "");
        }
        out
    }

    /// `a::{b, c::{d, self}}` as the paths it names.
    fn expand(tree: &str) -> Vec<Vec<String>> {
        let tree = tree.trim();
        let Some(open) = tree.find('{') else {
            let path = tree.split(" as ").next().unwrap_or_default();
            return vec![path.split("::").map(|s| s.trim().to_owned()).collect()];
        };
        let prefix: Vec<String> = tree[..open]
            .trim()
            .trim_end_matches("::")
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&inner[start..]);
        let mut paths = Vec::new();
        for part in parts.into_iter().filter(|p| !p.trim().is_empty()) {
            for tail in expand(part) {
                let tail = if tail == ["self"] { Vec::new() } else { tail };
                paths.push(prefix.iter().cloned().chain(tail).collect());
            }
        }
        paths
    }

    /// The module path of a file of `src/bot` (`hub/plan.rs` → `hub::plan`, `hub/mod.rs` → `hub`).
    fn module_of(bot: &Path, file: &Path) -> Vec<String> {
        let relative = file.strip_prefix(bot).expect("a file of src/bot");
        let mut path: Vec<String> = relative
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if path.last().is_some_and(|last| last == "mod") {
            path.pop();
        }
        path
    }

    /// The file that defines what `path` (from `src/bot`) names: the deepest module on it.
    fn file_of(bot: &Path, path: &[String]) -> PathBuf {
        for len in (1..=path.len()).rev() {
            let dir = path[..len].iter().fold(bot.to_path_buf(), |p, s| p.join(s));
            let (file, folder) = (dir.with_extension("rs"), dir.join("mod.rs"));
            if file.is_file() {
                return file;
            }
            if folder.is_file() {
                return folder;
            }
        }
        bot.join("mod.rs")
    }

    /// `path` as seen from the module `here`, from `src/bot`; `None` when it leads outside.
    fn resolve(here: &[String], children: &[String], path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut at: Vec<String> = here.to_vec();
        let mut rest = path;
        match first.as_str() {
            "crate" if path.get(1).is_some_and(|s| s == "bot") => {
                at.clear();
                rest = &path[2..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop()?;
                    rest = &rest[1..];
                }
            }
            name if children.iter().any(|c| c == name) => {}
            _ => return None,
        }
        Some(at.into_iter().chain(rest.iter().cloned()).collect())
    }

    fn imports(bot: &Path, file: &Path) -> BTreeSet<PathBuf> {
        let code = code_of(&std::fs::read_to_string(file).expect("read file"));
        let here = module_of(bot, file);
        let children: Vec<String> = code
            .split(';')
            .filter_map(|item| {
                let words: Vec<&str> = item.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "mod")?;
                (words.len() == at + 2).then(|| words[at + 1].to_owned())
            })
            .collect();
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        let mut other = String::new();
        // `use` items, braces expanded; everything else is searched for paths below.
        while let Some(at) = rest.find("use ") {
            other.push_str(&rest[..at]);
            if rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                other.push_str("use ");
                rest = &rest[at + 4..];
                continue;
            }
            let end = rest[at..].find(';').map_or(rest.len(), |e| at + e);
            paths.extend(expand(&rest[at + 4..end]));
            rest = &rest[(end + 1).min(rest.len())..];
        }
        other.push_str(rest);
        let bytes: Vec<char> = other.chars().collect();
        let mut i = 0;
        while i < bytes.len() {
            let word_start = i == 0
                || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
            if word_start && (bytes[i].is_alphabetic() || bytes[i] == '_') {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_alphanumeric()
                        || bytes[j] == '_'
                        || (bytes[j] == ':' && bytes.get(j + 1) == Some(&':')))
                {
                    j += if bytes[j] == ':' { 2 } else { 1 };
                }
                let text: String = bytes[i..j].iter().collect();
                if text.contains("::") {
                    paths.push(
                        text.trim_end_matches("::")
                            .split("::")
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
        paths
            .iter()
            .filter_map(|path| resolve(&here, &children, path))
            .map(|path| file_of(bot, &path))
            .filter(|target| target != file)
            .collect()
    }

    fn circle(graph: &Graph) -> Option<Vec<PathBuf>> {
        fn visit(
            node: &PathBuf,
            graph: &Graph,
            path: &mut Vec<PathBuf>,
            done: &mut BTreeSet<PathBuf>,
        ) -> Option<Vec<PathBuf>> {
            if let Some(start) = path.iter().position(|n| n == node) {
                let mut found = path[start..].to_vec();
                found.push(node.clone());
                return Some(found);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.clone());
            for next in graph.get(node).into_iter().flatten() {
                if let Some(found) = visit(next, graph, path, done) {
                    return Some(found);
                }
            }
            path.pop();
            done.insert(node.clone());
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
    }

    let bot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("bot");
    let mut files = Vec::new();
    rust_files(&bot, &mut files);
    let graph: Graph = files
        .iter()
        .map(|file| (file.clone(), imports(&bot, file)))
        .collect();
    // The reader itself must see the imports it is here to check.
    let hub_plan = bot.join("hub").join("plan.rs");
    assert!(
        graph
            .get(&hub_plan)
            .is_some_and(|uses| uses.contains(&bot.join("steps.rs"))),
        "the hub's plan is read as importing the dialogue steps"
    );
    if let Some(found) = circle(&graph) {
        let names: Vec<String> = found
            .iter()
            .map(|f| f.strip_prefix(&bot).unwrap_or(f).display().to_string())
            .collect();
        panic!("import circle in src/bot: {}", names.join(" → "));
    }
    let views = bot.join("views");
    let handlers = [bot.join("hub"), bot.join("dialogue")];
    let wrong: Vec<String> = graph
        .iter()
        .filter(|(file, _)| file.starts_with(&views))
        .flat_map(|(file, uses)| {
            uses.iter()
                .filter(|used| handlers.iter().any(|h| used.starts_with(h)))
                .map(|used| {
                    let shown =
                        |f: &PathBuf| f.strip_prefix(&bot).unwrap_or(f).display().to_string();
                    format!("{} imports {}", shown(file), shown(used))
                })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "views import handlers:\n{}",
        wrong.join("\n")
    );
}

#[path = "layers/folders.rs"]
mod folders;
#[path = "layers/source.rs"]
mod source;

/// The whole house, every folder and its subfolders: no two files import one another in a
/// circle (the sea-orm entities aside, see `folders::EXEMPT`).
const FOLDERS: &[&str] = &["src", "sandbox/src"];

/// The orders folders declare: their files and subfolders by rank, lowest first (`mod` is
/// the folder's `mod.rs`); a file may import from its own rank and below.
const ORDERS: &[(&str, &[&[&str]])] = &[
    (
        "src/demo",
        &[
            &["output", "scrape", "transcript"],
            &["session"],
            &["script"],
            &["mod"],
        ],
    ),
    (
        "src/config",
        &[&["error"], &["values"], &["vars"], &["mod", "readme"]],
    ),
    (
        "src/cli",
        &[
            &["lang", "healthcheck", "jobs", "sandbox"],
            &["avito", "export", "report"],
            &["stats_export", "reviews"],
            &["mod"],
        ],
    ),
];

/// The file tree of a folder of this workspace (`src/bot`, `sandbox/src`).
fn folder_tree(folder: &str) -> folders::Tree {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shown_src = if folder.starts_with("sandbox/") {
        "sandbox/src"
    } else {
        "src"
    };
    folders::Tree::read(&root.join(shown_src), &root.join(folder), shown_src)
}

fn circles_in(folders: &[&str]) -> Vec<String> {
    folders
        .iter()
        .flat_map(|folder| folders::cycles(&folder_tree(folder).edges()))
        .map(|circle| circle.join("\n  "))
        .collect()
}

#[test]
fn no_import_cycle_between_files_of_a_folder() {
    let circles = circles_in(FOLDERS);
    assert!(
        circles.is_empty(),
        "import circles between files:\n  {}",
        circles.join("\n\n  ")
    );
}

#[test]
fn folders_keep_the_order_they_declare() {
    let mut wrong = Vec::new();
    for (folder, order) in ORDERS {
        let edges = folder_tree(folder).edges();
        wrong.extend(folders::against_order(&edges, folder, order));
    }
    assert!(
        wrong.is_empty(),
        "imports against a folder's order:\n{}",
        wrong.join("\n")
    );
}

/// The checker itself, on small made-up folders.
mod checker {
    use super::folders::{Tree, against_order, cycles};

    fn circles(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        cycles(&Tree::from_files("src", files).edges())
    }

    #[test]
    fn mod_rs_and_a_child_that_use_each_others_items_are_a_circle() {
        let found = circles(&[
            (
                "f/mod.rs",
                "mod child; pub fn helper() {} fn go() { child::work(); }",
            ),
            (
                "f/child.rs",
                "use super::helper; pub fn work() { helper() }",
            ),
        ]);
        assert_eq!(
            found,
            [[
                "src/f/child.rs → src/f/mod.rs (super::helper)",
                "src/f/mod.rs → src/f/child.rs (child::work)"
            ]]
        );
    }

    #[test]
    fn declaring_a_child_or_passing_on_an_import_is_no_dependency() {
        let found = circles(&[
            (
                "f/mod.rs",
                "pub mod a; pub use crate::elsewhere::Thing; use self::a as alias;",
            ),
            (
                "f/a.rs",
                "use super::Thing; pub fn a() -> Thing { todo!() }",
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_re_export_is_followed_to_the_file_that_defines_the_item() {
        let tree = Tree::from_files(
            "src",
            &[
                ("f/mod.rs", "mod a; mod b; pub use b::B;"),
                ("f/a.rs", "use super::B; pub struct A(B);"),
                ("f/b.rs", "pub struct B(Box<super::a::A>);"),
            ],
        );
        let found = cycles(&tree.edges());
        assert_eq!(
            found,
            [[
                "src/f/a.rs → src/f/b.rs (super::B)",
                "src/f/b.rs → src/f/a.rs (super::a::A)"
            ]]
        );
        assert!(tree.edges()["src/f/mod.rs"].contains_key("src/f/b.rs"));
    }

    #[test]
    fn circles_across_subfolders_are_found() {
        let found = circles(&[
            ("f/mod.rs", "pub mod hub; pub mod dialogue;"),
            (
                "f/hub/mod.rs",
                "use crate::f::dialogue::{self, Step}; fn go(s: Step) { dialogue::start(); }",
            ),
            (
                "f/dialogue/mod.rs",
                "pub enum Step {} pub fn start() { super::super::f::hub::Screen::show(); }",
            ),
            ("f/hub/screen.rs", ""),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].len(), 2, "{found:?}");
    }

    #[test]
    fn comments_strings_and_tests_do_not_count() {
        let found = circles(&[
            (
                "f/mod.rs",
                "mod child; pub fn helper() {} fn go() { child::work(); }",
            ),
            (
                "f/child.rs",
                r#"
                // super::helper()
                /* super::helper() */
                pub fn work() -> &'static str { let _ = '{'; "super::helper()" }
                #[cfg(test)]
                mod tests {
                    use super::super::helper;
                    fn t() { super::super::helper(); }
                }
                "#,
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn the_entities_are_exempt() {
        let files = [
            ("db/entities/a.rs", "pub struct A; fn r() { super::b::B; }"),
            ("db/entities/b.rs", "pub struct B; fn r() { super::a::A; }"),
            ("db/entities/mod.rs", "pub mod a; pub mod b;"),
        ];
        assert!(circles(&files).is_empty());
        let elsewhere = files.map(|(path, text)| (path.trim_start_matches("db/"), text));
        assert_eq!(circles(&elsewhere).len(), 1);
    }

    #[test]
    fn an_import_against_the_declared_order_is_named() {
        let edges = Tree::from_files(
            "src",
            &[
                ("f/mod.rs", "mod low; mod high; use high::run;"),
                ("f/low.rs", "pub fn base() { super::high::run(); }"),
                ("f/high.rs", "pub fn run() { super::low::base(); }"),
            ],
        )
        .edges();
        let order: &[&[&str]] = &[&["low"], &["high"], &["mod"]];
        assert_eq!(
            against_order(&edges, "src/f", order),
            ["src/f/low.rs → src/f/high.rs (super::high::run): low is below high"]
        );
        let unplaced: &[&[&str]] = &[&["low"], &["mod"]];
        assert!(
            against_order(&edges, "src/f", unplaced)
                .contains(&"src/f: the order does not place high".to_owned())
        );
    }
}

/// Every message the bot sends takes its turn at Telegram's limits first: a send called on
/// anything but `paced(…).await` would break them for every process.
#[test]
fn every_message_sent_is_paced() {
    const SENDS: [&str; 5] = [
        ".send_message(",
        ".send_photo(",
        ".send_document(",
        ".send_media_group(",
        ".copy_message(",
    ];
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut unpaced = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !SENDS.iter().any(|s| line.contains(s)) {
                continue;
            }
            let before = lines[i.saturating_sub(3)..=i].join("\n");
            if !before.contains(".paced(") {
                unpaced.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        unpaced.is_empty(),
        "sends that do not take their turn (call them on `bot.paced(chat).await`):\n{}",
        unpaced.join("\n")
    );
}
