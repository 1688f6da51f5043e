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
            "report", "schedule", "export", "jobs", "bot", "alerts", "keys",
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
