//! The sandbox's files depend on one another one way: no import cycle between two files of
//! `sandbox/src`, and each emulator's state stands below the routes that serve it and the
//! server that wires them.
//!
//! Read from the sources. Every path in code that names an item of this crate (in `use` trees
//! and written inline; comments and string literals left out) is an arrow from its file to the
//! file that defines the item, following `use` re-exports: `super::Fault`, which `mod.rs`
//! re-exports from `config.rs`, is an arrow to `config.rs`. A folder's `mod.rs` is a file like
//! the others: a child that takes a name defined in the `mod.rs` that uses the child closes a
//! cycle. `mod` declarations are no arrows.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Files (paths under `src/`; a name ending in `/` is a folder) that must not reach, directly or
/// through other files, the files named beside them, and why.
const BELOW: &[(&str, &[&str], &str)] = &[
    (
        "avito/state.rs",
        &["avito/routes/", "avito/control/", "avito/server.rs"],
        "the Avito emulator's state stands below the routes and the server",
    ),
    (
        "avito/routes/",
        &["avito/server.rs"],
        "the routes know the state, not the server that wires them",
    ),
    (
        "avito/control/",
        &["avito/server.rs", "avito/routes/"],
        "the control endpoints know the state, not the server that wires them",
    ),
    (
        "avito/contract/",
        &[
            "avito/state.rs",
            "avito/server.rs",
            "avito/routes/",
            "avito/control/",
        ],
        "the contract server shares the spec and the validator, not the emulator",
    ),
    (
        "telegram/state.rs",
        &[
            "telegram/server.rs",
            "telegram/methods.rs",
            "telegram/driver.rs",
            "telegram/mod.rs",
        ],
        "the Telegram emulator's state stands below its routes and its handle",
    ),
    (
        "telegram/methods.rs",
        &[
            "telegram/server.rs",
            "telegram/driver.rs",
            "telegram/mod.rs",
        ],
        "the Bot API methods know the state, not the router that wires them",
    ),
    (
        "telegram/driver.rs",
        &[
            "telegram/server.rs",
            "telegram/methods.rs",
            "telegram/mod.rs",
        ],
        "the driver's routes know the state, not the router that wires them",
    ),
];

/// file → file it names → one path that made the arrow, as written.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` without comments, with string and char literals emptied: what is left of braces,
/// `::` and keywords is code.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let raw_prefix = at(i) == 'r'
            && (i == 0
                || !is_ident(c[i - 1])
                || (c[i - 1] == 'b' && (i < 2 || !is_ident(c[i - 2]))));
        if at(i) == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(i) == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if raw_prefix && (at(i + 1) == '"' || at(i + 1) == '#') {
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                // `r#name`: a raw identifier.
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() && !(c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#')) {
                j += 1;
            }
            i = j + 1 + hashes;
            out.push_str("\"\"");
        } else if at(i) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if at(i) == '\'' && at(i + 1) == '\\' {
            i += 3;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if at(i) == '\'' && at(i + 2) == '\'' {
            i += 3;
            out.push_str("' '");
        } else {
            // A lifetime's quote, or any other code.
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if is_ident(c[i]) {
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            out.push(Token::Ident(c[start..i].iter().collect()));
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            if !c[i].is_whitespace() {
                out.push(Token::Punct(c[i]));
            }
            i += 1;
        }
    }
    out
}

/// A path named in a file, within the (possibly inline) module it stands in.
struct Named {
    module: Vec<String>,
    path: Vec<String>,
}

/// What one file says: the paths it names, the names its `use` items bind, and the inline
/// modules it opens.
#[derive(Default)]
struct Parsed {
    named: Vec<Named>,
    /// (module, name bound, path bound to it)
    bound: Vec<(Vec<String>, String, Vec<String>)>,
    inline_modules: Vec<Vec<String>>,
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Ident(s)) => Some(s),
        _ => None,
    }
}

/// One use tree from `toks[*pos]`, with `prefix` before it: its paths and the name each binds
/// (none for a glob or `as _`).
fn use_tree(
    toks: &[Token],
    pos: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    if toks.get(*pos) == Some(&Token::PathSep) {
        *pos += 1;
    }
    loop {
        match toks.get(*pos) {
            Some(Token::Ident(name)) if name != "as" => {
                path.push(name.clone());
                *pos += 1;
                if toks.get(*pos) == Some(&Token::PathSep) {
                    *pos += 1;
                    continue;
                }
                break;
            }
            Some(Token::Punct('*')) => {
                *pos += 1;
                out.push((path, None));
                return;
            }
            Some(Token::Punct('{')) => {
                *pos += 1;
                while let Some(t) = toks.get(*pos) {
                    match t {
                        Token::Punct('}') => {
                            *pos += 1;
                            return;
                        }
                        Token::Punct(',') => *pos += 1,
                        _ => {
                            let before = *pos;
                            use_tree(toks, pos, path.clone(), out);
                            if *pos == before {
                                *pos += 1;
                            }
                        }
                    }
                }
                return;
            }
            _ => break,
        }
    }
    if path.last().is_some_and(|s| s == "self") {
        path.pop();
    }
    let mut binding = path.last().cloned();
    if ident(toks.get(*pos)) == Some("as") {
        binding = ident(toks.get(*pos + 1))
            .filter(|n| *n != "_")
            .map(str::to_owned);
        *pos += 2;
    }
    out.push((path, binding));
}

fn parse(module: &[String], text: &str) -> Parsed {
    let toks = tokens(&code_only(text));
    let mut parsed = Parsed::default();
    // Inline modules open here, each with the brace depth outside it.
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let current = |open: &[(String, usize)]| -> Vec<String> {
        let mut m = module.to_vec();
        m.extend(open.iter().map(|(name, _)| name.clone()));
        m
    };
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if open.last().is_some_and(|(_, d)| *d == depth) {
                    open.pop();
                }
            }
            Token::Ident(kw) if kw == "mod" && toks.get(i + 2) == Some(&Token::Punct('{')) => {
                if let Some(name) = ident(toks.get(i + 1)) {
                    open.push((name.to_owned(), depth));
                    parsed.inline_modules.push(current(&open));
                }
                i += 2;
                continue;
            }
            // `use<..>` is precise capturing, not an import.
            Token::Ident(kw) if kw == "use" && toks.get(i + 1) != Some(&Token::Punct('<')) => {
                let mut pos = i + 1;
                let mut trees = Vec::new();
                use_tree(&toks, &mut pos, Vec::new(), &mut trees);
                let here = current(&open);
                for (path, binding) in trees {
                    if let Some(name) = binding {
                        parsed.bound.push((here.clone(), name, path.clone()));
                    }
                    parsed.named.push(Named {
                        module: here.clone(),
                        path,
                    });
                }
                while pos < toks.len() && toks[pos] != Token::Punct(';') {
                    pos += 1;
                }
                i = pos;
                continue;
            }
            Token::Ident(first)
                if toks.get(i + 1) == Some(&Token::PathSep)
                    && (i == 0 || toks[i - 1] != Token::PathSep) =>
            {
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Token::PathSep) {
                    match ident(toks.get(j + 1)) {
                        Some(next) => path.push(next.to_owned()),
                        None => break,
                    }
                    j += 2;
                }
                parsed.named.push(Named {
                    module: current(&open),
                    path,
                });
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parsed
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a folder of src") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file is (`avito/routes/mod.rs` → `avito::routes`; `lib.rs` → the crate).
fn module_of(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

struct Crate {
    /// module → the file it is written in
    files: BTreeMap<Vec<String>, String>,
    /// (module, name) → the absolute path a `use` there binds to the name
    bound: BTreeMap<(Vec<String>, String), Vec<String>>,
}

impl Crate {
    /// `path` as named in `module`, from the crate root; `None` for a path outside the crate.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        let mut base = module.to_vec();
        let mut rest = rest;
        match first.as_str() {
            "crate" => base.clear(),
            "self" => {}
            "super" => {
                base.pop()?;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            child => {
                let mut m = module.to_vec();
                m.push(child.to_owned());
                if !self.files.contains_key(&m) {
                    return None;
                }
                rest = path;
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file that defines what an absolute path names, through re-exports.
    fn file_of(&self, path: &[String], hops: usize) -> Option<&String> {
        let mut module: Vec<String> = Vec::new();
        for (k, seg) in path.iter().enumerate() {
            let mut child = module.clone();
            child.push(seg.clone());
            if self.files.contains_key(&child) {
                module = child;
                continue;
            }
            if hops < 16
                && let Some(target) = self.bound.get(&(module.clone(), seg.clone()))
            {
                let mut next = target.clone();
                next.extend(path[k + 1..].iter().cloned());
                return self.file_of(&next, hops + 1);
            }
            break;
        }
        self.files.get(&module)
    }
}

/// The arrows between the files of the crate whose sources are in `src`.
fn graph(src: &Path) -> Graph {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    let mut files = BTreeMap::new();
    let mut parsed = Vec::new();
    for path in paths {
        let relative = path
            .strip_prefix(src)
            .expect("a file under src")
            .to_string_lossy()
            .replace('\\', "/");
        let module = module_of(&relative);
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let p = parse(&module, &text);
        files.insert(module, relative.clone());
        parsed.push((relative, p));
    }
    for (relative, p) in &parsed {
        for inline in &p.inline_modules {
            files.insert(inline.clone(), relative.clone());
        }
    }
    let mut krate = Crate {
        files,
        bound: BTreeMap::new(),
    };
    let mut bound = BTreeMap::new();
    for (_, p) in &parsed {
        for (module, name, path) in &p.bound {
            if let Some(abs) = krate.absolute(module, path) {
                bound.insert((module.clone(), name.clone()), abs);
            }
        }
    }
    krate.bound = bound;
    let mut graph = Graph::new();
    for (relative, p) in &parsed {
        let arrows = graph.entry(relative.clone()).or_default();
        for named in &p.named {
            let Some(abs) = krate.absolute(&named.module, &named.path) else {
                continue;
            };
            if let Some(target) = krate.file_of(&abs, 0)
                && target != relative
            {
                arrows
                    .entry(target.clone())
                    .or_insert_with(|| named.path.join("::"));
            }
        }
    }
    graph
}

fn sandbox_graph() -> Graph {
    graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// Every file `from` reaches, each with the file it was reached from.
fn reached(graph: &Graph, from: &str) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(file) = queue.pop_front() {
        for next in graph.get(&file).into_iter().flat_map(BTreeMap::keys) {
            if !seen.contains_key(next) {
                seen.insert(next.clone(), file.clone());
                queue.push_back(next.clone());
            }
        }
    }
    seen
}

/// The arrows from `from` to `to` by way of `reached`, each with the path that made it.
fn route(graph: &Graph, reached: &BTreeMap<String, String>, from: &str, to: &str) -> Vec<String> {
    let mut steps = Vec::new();
    let mut at = to.to_owned();
    while at != from {
        let Some(before) = reached.get(&at) else {
            break;
        };
        let by = graph
            .get(before)
            .and_then(|m| m.get(&at))
            .cloned()
            .unwrap_or_default();
        steps.push(format!("  {before} → {at} ({by})"));
        at = before.clone();
    }
    steps.reverse();
    steps
}

/// The groups of files that reach one another (strongly connected, more than one file), each
/// with the arrows inside it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reach: BTreeMap<&String, BTreeMap<String, String>> =
        graph.keys().map(|f| (f, reached(graph, f))).collect();
    let mut placed = BTreeSet::new();
    let mut found = Vec::new();
    for file in graph.keys() {
        if placed.contains(file) || !reach[file].contains_key(file) {
            continue;
        }
        let group: BTreeSet<&String> = graph
            .keys()
            .filter(|other| reach[file].contains_key(*other) && reach[*other].contains_key(file))
            .collect();
        let mut arrows = Vec::new();
        for from in &group {
            for (to, by) in &graph[*from] {
                if group.contains(to) {
                    arrows.push(format!("  {from} → {to} ({by})"));
                }
            }
        }
        placed.extend(group.into_iter().cloned());
        found.push(arrows);
    }
    found
}

fn under(file: &str, place: &str) -> bool {
    if place.ends_with('/') {
        file.starts_with(place)
    } else {
        file == place
    }
}

#[test]
fn no_import_cycle_between_files() {
    let found = cycles(&sandbox_graph());
    let text: Vec<String> = found.iter().map(|arrows| arrows.join("\n")).collect();
    assert!(
        found.is_empty(),
        "files of sandbox/src that import each other ({} cycles):\n{}",
        found.len(),
        text.join("\n\n")
    );
}

#[test]
fn the_state_stands_below_the_routes_and_the_server() {
    let graph = sandbox_graph();
    let mut wrong = Vec::new();
    for (lower, uppers, why) in BELOW {
        for file in graph.keys().filter(|f| under(f, lower)) {
            let reached = reached(&graph, file);
            for upper in *uppers {
                for target in reached.keys().filter(|f| under(f, upper)) {
                    wrong.push(format!(
                        "{file} reaches {target}, but {why}:\n{}",
                        route(&graph, &reached, file, target).join("\n")
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_place_the_rules_name_exists() {
    let graph = sandbox_graph();
    let places = BELOW
        .iter()
        .flat_map(|(lower, uppers, _)| std::iter::once(lower).chain(uppers.iter()));
    for place in places {
        assert!(
            graph.keys().any(|f| under(f, place)),
            "{place} (named in BELOW) is no file of sandbox/src: mend the rule"
        );
    }
}

/// The arrows the rules rely on are read: a reader that missed `use` trees, inline paths or
/// re-exports would pass every rule above.
#[test]
fn the_reader_sees_the_arrows_the_sandbox_has() {
    let graph = sandbox_graph();
    let expected = [
        ("avito/server.rs", "avito/state.rs"),
        ("avito/server.rs", "avito/routes/mod.rs"),
        ("avito/routes/mod.rs", "avito/routes/account.rs"),
        ("avito/routes/account.rs", "avito/state.rs"),
        ("avito/control/mod.rs", "avito/control/live.rs"),
        ("telegram/seen.rs", "telegram/state.rs"),
        ("telegram/server.rs", "telegram/methods.rs"),
        ("telegram/mod.rs", "telegram/server.rs"),
        ("avito/contract/server.rs", "avito/validate.rs"),
    ];
    for (from, to) in expected {
        assert!(
            graph.get(from).is_some_and(|m| m.contains_key(to)),
            "no arrow {from} → {to} read; {from} has {:?}",
            graph.get(from)
        );
    }
}

/// A crate written to a temporary folder: its files and their text.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("sandbox-layers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("mkdir");
        std::fs::write(path, text).expect("write a scratch file");
    }
    root
}

#[test]
fn a_cycle_is_found_and_comments_and_strings_are_no_arrows() {
    let src = scratch(
        "cycle",
        &[
            ("lib.rs", "mod a;\nmod b;\nmod c;\nmod d;\n"),
            (
                "a.rs",
                "use crate::b::{Thing, other as _};\n\
                 // crate::c::X in a comment\n\
                 /* and crate::c::Y /* nested */ here */\n\
                 pub fn f() -> &'static str {\n\
                     let _q = '\"'; let _l = '\\''; r#\"crate::c::Y\"#\n\
                 }\n",
            ),
            (
                "b.rs",
                "pub struct Thing;\npub fn other() { let _ = \"crate::c\"; super::a::f(); }\n",
            ),
            ("c.rs", "use crate::d::Deep;\npub struct X;\n"),
            ("d/mod.rs", "mod inner;\npub use inner::Deep;\n"),
            (
                "d/inner.rs",
                "pub struct Deep;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
            ),
        ],
    );
    let graph = graph(&src);
    let _ = std::fs::remove_dir_all(&src);
    let arrows = |from: &str| -> Vec<&String> {
        graph
            .get(from)
            .map(|m| m.keys().collect())
            .unwrap_or_default()
    };
    assert_eq!(arrows("a.rs"), ["b.rs"]);
    assert_eq!(arrows("b.rs"), ["a.rs"]);
    // Through the re-export in d/mod.rs to the file that defines the name.
    assert_eq!(arrows("c.rs"), ["d/inner.rs"]);
    assert_eq!(arrows("d/mod.rs"), ["d/inner.rs"]);
    // `super` in an inline module is the file's own module: no arrow.
    assert!(arrows("d/inner.rs").is_empty());
    let found = cycles(&graph);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].len(), 2, "{found:?}");
}

#[test]
fn a_child_that_takes_from_the_mod_rs_that_uses_it_closes_a_cycle() {
    let src = scratch(
        "parent",
        &[
            ("lib.rs", "pub mod p;\n"),
            (
                "p/mod.rs",
                "mod child;\npub struct Config;\npub use child::Handle;\n",
            ),
            ("p/child.rs", "pub struct Handle(pub super::Config);\n"),
        ],
    );
    let graph = graph(&src);
    let _ = std::fs::remove_dir_all(&src);
    assert_eq!(cycles(&graph).len(), 1, "{graph:?}");
}
