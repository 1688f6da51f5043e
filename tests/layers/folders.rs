//! Imports between the files of a folder tree, and the circles they close.
//!
//! A file depends on another when its code or its `use` declarations name an item defined
//! there: `mod.rs` depends on a child whose items it uses or re-exports (declaring the child
//! is not using it), and a child's `use super::X` depends on `mod.rs` when `X` is defined in
//! `mod.rs` (an `X` that `mod.rs` only imports or re-exports is followed to where it is
//! defined). Naming a module alone is no dependency; naming an item through it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path as FsPath;

use super::source::{Path, Source};

/// Files exempt from the cycle check: the sea-orm entities, whose `Relation` enums name each
/// other by design.
const EXEMPT: &[&str] = &["src/db/entities/"];

/// The files of a folder tree, by module path (`["bot", "hub", "screens"]`).
pub struct Tree {
    files: BTreeMap<Path, (String, Source)>,
}

/// Where a path leads inside the tree.
enum Target {
    Module(Path),
    /// An item, defined in the file of this module.
    Item(Path),
}

/// `a → b` with the path in `a` that names `b`'s item, by file.
pub type Edges = BTreeMap<String, BTreeMap<String, String>>;

impl Tree {
    /// The folder `dir` of the crate whose sources are in `src`; files are shown as
    /// `shown_src/…`.
    pub fn read(src: &FsPath, dir: &FsPath, shown_src: &str) -> Self {
        let mut files = Vec::new();
        rust_files(dir, &mut files);
        let texts: Vec<(String, String)> = files
            .iter()
            .map(|file| {
                let relative = file.strip_prefix(src).expect("inside src");
                let text = std::fs::read_to_string(file).expect("read a source file");
                (relative.to_string_lossy().replace('\\', "/"), text)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        Self::from_files(shown_src, &pairs)
    }

    /// From `(path inside src, text)` pairs.
    pub fn from_files(shown_src: &str, files: &[(&str, &str)]) -> Self {
        let files = files
            .iter()
            .filter_map(|(relative, text)| {
                let module = module_path(relative)?;
                let shown = format!("{shown_src}/{relative}");
                Some((module, (shown, Source::read(text))))
            })
            .collect();
        Self { files }
    }

    fn shown(&self, module: &Path) -> Option<&str> {
        self.files.get(module).map(|(shown, _)| shown.as_str())
    }

    /// Every dependency between two files of the tree.
    pub fn edges(&self) -> Edges {
        let mut edges = Edges::new();
        for (module, (shown, source)) in &self.files {
            let uses = source.uses.iter().map(|u| (&u.path, u.glob));
            let paths = source.paths.iter().map(|p| (p, false));
            for (path, glob) in uses.chain(paths) {
                let target = match self.resolve(module, path, 0) {
                    Some(Target::Item(target)) => target,
                    Some(Target::Module(target)) if glob => target,
                    _ => continue,
                };
                if let Some(to) = self.shown(&target).filter(|to| to != shown) {
                    let by = edges.entry(shown.clone()).or_default();
                    by.entry(to.to_owned()).or_insert_with(|| path.join("::"));
                }
            }
        }
        edges
    }

    fn resolve(&self, from: &Path, path: &[String], depth: usize) -> Option<Target> {
        if depth > 8 {
            return None;
        }
        let first = path.first()?;
        let (mut module, mut rest) = match first.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (from.clone(), &path[1..]),
            "super" => {
                let ups = path.iter().take_while(|s| *s == "super").count();
                (from[..from.len().checked_sub(ups)?].to_vec(), &path[ups..])
            }
            _ => {
                let child = [from.as_slice(), std::slice::from_ref(first)].concat();
                if !self.files.contains_key(&child) {
                    // A name the file imports: where its `use` leads, and on from there.
                    let (_, source) = self.files.get(from)?;
                    let bound = source
                        .uses
                        .iter()
                        .find(|u| u.binds.as_ref() == Some(first))?;
                    let full = [bound.path.as_slice(), &path[1..]].concat();
                    return self.resolve(from, &full, depth + 1);
                }
                (child, &path[1..])
            }
        };
        while let Some(segment) = rest.first() {
            let child = [module.as_slice(), std::slice::from_ref(segment)].concat();
            if !self.files.contains_key(&child) {
                return self.item(&module, segment, depth);
            }
            module = child;
            rest = &rest[1..];
        }
        Some(Target::Module(module))
    }

    /// The file that defines `name` of `module`: its own, or where its import of it leads.
    fn item(&self, module: &Path, name: &str, depth: usize) -> Option<Target> {
        let (_, source) = self.files.get(module)?;
        if source.defines.contains(name) {
            return Some(Target::Item(module.clone()));
        }
        if let Some(bound) = source
            .uses
            .iter()
            .find(|u| u.binds.as_deref() == Some(name))
        {
            return self.resolve(module, &bound.path, depth + 1);
        }
        for glob in source.uses.iter().filter(|u| u.glob) {
            if let Some(Target::Module(from)) = self.resolve(module, &glob.path, depth + 1)
                && self
                    .files
                    .get(&from)
                    .is_some_and(|(_, s)| s.defines.contains(name))
            {
                return Some(Target::Item(from));
            }
        }
        // Made by a macro, most likely: it is the module's own.
        Some(Target::Item(module.clone()))
    }
}

/// `bot/hub/mod.rs` → `["bot", "hub"]`, `bot/ui.rs` → `["bot", "ui"]`, `lib.rs` → `[]`.
fn module_path(relative: &str) -> Option<Path> {
    let stem = relative.strip_suffix(".rs")?;
    let mut parts: Path = stem.split('/').map(str::to_owned).collect();
    match parts.last().map(String::as_str) {
        Some("mod") | Some("lib") => {
            parts.pop();
        }
        Some("main") if parts.len() == 1 => return None,
        _ => {}
    }
    Some(parts)
}

fn rust_files(dir: &FsPath, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each circle of files (a strongly connected set of two or more), with the imports that
/// close it: `a → b (path)`.
pub fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    let exempt = |file: &str| EXEMPT.iter().any(|prefix| file.starts_with(prefix));
    let kept: Edges = edges
        .iter()
        .filter(|(from, _)| !exempt(from))
        .map(|(from, to)| {
            let to = to.iter().filter(|(t, _)| !exempt(t));
            (
                from.clone(),
                to.map(|(t, p)| (t.clone(), p.clone())).collect(),
            )
        })
        .collect();
    strongly_connected(&kept)
        .into_iter()
        .filter(|set| set.len() > 1)
        .map(|set| {
            let mut lines = Vec::new();
            for from in &set {
                for (to, path) in kept.get(from).into_iter().flatten() {
                    if set.contains(to) {
                        lines.push(format!("{from} → {to} ({path})"));
                    }
                }
            }
            lines
        })
        .collect()
}

/// Tarjan's strongly connected components.
fn strongly_connected(edges: &Edges) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.edges.get(node).into_iter().flat_map(|m| m.keys()) {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut set = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    set.insert(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                self.found.push(set);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(from.as_str()).chain(to.keys().map(String::as_str)))
        .collect();
    for node in nodes {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

/// The imports that go against a folder's declared order (its files and subfolders, lowest
/// first, `mod` for its `mod.rs`): a file may use what is in its own rank or below. A file or
/// subfolder the order does not place is named too.
pub fn against_order(edges: &Edges, folder: &str, order: &[&[&str]]) -> Vec<String> {
    let member = |file: &str| -> Option<String> {
        let inside = file.strip_prefix(folder)?.strip_prefix('/')?;
        let first = inside.split('/').next()?;
        Some(first.trim_end_matches(".rs").to_owned())
    };
    let rank = |name: &str| order.iter().position(|rank| rank.contains(&name));
    let mut wrong = BTreeSet::new();
    for (from, to) in edges {
        let Some(a) = member(from) else { continue };
        if rank(&a).is_none() {
            wrong.insert(format!("{folder}: the order does not place {a}"));
        }
        for (to, path) in to {
            let Some(b) = member(to).filter(|b| *b != a) else {
                continue;
            };
            match (rank(&a), rank(&b)) {
                (Some(ra), Some(rb)) if rb > ra => {
                    wrong.insert(format!("{from} → {to} ({path}): {a} is below {b}"));
                }
                (_, None) => {
                    wrong.insert(format!("{folder}: the order does not place {b}"));
                }
                _ => {}
            }
        }
    }
    wrong.into_iter().collect()
}
