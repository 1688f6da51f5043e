//! The deploy files, checked as far as possible without a Docker engine: the Dockerfile's
//! stages, user, health check and port; docker-compose.yml's services, volume, start order and
//! health checks; start.sh and the CI script under shellcheck; the `healthcheck` command the
//! image's HEALTHCHECK runs, against a live endpoint.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use avito_reports::ops::http::{HttpServer, PollingHealth, Probes};
use common::{Engine, TestDatabase};

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(repo_file(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

// ---------------------------------------------------------------------------------------
// Dockerfile

#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
}

/// Instructions grouped by stage (each starting with its FROM).
fn dockerfile_stages() -> Vec<Vec<Instruction>> {
    let text = read("Dockerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(
        current.is_empty(),
        "the Dockerfile ends inside a continued line"
    );
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the Dockerfile starts with FROM")
            .push(instruction);
    }
    stages
}

fn all<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a Instruction> {
    stage.iter().filter(|i| i.keyword == keyword).collect()
}

fn position(stage: &[Instruction], keyword: &str) -> Option<usize> {
    stage.iter().rposition(|i| i.keyword == keyword)
}

/// `KEY=value` pairs of the ENV instructions of a stage.
fn env_of(stage: &[Instruction]) -> Vec<(String, String)> {
    all(stage, "ENV")
        .iter()
        .flat_map(|i| i.args.split_whitespace())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr:?}"))
}

/// The JSON-array (exec) form of a CMD, as its words.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("{args:?} is not exec form: {e}"))
}

#[test]
fn dockerfile_builds_the_release_binary_in_a_builder_stage() {
    let stages = dockerfile_stages();
    assert!(stages.len() >= 2, "a build stage and a runtime stage");
    let builder = &stages[0];
    let from = &builder[0].args;
    assert!(
        from.starts_with("rust:"),
        "built with the Rust image: {from}"
    );
    assert!(
        from.ends_with(" AS builder"),
        "the first stage is named builder: {from}"
    );
    let builds: Vec<_> = all(builder, "RUN")
        .into_iter()
        .filter(|r| {
            r.args
                .contains("cargo build --release --locked --bin avito-reports")
        })
        .collect();
    assert!(!builds.is_empty(), "the builder builds the release binary");
    assert!(
        builds.iter().all(|r| !r.args.contains("|| true")),
        "a failing build step must fail the image build"
    );

    let runtime = stages.last().expect("runtime stage");
    assert!(
        !runtime[0].args.starts_with("rust:"),
        "the runtime image is not the toolchain image: {}",
        runtime[0].args
    );
    assert!(
        all(runtime, "COPY").iter().any(|c| c.args
            == "--from=builder /src/target/release/avito-reports /usr/local/bin/avito-reports"),
        "the runtime stage takes the release binary from the builder"
    );
    let cmd = exec_form(&all(runtime, "CMD").last().expect("CMD").args);
    assert_eq!(cmd, ["./start.sh"]);
    assert!(
        all(runtime, "COPY")
            .iter()
            .any(|c| c.args == "start.sh /app/start.sh"),
        "start.sh is in the image"
    );
}

#[test]
fn dockerfile_dependency_layer_stubs_every_target_the_manifest_names() {
    // Cargo refuses a manifest whose [[bench]] files are missing, which would break the
    // dependency-caching step that builds with stub sources.
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml");
    let benches: Vec<String> = manifest
        .get("bench")
        .and_then(|b| b.as_array())
        .map(|benches| {
            benches
                .iter()
                .filter_map(|b| b.get("name")?.as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    assert!(!benches.is_empty());
    let stages = dockerfile_stages();
    let builder = &stages[0];
    let copy_all = builder
        .iter()
        .position(|i| i.keyword == "COPY" && i.args == ". .")
        .expect("the builder copies the sources");
    let stub_step = builder[..copy_all]
        .iter()
        .rfind(|i| i.keyword == "RUN")
        .expect("a dependency build before the sources are copied");
    for name in benches {
        assert!(
            stub_step.args.contains(&format!("benches/{name}.rs")),
            "the stub step creates benches/{name}.rs: {}",
            stub_step.args
        );
    }
    // Everything the builder copies before the sources exists in the repository.
    for copy in all(&builder[..copy_all], "COPY") {
        let sources: Vec<&str> = copy.args.split_whitespace().collect();
        for source in &sources[..sources.len() - 1] {
            assert!(repo_file(source).exists(), "COPY source {source} exists");
        }
    }
}

#[test]
fn the_image_runs_as_a_non_root_user() {
    let stages = dockerfile_stages();
    let runtime = stages.last().expect("runtime stage");
    let user_at = position(runtime, "USER").expect("the runtime stage sets USER");
    let cmd_at = position(runtime, "CMD").expect("CMD");
    assert!(user_at < cmd_at, "USER comes before CMD");
    let user = &runtime[user_at].args;
    let (name, group) = user.split_once(':').unwrap_or((user, ""));
    for part in [name, group].into_iter().filter(|p| !p.is_empty()) {
        assert!(part != "root" && part != "0", "not root: USER {user}");
    }
    if let Ok(uid) = name.parse::<u32>() {
        assert!(
            all(runtime, "RUN")
                .iter()
                .any(|r| r.args.contains(&format!("--uid {uid}"))),
            "the image creates the user with uid {uid}"
        );
    }
    assert!(
        all(runtime, "RUN")
            .iter()
            .any(|r| r.args.contains("chown avito:avito /app/data")),
        "the data volume is writable by the user"
    );
}

#[test]
fn the_image_health_check_runs_the_binary_against_the_exposed_port() {
    let stages = dockerfile_stages();
    let runtime = stages.last().expect("runtime stage");
    let check = all(runtime, "HEALTHCHECK");
    assert_eq!(check.len(), 1, "one HEALTHCHECK in the runtime stage");
    let (options, command) = check[0]
        .args
        .split_once("CMD ")
        .expect("HEALTHCHECK [options] CMD …");
    assert!(options.contains("--interval="), "{options}");
    assert!(options.contains("--timeout="), "{options}");
    assert_eq!(exec_form(command), ["avito-reports", "healthcheck"]);
    // The health check needs no curl: none is installed.
    assert!(
        all(runtime, "RUN")
            .iter()
            .all(|r| !r.args.contains("curl") && !r.args.contains("wget")),
        "no HTTP client tools in the runtime image"
    );
    let http_addr = env_of(runtime)
        .into_iter()
        .find(|(k, _)| k == "HTTP_ADDR")
        .map(|(_, v)| v)
        .expect("the image sets HTTP_ADDR, so the health endpoint is on");
    let exposed: Vec<u16> = all(runtime, "EXPOSE")
        .iter()
        .flat_map(|e| e.args.split_whitespace())
        .map(|p| p.trim_end_matches("/tcp").parse().expect("port"))
        .collect();
    assert_eq!(exposed, [port_of(&http_addr)], "EXPOSE matches HTTP_ADDR");
}

// ---------------------------------------------------------------------------------------
// docker-compose.yml: no YAML parser is in the dependency graph, so a strict reader of the
// block-style subset the file uses (maps, `- scalar` lists, `[…]` flow lists, quoted and
// plain scalars); anything else fails the test rather than being misread.

#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Scalar(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> &Yaml {
        match self {
            Yaml::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key {key:?} in {self:?}")),
            other => panic!("looking up {key:?} in a non-map {other:?}"),
        }
    }

    fn path(&self, path: &str) -> &Yaml {
        path.split('.').fold(self, |node, key| node.get(key))
    }

    fn has(&self, key: &str) -> bool {
        matches!(self, Yaml::Map(entries) if entries.iter().any(|(k, _)| k == key))
    }

    fn str(&self) -> &str {
        match self {
            Yaml::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    fn strings(&self) -> Vec<&str> {
        match self {
            Yaml::List(items) => items.iter().map(Yaml::str).collect(),
            other => panic!("not a list: {other:?}"),
        }
    }
}

/// A line without its comment; `#` starts a comment at the line start or after a space,
/// outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous == ' ' => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    assert!(
        !s.starts_with(['{', '&', '*', '|', '>', '!']),
        "unsupported YAML value: {s}"
    );
    s.to_owned()
}

fn scalar_or_flow(value: &str) -> Yaml {
    match value
        .trim()
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
    {
        Some(inner) => Yaml::List(
            inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Yaml::Scalar(unquote(s)))
                .collect(),
        ),
        None => Yaml::Scalar(unquote(value)),
    }
}

fn parse_yaml(text: &str) -> Yaml {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .map(strip_comment)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            assert!(!l.starts_with('\t'), "tabs are not YAML indentation");
            let content = l.trim_start();
            (l.len() - content.len(), content.trim_end())
        })
        .collect();
    let mut at = 0;
    let root = parse_block(&lines, &mut at, 0);
    assert_eq!(at, lines.len(), "unparsed YAML from line {at}");
    root
}

fn parse_block(lines: &[(usize, &str)], at: &mut usize, indent: usize) -> Yaml {
    if lines[*at].1.starts_with("- ") {
        let mut items = Vec::new();
        while let Some(&(i, content)) = lines.get(*at) {
            if i != indent {
                assert!(i < indent, "unexpected indentation at {content:?}");
                break;
            }
            let Some(item) = content.strip_prefix("- ") else {
                break;
            };
            assert!(
                !item.contains(": ") && !item.ends_with(':'),
                "maps inside lists are not supported: {item}"
            );
            items.push(scalar_or_flow(item));
            *at += 1;
        }
        return Yaml::List(items);
    }
    let mut entries = Vec::new();
    while let Some(&(i, content)) = lines.get(*at) {
        if i != indent {
            assert!(i < indent, "unexpected indentation at {content:?}");
            break;
        }
        let (key, value) = content
            .split_once(':')
            .unwrap_or_else(|| panic!("not a `key: value` line: {content}"));
        assert!(
            value.is_empty() || value.starts_with(' '),
            "a key needs `: ` before its value: {content}"
        );
        let key = unquote(key);
        assert!(
            entries.iter().all(|(k, _)| k != &key),
            "duplicate key {key}"
        );
        *at += 1;
        let value = if value.trim().is_empty() {
            match lines.get(*at) {
                Some(&(child, _)) if child > indent => parse_block(lines, at, child),
                // A key with nothing below it is null, like `pgdata:` under `volumes:`.
                _ => Yaml::Scalar(String::new()),
            }
        } else {
            scalar_or_flow(value)
        };
        entries.push((key, value));
    }
    Yaml::Map(entries)
}

fn compose() -> Yaml {
    parse_yaml(&read("docker-compose.yml"))
}

#[test]
fn the_yaml_reader_reads_what_it_claims_and_refuses_the_rest() {
    let doc = parse_yaml(
        "a:\n  b: \"x # not a comment\" # a comment\n  c: [\"CMD\", 'y']\n  d:\n    - 1\n    - two\n  e:\n",
    );
    assert_eq!(doc.path("a.b").str(), "x # not a comment");
    assert_eq!(doc.path("a.c").strings(), ["CMD", "y"]);
    assert_eq!(doc.path("a.d").strings(), ["1", "two"]);
    assert_eq!(doc.path("a.e").str(), "");
    assert!(std::panic::catch_unwind(|| parse_yaml("a:\n  - b: c\n")).is_err());
    assert!(std::panic::catch_unwind(|| parse_yaml("a: &anchor x\n")).is_err());
    assert!(std::panic::catch_unwind(|| parse_yaml("a: 1\na: 2\n")).is_err());
}

#[test]
fn compose_starts_postgres_with_a_volume_and_the_worker_after_it_is_healthy() {
    let doc = compose();
    let db = doc.path("services.db");
    assert!(
        db.get("image").str().starts_with("postgres:"),
        "{:?}",
        db.get("image")
    );
    let volumes = db.get("volumes").strings();
    let data = volumes
        .iter()
        .find_map(|v| v.strip_suffix(":/var/lib/postgresql/data"))
        .expect("PostgreSQL's data directory is on a volume");
    assert!(
        doc.get("volumes").has(data),
        "the named volume {data} is declared at the top level"
    );
    let db_check = db.path("healthcheck.test").strings();
    assert_eq!(db_check[0], "CMD-SHELL");
    assert!(db_check[1].starts_with("pg_isready"), "{db_check:?}");

    let worker = doc.path("services.worker");
    assert_eq!(worker.get("build").str(), ".");
    assert_eq!(
        worker.path("depends_on.db.condition").str(),
        "service_healthy",
        "the worker starts once PostgreSQL is healthy"
    );
    // The worker's database is this PostgreSQL, with its user and database names.
    let url = worker.path("environment.DATABASE_URL").str();
    let user = db.path("environment.POSTGRES_USER").str();
    let name = db.path("environment.POSTGRES_DB").str();
    assert!(url.starts_with(&format!("postgres://{user}:")), "{url}");
    assert!(url.ends_with(&format!("@db:5432/{name}")), "{url}");
}

#[test]
fn compose_worker_serves_health_on_the_image_port_and_checks_it() {
    let doc = compose();
    let worker = doc.path("services.worker");
    let http_addr = worker.path("environment.HTTP_ADDR").str();
    let stages = dockerfile_stages();
    let runtime = stages.last().expect("runtime stage");
    let exposed: u16 = all(runtime, "EXPOSE")[0].args.parse().expect("EXPOSE port");
    assert_eq!(
        port_of(http_addr),
        exposed,
        "HTTP_ADDR uses the exposed port"
    );
    assert_eq!(
        worker.path("healthcheck.test").strings(),
        ["CMD", "avito-reports", "healthcheck"]
    );
    for published in worker.get("ports").strings() {
        assert!(
            published.ends_with(&format!(":{exposed}")),
            "publishes the endpoint's port: {published}"
        );
    }
    // Longer than the worker's own shutdown budget, so it can finish before SIGKILL.
    let grace = worker.get("stop_grace_period").str();
    let seconds: u64 = grace
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("stop_grace_period {grace:?} in seconds"));
    let budget = avito_reports::config::WorkerSettings::default().shutdown_timeout;
    assert!(
        Duration::from_secs(seconds) > budget,
        "{grace} > {budget:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Scripts

#[test]
fn procfile_runs_start_sh_which_is_executable() {
    assert_eq!(read("Procfile").trim(), "worker: ./start.sh");
    let script = read("start.sh");
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.contains("\"$bin\" migrate\n"));
    assert!(
        script.contains("exec \"$bin\" run\n"),
        "exec: the worker gets SIGTERM"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(repo_file("start.sh"))
            .expect("start.sh")
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "start.sh is executable");
    }
}

#[test]
fn start_sh_and_the_ci_and_test_scripts_pass_shellcheck() {
    let available = Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        // CI installs it (.ci/run); only a developer machine may lack it.
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "shellcheck is not installed, and CI must check start.sh"
        );
        eprintln!("SKIPPED: shellcheck is not installed (apt-get install shellcheck)");
        return;
    }
    for (script, severity) in [
        ("start.sh", "style"),
        (".ci/run", "warning"),
        ("scripts/test", "warning"),
    ] {
        let out = Command::new("shellcheck")
            .args(["--severity", severity])
            .arg(repo_file(script))
            .output()
            .expect("shellcheck runs");
        assert!(
            out.status.success(),
            "shellcheck {script}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------
// The health check command

async fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = common::worker_command(dir.path());
    cmd.arg("healthcheck").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("the binary runs")
}

#[tokio::test]
async fn healthcheck_command_exits_0_for_a_live_endpoint_and_1_without_one() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let server = HttpServer::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let addr = server.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(
        Probes::new(conn, PollingHealth::new(Duration::from_secs(60))),
        async {
            let _ = stopped.await;
        },
    ));

    // The image's form: no arguments, the port from HTTP_ADDR.
    let out = healthcheck(&[], &[("HTTP_ADDR", &format!("0.0.0.0:{}", addr.port()))]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    // Any URL, e.g. readiness, which fails here: polling never started.
    let out = healthcheck(&["--url", &format!("http://{addr}/readyz")], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("503"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let _ = stop.send(());
    serving.await.expect("task").expect("server stops");
    let out = healthcheck(&["--url", &format!("http://{addr}/healthz")], &[]).await;
    assert_eq!(out.status.code(), Some(1), "nothing listens any more");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not answer"), "{stderr}");

    let out = healthcheck(&[], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HTTP_ADDR is not set"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
