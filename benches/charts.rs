//! Report charts: time, PNG size and extra memory per chart, for each kind with realistic data
//! (30 days with the previous period; a one-day report's 14 days; spending by type over 30
//! days; 10 profiles side by side), Russian labels.
//!
//! Each kind is measured in a child process of its own (this binary with `--kind`), so one
//! kind's allocations do not hide another's: extra RSS is the child's peak (`VmHWM`, reset
//! through `/proc/self/clear_refs`) over its `VmRSS` just before the first chart.
//! Targets: ≤ 50 ms and ≤ 10 MB extra RSS per chart, ≤ 250 KB per PNG.
//!
//! Also writes one PNG per kind and language to `target/chart-samples/` to look at.
//!
//! Run: `cargo bench --bench charts` (`-- --runs 50`).

use std::process::Command;
use std::time::{Duration, Instant};

use avito_reports::avito::money::Kopecks;
use avito_reports::i18n::Lang;
use avito_reports::report::charts::{
    self, Chart, DailyChart, DailyMetric, DailySeries, Day, ProfileBar, ProfilesChart,
    SpendingChart, SpendingKind,
};
use chrono::{Duration as Days, NaiveDate};

const KINDS: [&str; 4] = ["daily-30d", "daily-14d", "spending-30d", "profiles-10"];
const TARGET_MS: f64 = 50.0;
const TARGET_RSS_MB: f64 = 10.0;
const TARGET_KB: f64 = 250.0;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("a date")
}

/// A weekly rhythm with a trend and noise from a small LCG, so runs are reproducible.
fn series(from: NaiveDate, n: usize, base: f64, seed: u64, missing: &[usize]) -> Vec<Day<i64>> {
    let mut state = seed;
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
            let weekly = [1.0, 1.05, 1.0, 0.97, 0.9, 0.75, 0.8][i % 7];
            let v = base * weekly * (1.0 + 0.01 * i as f64 + 0.25 * noise);
            let value = (!missing.contains(&i)).then_some(v.round() as i64);
            Day::new(from + Days::days(i as i64), value)
        })
        .collect()
}

fn money(days: Vec<Day<i64>>) -> Vec<Day<Kopecks>> {
    days.into_iter()
        .map(|d| Day::new(d.date, d.value.map(|v| Kopecks(v * 100))))
        .collect()
}

fn chart(kind: &str, lang: Lang) -> Chart {
    let title = |ru: &str, en: &str| match lang {
        Lang::Ru => ru.to_owned(),
        Lang::En => en.to_owned(),
    };
    match kind {
        "daily-30d" => {
            let (from, prev) = (date(11, 1), date(10, 2));
            Chart::Daily(DailyChart {
                title: title("Магазин «Ромашка»", "Romashka store"),
                lang,
                from,
                to: date(11, 30),
                previous_from: Some(prev),
                series: vec![
                    DailySeries {
                        metric: DailyMetric::Views,
                        current: series(from, 30, 1850.0, 1, &[17]),
                        previous: series(prev, 30, 1600.0, 2, &[]),
                    },
                    DailySeries {
                        metric: DailyMetric::Contacts,
                        current: series(from, 30, 46.0, 3, &[17]),
                        previous: series(prev, 30, 41.0, 4, &[]),
                    },
                ],
                marked_day: None,
            })
        }
        "daily-14d" => {
            let from = date(11, 17);
            Chart::Daily(DailyChart {
                title: title(
                    "Магазин «Ромашка» · 30 ноября",
                    "Romashka store · 30 November",
                ),
                lang,
                from,
                to: date(11, 30),
                previous_from: None,
                series: vec![
                    DailySeries {
                        metric: DailyMetric::Views,
                        current: series(from, 14, 2100.0, 5, &[]),
                        previous: vec![],
                    },
                    DailySeries {
                        metric: DailyMetric::Contacts,
                        current: series(from, 14, 52.0, 6, &[3]),
                        previous: vec![],
                    },
                ],
                marked_day: Some(date(11, 30)),
            })
        }
        "spending-30d" => {
            let from = date(11, 1);
            let kind = |ru: &str, en: &str, base: f64, seed: u64| SpendingKind {
                label: title(ru, en),
                days: money(series(from, 30, base, seed, &[17])),
            };
            Chart::Spending(SpendingChart {
                title: title("Магазин «Ромашка»", "Romashka store"),
                lang,
                from,
                to: date(11, 30),
                kinds: vec![
                    kind("Размещение", "Listing", 1450.0, 7),
                    kind("Продвижение", "Promotion", 2300.0, 8),
                    kind("Комиссия", "Commission", 380.0, 9),
                ],
                cost_per_contact: money(series(from, 30, 92.0, 10, &[17])),
                marked_day: None,
            })
        }
        "profiles-10" => {
            let names = [
                ("Ромашка", "Romashka"),
                ("Автозапчасти на Ленина", "Auto parts on Lenina"),
                (
                    "Мебель для дома и офиса — склад №2",
                    "Home and office furniture — warehouse 2",
                ),
                ("Digital Store", "Digital Store"),
                ("Шины и диски", "Tyres and wheels"),
                ("Детские товары", "Kids' goods"),
                ("Строймаркет", "Building market"),
                ("Электроника 24", "Electronics 24"),
                ("Одежда и обувь", "Clothes and shoes"),
                ("Зоотовары", "Pet shop"),
            ];
            Chart::Profiles(ProfilesChart {
                title: title("Все профили", "All profiles"),
                lang,
                from: date(11, 1),
                to: date(11, 30),
                profiles: names
                    .iter()
                    .enumerate()
                    .map(|(i, (ru, en))| {
                        let k = 10 - i as i64;
                        ProfileBar {
                            name: title(ru, en),
                            views: Some(3_900 * k + 1_337 * (i as i64 % 4)),
                            contacts: (i != 3).then_some(84 * k + 17 * (i as i64 % 3)),
                            spending: (i != 6)
                                .then_some(Kopecks(1_180_000 * k + 95_500 * i as i64)),
                        }
                    })
                    .collect(),
            })
        }
        other => panic!("unknown kind {other}"),
    }
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

/// Child mode: renders `kind` `runs` times and prints "ms-median ms-max kb extra-kb".
fn measure(kind: &str, runs: usize) {
    let chart = chart(kind, Lang::Ru);
    let rss_before = status_kb("VmRSS:");
    // Resets VmHWM to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let png = charts::render(&chart).expect("the chart renders");
        times.push(started.elapsed());
        bytes = png.bytes.len();
        std::hint::black_box(png);
    }
    let peak = status_kb("VmHWM:");
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:.2} {:.2} {} {}",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        bytes,
        peak.saturating_sub(rss_before)
    );
}

fn samples() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("chart-samples")
}

fn main() {
    let runs: usize = arg("--runs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(1);
    if let Some(kind) = arg("--kind") {
        measure(&kind, runs);
        return;
    }

    let dir = samples();
    std::fs::create_dir_all(&dir).expect("the samples folder");
    for kind in KINDS {
        for lang in Lang::ALL {
            let png = charts::render(&chart(kind, lang)).expect("the chart renders");
            std::fs::write(dir.join(format!("{kind}-{}.png", lang.code())), &png.bytes)
                .expect("a sample");
        }
    }
    println!("samples: {}", dir.display());
    println!("{runs} charts per kind, 1280×720, Russian labels");
    println!(
        "{:<14} {:>10} {:>10} {:>9} {:>14}",
        "kind", "median ms", "max ms", "PNG KB", "extra RSS MB"
    );
    let exe = std::env::current_exe().expect("this benchmark's path");
    let mut ok = true;
    for kind in KINDS {
        let out = Command::new(&exe)
            .args(["--kind", kind, "--runs", &runs.to_string()])
            .output()
            .expect("the child runs");
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = line
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let [median, max, bytes, extra_kb] = f[..] else {
            panic!("{kind}: unexpected output {line:?}");
        };
        let (kb, mb) = (bytes / 1024.0, extra_kb / 1024.0);
        println!("{kind:<14} {median:>10.1} {max:>10.1} {kb:>9.1} {mb:>14.1}");
        ok &= median <= TARGET_MS && kb <= TARGET_KB && mb <= TARGET_RSS_MB;
    }
    println!(
        "targets: ≤ {TARGET_MS} ms, ≤ {TARGET_RSS_MB} MB extra RSS, ≤ {TARGET_KB} KB per chart: {}",
        if ok { "met" } else { "MISSED" }
    );
}
