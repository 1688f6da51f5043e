use chrono::{Duration, NaiveDate};

use super::*;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("date")
}

/// A deterministic wavy series of `n` days from `from`, `None` where `missing(i)`.
fn counts(from: NaiveDate, n: usize, base: f64, missing: impl Fn(usize) -> bool) -> Vec<Day<i64>> {
    (0..n)
        .map(|i| {
            let v = base * (1.0 + 0.3 * ((i as f64) * 0.7).sin() + 0.01 * i as f64);
            Day::new(
                from + Duration::days(i as i64),
                (!missing(i)).then_some(v.round() as i64),
            )
        })
        .collect()
}

fn daily_30(lang: Lang) -> DailyChart {
    let from = day(11, 1);
    let prev = day(10, 2);
    DailyChart {
        title: "Магазин «Ромашка»".into(),
        lang,
        from,
        to: day(11, 30),
        previous_from: Some(prev),
        series: vec![
            DailySeries {
                metric: DailyMetric::Views,
                current: counts(from, 30, 1800.0, |i| i == 12 || i == 13),
                previous: counts(prev, 30, 1500.0, |_| false),
            },
            DailySeries {
                metric: DailyMetric::Contacts,
                current: counts(from, 30, 40.0, |i| i == 12 || i == 13),
                previous: counts(prev, 30, 33.0, |_| false),
            },
        ],
        marked_day: None,
    }
}

fn daily_14(lang: Lang) -> DailyChart {
    let from = day(11, 17);
    DailyChart {
        title: "Магазин «Ромашка» — 30 ноября".into(),
        lang,
        from,
        to: day(11, 30),
        previous_from: None,
        series: vec![
            DailySeries {
                metric: DailyMetric::Views,
                current: counts(from, 14, 2100.0, |_| false),
                previous: vec![],
            },
            DailySeries {
                metric: DailyMetric::Contacts,
                current: counts(from, 14, 52.0, |i| i == 4),
                previous: vec![],
            },
        ],
        marked_day: Some(day(11, 30)),
    }
}

fn spending_30(lang: Lang) -> SpendingChart {
    let from = day(11, 1);
    let money = |base: f64, missing: fn(usize) -> bool| -> Vec<Day<Kopecks>> {
        counts(from, 30, base, missing)
            .into_iter()
            .map(|d| Day::new(d.date, d.value.map(|v| Kopecks(v * 100))))
            .collect()
    };
    SpendingChart {
        title: "Магазин «Ромашка»".into(),
        lang,
        from,
        to: day(11, 30),
        kinds: vec![
            SpendingKind {
                label: "Размещение".into(),
                days: money(1450.0, |i| i == 20),
            },
            SpendingKind {
                label: "Продвижение".into(),
                days: money(2300.0, |i| i == 20 || i % 7 == 3),
            },
            SpendingKind {
                label: "Комиссия".into(),
                days: money(380.0, |i| i == 20),
            },
        ],
        cost_per_contact: money(96.0, |i| i == 20),
        marked_day: None,
    }
}

fn profiles_10(lang: Lang) -> ProfilesChart {
    let names = [
        "Ромашка",
        "Автозапчасти на Ленина",
        "Мебель для дома и офиса — склад №2",
        "Digital Store",
        "Шины и диски",
        "Детские товары",
        "Строймаркет",
        "Электроника 24",
        "Одежда и обувь",
        "Зоотовары",
    ];
    ProfilesChart {
        title: "Все профили".into(),
        lang,
        from: day(11, 1),
        to: day(11, 30),
        profiles: names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let k = (10 - i) as i64;
                ProfileBar {
                    name: (*name).into(),
                    views: Some(4_000 * k + 777 * (i as i64 % 3)),
                    contacts: (i != 3).then_some(90 * k + 13 * i as i64),
                    spending: (i != 6).then_some(Kopecks(1_250_000 * k + 33_300 * i as i64)),
                }
            })
            .collect(),
    }
}

/// Decodes with the `png` crate: (width, height, RGB(A) pixels, channels).
fn decode(png: &Png) -> (u32, u32, Vec<u8>, usize) {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(&png.bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type.samples())
}

/// The share of pixels in `x0..x1 × y0..y1` that are not (nearly) white.
fn ink(png: &Png, x0: u32, y0: u32, x1: u32, y1: u32) -> f64 {
    let (w, _, pixels, ch) = decode(png);
    let mut inked = 0usize;
    let mut all = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let at = ((y * w + x) as usize) * ch;
            all += 1;
            if pixels[at..at + 3].iter().any(|&v| v < 235) {
                inked += 1;
            }
        }
    }
    inked as f64 / all as f64
}

fn assert_drawn(png: &Png) {
    let (w, h, pixels, ch) = decode(png);
    assert_eq!((w, h), (WIDTH, HEIGHT));
    assert_eq!((png.width, png.height), (WIDTH, HEIGHT));
    assert_eq!(pixels.len(), (w * h) as usize * ch);
    let share = ink(png, 0, 0, WIDTH, HEIGHT);
    assert!(
        share > 0.03 && share < 0.6,
        "a share of {share} of the pixels is inked"
    );
    // The corners stay white: nothing spills into the margins.
    assert_eq!(&pixels[..3], &[255, 255, 255]);
    assert!(png.bytes.len() < 250 * 1024, "{} bytes", png.bytes.len());
}

#[test]
fn every_kind_renders_a_decodable_non_blank_png() {
    for lang in Lang::ALL {
        assert_drawn(&render(&Chart::Daily(daily_30(lang))).expect("daily, 30 days"));
        assert_drawn(&render(&Chart::Daily(daily_14(lang))).expect("daily, 14 days"));
        assert_drawn(&render(&Chart::Spending(spending_30(lang))).expect("spending"));
        assert_drawn(&render(&Chart::Profiles(profiles_10(lang))).expect("profiles"));
    }
}

#[test]
fn missing_days_are_gaps_never_zeros() {
    let from = day(11, 1);
    let days = vec![
        Day::new(from, Some(5i64)),
        Day::new(from + Duration::days(1), None),
        Day::new(from + Duration::days(2), Some(0)),
        // Day 3 is not listed at all; day 9 lies outside the axis.
        Day::new(from + Duration::days(4), Some(7)),
        Day::new(from + Duration::days(9), Some(1)),
    ];
    let slots = slot_values(from, 5, &days);
    assert_eq!(slots, vec![Some(5.0), None, Some(0.0), None, Some(7.0)]);
    assert_eq!(
        segments(&slots),
        vec![vec![(0, 5.0)], vec![(2, 0.0)], vec![(4, 7.0)]],
        "a known zero is drawn, a missing day is not"
    );

    let chart = daily_30(Lang::Ru);
    let panels = daily::panels(&chart, 30);
    let plotted: Vec<usize> = segments(&panels[0].current)
        .into_iter()
        .flatten()
        .map(|(i, _)| i)
        .collect();
    assert!(!plotted.contains(&12) && !plotted.contains(&13));
    assert_eq!(plotted.len(), 28);
}

#[test]
fn a_metric_missing_everywhere_is_left_out() {
    let mut chart = daily_30(Lang::En);
    for d in &mut chart.series[1].current {
        d.value = None;
    }
    let panels = daily::panels(&chart, 30);
    assert_eq!(panels.len(), 1);
    assert_eq!(panels[0].metric, DailyMetric::Views);
    render_daily(&chart).expect("one panel still renders");

    let mut chart = profiles_10(Lang::Ru);
    for p in &mut chart.profiles {
        p.spending = None;
    }
    let columns = profiles::columns(&chart);
    assert_eq!(
        columns.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![profiles::Column::Views, profiles::Column::Contacts]
    );
    // A profile missing one metric keeps a gap there, not a zero.
    assert_eq!(columns[1].1[3], None);

    let mut chart = spending_30(Lang::Ru);
    for d in &mut chart.kinds[2].days {
        d.value = None;
    }
    let layers = spending::layers(&chart, 30);
    assert_eq!(layers.len(), 2);
    assert!(layers.iter().all(|l| l.values[20].is_none()));
    assert_eq!(layers[1].values[3], None);
}

#[test]
fn many_spending_kinds_are_summed_as_other() {
    let mut chart = spending_30(Lang::En);
    let from = chart.from;
    chart.kinds = (0..9)
        .map(|k| SpendingKind {
            label: format!("Kind {k}"),
            days: (0..30)
                .map(|i| Day::new(from + Duration::days(i), Some(Kopecks(100 * (k + 1)))))
                .collect(),
        })
        .collect();
    let layers = spending::layers(&chart, 30);
    assert_eq!(layers.len(), spending::MAX_KINDS);
    assert_eq!(layers.last().map(|l| l.label.as_str()), Some("Other"));
    // The four smallest (1 + 2 + 3 + 4 roubles) make "Other".
    assert_eq!(layers.last().and_then(|l| l.values[0]), Some(10.0));
    render_spending(&chart).expect("renders");
}

#[test]
fn cyrillic_and_the_rouble_sign_are_drawn_from_the_embedded_font() {
    use ab_glyph::{Font, FontRef};
    for bytes in [
        include_bytes!("../../../assets/fonts/DejaVuSans.ttf").as_slice(),
        include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf").as_slice(),
    ] {
        let font = FontRef::try_from_slice(bytes).expect("the font parses");
        for ch in "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя₽−–—…«»№\u{a0}"
            .chars()
        {
            assert_ne!(font.glyph_id(ch).0, 0, "no glyph for {ch:?}");
        }
    }
    let mut chart = profiles_10(Lang::Ru);
    chart.title = "Ж".repeat(10);
    let png = render_profiles(&chart).expect("renders");
    // The title sits at the top left, 36 px tall.
    assert!(
        ink(&png, 40, 24, 300, 66) > 0.15,
        "the Cyrillic title is drawn"
    );
    chart.title = " ".into();
    let png = render_profiles(&chart).expect("renders");
    assert!(
        ink(&png, 40, 24, 300, 66) > 0.1,
        "the default title is drawn"
    );
}

#[test]
fn nothing_to_draw_is_an_error() {
    let mut chart = daily_30(Lang::Ru);
    for s in &mut chart.series {
        for d in &mut s.current {
            d.value = None;
        }
    }
    assert!(matches!(
        render_daily(&chart),
        Err(ChartError::NothingToDraw)
    ));
    chart.series.clear();
    assert!(matches!(
        render_daily(&chart),
        Err(ChartError::NothingToDraw)
    ));

    let mut chart = spending_30(Lang::Ru);
    chart.kinds.iter_mut().for_each(|k| k.days.clear());
    chart.cost_per_contact.clear();
    assert!(matches!(
        render_spending(&chart),
        Err(ChartError::NothingToDraw)
    ));

    let mut chart = profiles_10(Lang::Ru);
    for p in &mut chart.profiles {
        (p.views, p.contacts, p.spending) = (None, None, None);
    }
    assert!(matches!(
        render_profiles(&chart),
        Err(ChartError::NothingToDraw)
    ));
    chart.profiles.clear();
    assert!(matches!(
        render_profiles(&chart),
        Err(ChartError::NothingToDraw)
    ));
}

#[test]
fn a_backwards_or_huge_period_is_invalid() {
    let mut chart = daily_30(Lang::Ru);
    chart.to = chart.from - Duration::days(1);
    assert!(matches!(render_daily(&chart), Err(ChartError::Invalid(_))));
    chart.to = chart.from + Duration::days(MAX_DAYS as i64);
    assert!(matches!(render_daily(&chart), Err(ChartError::Invalid(_))));
}

#[test]
fn edge_shapes_render() {
    // One day, one profile, all zeros, a long period, many profiles.
    let mut chart = daily_14(Lang::En);
    chart.from = chart.to;
    render_daily(&chart).expect("one day");
    let mut chart = daily_30(Lang::En);
    for s in &mut chart.series {
        s.current
            .iter_mut()
            .for_each(|d| d.value = d.value.map(|_| 0));
        s.previous.clear();
    }
    render_daily(&chart).expect("all zeros");
    let mut chart = daily_30(Lang::Ru);
    chart.from = day(1, 1);
    chart.to = day(12, 31);
    render_daily(&chart).expect("a year");
    let mut chart = profiles_10(Lang::Ru);
    chart.profiles.truncate(1);
    render_profiles(&chart).expect("one profile");
    let mut chart = profiles_10(Lang::En);
    let more = chart.profiles.clone();
    chart.profiles.extend(more.iter().cloned());
    chart.profiles.extend(more);
    render_profiles(&chart).expect("30 profiles");
}
