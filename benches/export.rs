//! The Excel export of 2,000 chats × 50 messages and of 4× that, measured on the real binary
//! (`avito-reports export`) in a child process against the Avito emulator in this process:
//! wall time, the child's CPU time and peak RSS (from `wait4`), and the same with 5 ms of API
//! latency per request to show that the wall time follows the API, not the writer.
//!
//! Run: `cargo bench --bench export` (`-- --quick` for the smaller size only).
//! Targets: peak RSS ≤ 60 MB at both sizes, CPU ≤ 2 s per 100k messages.

use std::time::{Duration, Instant};

use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};

struct Run {
    wall: Duration,
    cpu: Duration,
    peak_rss_mb: f64,
    messages: u64,
    requests: usize,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs one export in a child process and reads its resource usage as it is reaped.
fn export(avito: &AvitoEmulator, client: u32, dir: &std::path::Path) -> anyhow::Result<Run> {
    let before = avito.request_count("getMessagesV3") + avito.request_count("getChatsV2");
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_avito-reports"))
        .args([
            "export",
            "--client-id",
            &format!("client-{client}"),
            "--out",
        ])
        .arg(dir.join(format!("bench-{client}.xlsx")))
        .env_clear()
        .env("AVITO_API_URL", avito.base_url())
        .env("AVITO_CLIENT_SECRET", format!("secret-{client}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped; status and usage point to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    anyhow::ensure!(reaped == pid, "wait4 failed");
    anyhow::ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the export failed (status {status})"
    );
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout {
        use std::io::Read;
        out.read_to_string(&mut stdout)?;
    }
    let messages = stdout
        .lines()
        .find_map(|l| {
            let (_, rest) = l.split_once(" chats, ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0);
    Ok(Run {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        // ru_maxrss is in kilobytes on Linux.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        messages,
        requests: avito.request_count("getMessagesV3") + avito.request_count("getChatsV2") - before,
    })
}

fn report(label: &str, r: &Run) {
    let per_100k = r.cpu.as_secs_f64() * 100_000.0 / r.messages.max(1) as f64;
    println!(
        "{label:<34} {:>8} msgs {:>6} reqs  wall {:>6.2} s  cpu {:>6.2} s ({per_100k:.2} s/100k)  peak RSS {:>5.1} MB",
        r.messages,
        r.requests,
        r.wall.as_secs_f64(),
        r.cpu.as_secs_f64(),
        r.peak_rss_mb,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let spec = |n: u32, chats: usize| AccountSpec {
        chats,
        messages_per_chat: 50,
        ..AccountSpec::generated(n)
    };
    let mut accounts = vec![spec(1, 2_000), spec(2, 2_000)];
    if !quick {
        accounts.push(spec(3, 8_000));
    }
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts,
        ..AvitoConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_path_buf();
    println!("export benchmark (release build, emulator on loopback in the parent process)");
    let run = |client: u32| {
        let (avito, path) = (&avito, path.clone());
        tokio::task::block_in_place(move || export(avito, client, &path))
    };
    let small = run(1)?;
    report("2,000 chats × 50", &small);
    if !quick {
        let large = run(3)?;
        report("8,000 chats × 50 (4×)", &large);
    }
    // With latency per request the wall time is the API's: requests / concurrency × latency.
    let latency = Duration::from_millis(5);
    avito.set_latency(latency);
    let paced = run(2)?;
    report("2,000 chats × 50, 5 ms/request", &paced);
    let api_floor = latency.as_secs_f64() * paced.requests as f64 / 4.0;
    println!(
        "  API floor at concurrency 4: {api_floor:.2} s of {:.2} s wall",
        paced.wall.as_secs_f64()
    );
    avito.shutdown().await;
    Ok(())
}
