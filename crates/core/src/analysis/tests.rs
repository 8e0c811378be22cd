//! The analysis: what it recommends, what it prices and what it warns of.

use super::*;
use crate::why::power_list;
use serde_json::json;

fn stat(value: u32, price: f64, duration: f64) -> PowerStats {
    PowerStats {
        value,
        average_price: price,
        average_duration: duration,
        total_cost: price * 10.0,
        duration_stats: None,
        invocations: None,
        errors: None,
        max_memory_used_mb: None,
        cold_starts: None,
        cold: None,
        warm: None,
        warm_up: None,
        error: None,
        failures: None,
        samples: None,
        stop_reason: None,
        warm_starts_left_out: None,
    }
}

fn example() -> Vec<PowerStats> {
    vec![
        stat(1024, 4.2e-7, 25.0),
        stat(128, 2.1e-7, 100.5),
        stat(512, 2.52e-7, 30.0),
        stat(256, 2.1e-7, 50.25),
    ]
}

/// What a test varies: the input (strategy, weight, ties, projection, output), the tool's
/// region and the function's current memory.
struct Case {
    input: ExecutionInput,
    region: Option<String>,
    current_memory: Option<u32>,
}

fn options(strategy: Strategy, w: f64) -> Case {
    let input = ExecutionInput::from_json(
        &json!({"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:f", "num": 10,
                "powerValues": [128], "strategy": strategy.as_str(), "balancedWeight": w}),
        &Defaults::default(),
    )
    .unwrap();
    Case {
        input,
        region: Some("eu-west-1".into()),
        current_memory: None,
    }
}

/// The analysis of `stats` as the Analyzer makes it, with one Publisher and one Cleaner round.
fn analyze(stats: &[PowerStats], case: &Case) -> Result<TuningResult, AnalysisError> {
    let event = AnalyzerEvent {
        input: case.input.clone(),
        stats: stats.to_vec(),
        publisher_rounds: 1,
        cleaner_rounds: 1,
        sampling: None,
        current_memory: case.current_memory,
        function: None,
    };
    event.analyze(&AnalysisEnv::new(case.region.clone(), None))
}

/// A power value measured `durations` (ms), each billed as its ceiling at `price_per_ms`.
fn sampled(value: u32, durations: &[f64], price_per_ms: f64) -> PowerStats {
    let billed: Vec<u32> = durations.iter().map(|d| d.ceil() as u32).collect();
    let costs: Vec<f64> = billed
        .iter()
        .map(|&b| f64::from(b) * price_per_ms)
        .collect();
    PowerStats {
        samples: Some(crate::power::Samples {
            durations: durations.to_vec(),
            billed,
            price_per_ms,
            cold: Vec::new(),
            warm_up: Vec::new(),
        }),
        total_cost: costs.iter().sum(),
        ..stat(
            value,
            // The input's default: nothing trimmed.
            crate::stats::trimmed_mean(&costs, 0.0),
            crate::stats::trimmed_mean(durations, 0.0),
        )
    }
}

/// Ten durations around `center` with a spread of +-`spread`, the same pattern each time.
fn around(center: f64, spread: f64) -> Vec<f64> {
    [-1.0, 0.8, -0.3, 0.5, 0.1, -0.7, 0.9, -0.5, 0.2, -0.1]
        .iter()
        .map(|k| center + k * spread)
        .collect()
}

#[test]
fn costs_shown_equal_are_tied_and_the_fastest_of_them_wins() {
    // Price per ms doubles with memory and durations halve: the same cost at every size, with
    // so little noise that ten invocations show it within the 3% margin.
    let stats = vec![
        sampled(128, &around(400.0, 4.0), 1e-9),
        sampled(256, &around(200.0, 2.0), 2e-9),
        sampled(512, &around(100.0, 1.0), 4e-9),
        sampled(1024, &around(80.0, 0.8), 8e-9), // 60% dearer: out of the tie
    ];
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
    assert_eq!(r.power, 512, "the fastest of the tied");
    assert_eq!(r.duration, stats[2].average_duration);
    assert_eq!(r.undecided, None);
    let decision = r.decision.unwrap();
    assert!(
        decision.starts_with("128–512 MB cost the same within 3%: ")
            && decision.contains("the dearest of them, costs ")
            && decision.contains("(95% bootstrap interval, n = 10 and 10)")
            && decision.ends_with("512 MB is the fastest of them."),
        "{decision}"
    );

    // Decided on the averages alone, the pick is whichever is cheapest by a hair.
    let mut exact = options(Strategy::Cost, 0.5);
    exact.input.statistical_ties = false;
    let r = analyze(&stats, &exact).unwrap();
    assert_eq!((r.equivalent, r.decision), (None, None));
}

#[test]
fn costs_too_noisy_to_tell_are_undecided_and_the_sentence_says_what_would_tell() {
    // The same costs with 10% noise: ten invocations cannot show them within 3% of each
    // other, nor apart. The cheapest by its average is recommended and the others, faster,
    // are undecided, with the invocations that would likely tell.
    let stats = vec![
        sampled(128, &around(396.0, 40.0), 1e-9),
        sampled(256, &around(200.0, 20.0), 2e-9),
        sampled(512, &around(100.0, 10.0), 4e-9),
    ];
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.power, 128, "the cheapest by its average");
    let undecided = r.undecided.expect("undecided power values");
    assert!(!undecided.is_empty());
    for u in &undecided {
        assert_eq!(u.question, "margin");
        assert!(u.low < 1.03 && u.high > 1.03, "{u:?}");
        assert!(u.num.is_some_and(|n| n > 10), "{u:?}");
    }
    let decision = r.decision.unwrap();
    assert!(
        decision.contains("Undecided: the samples cannot yet tell whether ")
            && decision.contains("invocations per power value (\"num\") would likely tell"),
        "{decision}"
    );
}

#[test]
fn a_cost_tie_goes_to_the_fastest_by_its_average() {
    // Single-threaded CPU-bound: 1769 and 3008 MB are about as fast, and 3008 MB is 1% dearer,
    // shown within the margin. Cost ties go to the fastest by its average, here 3008 MB.
    let stats = vec![
        sampled(128, &around(700.0, 6.0), 1e-9),
        sampled(1769, &around(40.0, 0.4), 13.8e-9),
        sampled(3008, &around(39.5, 0.4), 14.2e-9),
    ];
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.equivalent, Some(vec![1769, 3008]));
    assert_eq!(r.power, 3008);
    assert!(
        r.decision
            .as_deref()
            .unwrap()
            .ends_with("3008 MB is the fastest of them."),
        "{:?}",
        r.decision
    );
    // With 3008 MB dearer beyond the margin, 1769 MB is the pick.
    let mut dearer = stats.clone();
    dearer[2] = sampled(3008, &around(39.5, 0.4), 16.0e-9);
    let r = analyze(&dearer, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!((r.power, r.equivalent), (1769, Some(vec![1769])));
}

#[test]
fn means_within_the_tie_margin_are_tied_however_many_samples_tell_them_apart() {
    // 1% apart, with so little noise that the test alone would separate them.
    let stats = vec![
        sampled(512, &around(100.0, 0.01), 2e-9),
        sampled(1024, &around(50.5, 0.01), 4e-9),
    ];
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.equivalent, Some(vec![512, 1024]));
    assert_eq!(r.power, 1024);
    // 5% apart is beyond the margin.
    let apart = vec![
        sampled(512, &around(100.0, 0.01), 2e-9),
        sampled(1024, &around(52.5, 0.01), 4e-9),
    ];
    let r = analyze(&apart, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!((r.power, r.equivalent), (512, Some(vec![512])));
}

#[test]
fn clearly_separated_results_are_not_tied() {
    let stats = vec![
        sampled(128, &around(100.0, 2.0), 1e-9),
        sampled(256, &around(100.0, 2.0), 2e-9),
        sampled(512, &around(100.0, 2.0), 4e-9),
    ];
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!((r.power, r.equivalent), (128, Some(vec![128])));
    let decision = r.decision.unwrap();
    assert!(
        decision.starts_with("128 MB is the cheapest: the nearest, 256 MB, costs 1.98–2.02x as much (95% bootstrap interval, n = 10 and 10), beyond the 3% margin."),
        "{decision}"
    );
    // For speed they are all tied, and the cheapest of them wins.
    let r = analyze(&stats, &options(Strategy::Speed, 0.5)).unwrap();
    assert_eq!(r.equivalent, Some(vec![128, 256, 512]));
    assert_eq!(r.power, 128);
    assert!(r.decision.unwrap().contains("are equally fast within 3%"));
}

#[test]
fn without_samples_the_decision_is_the_references() {
    let r = analyze(&example(), &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!((r.equivalent, r.decision), (None, None));
    // One result without samples among sampled ones: the averages decide.
    let mut stats = vec![
        sampled(128, &around(100.0, 2.0), 1e-9),
        sampled(256, &around(100.0, 2.0), 2e-9),
    ];
    stats[1].samples = None;
    assert_eq!(
        analyze(&stats, &options(Strategy::Cost, 0.5))
            .unwrap()
            .equivalent,
        None
    );
}

#[test]
fn power_lists_read_as_ranges_or_lists() {
    let stats: Vec<PowerStats> = [128, 256, 512, 1024]
        .iter()
        .map(|&v| stat(v, 1.0, 1.0))
        .collect();
    let usable = [0, 1, 2, 3];
    assert_eq!(power_list(&stats, &usable, &[0, 1, 2]), "128–512");
    assert_eq!(power_list(&stats, &usable, &[0, 2]), "128 and 512");
    assert_eq!(power_list(&stats, &usable, &[0, 1, 3]), "128, 256 and 1024");
    assert_eq!(power_list(&stats, &usable, &[3]), "1024");
}

proptest::proptest! {
    /// The same distribution at every power value (same durations and prices) is one
    /// equivalent set, whatever the durations, and the pick is in it.
    #[test]
    fn identical_distributions_are_one_equivalent_set(
        durations in proptest::collection::vec(1.0f64..500.0, 5..30),
        count in 2usize..6,
        strategy in proptest::sample::select(vec![Strategy::Cost, Strategy::Speed, Strategy::Balanced]),
    ) {
        let stats: Vec<PowerStats> = (0..count)
            .map(|k| sampled(128 * (k as u32 + 1), &durations, 1e-9))
            .collect();
        let r = analyze(&stats, &options(strategy, 0.5)).unwrap();
        let all: Vec<u32> = stats.iter().map(|s| s.value).collect();
        proptest::prop_assert_eq!(r.equivalent.clone(), Some(all.clone()));
        proptest::prop_assert!(all.contains(&r.power));
    }
}

#[test]
fn analysis_picks_per_strategy_and_prices_the_run() {
    let r = analyze(&example(), &options(Strategy::Balanced, 0.5)).unwrap();
    assert_eq!((r.power, r.cost, r.duration), (512, 2.52e-7, 30.0));
    assert!(
        (r.state_machine.lambda_cost - 10.0 * (4.2e-7 + 2.1e-7 + 2.52e-7 + 2.1e-7)).abs() < 1e-18
    );
    // 4 power values in one round, 1 publisher round: 5 + 2 + (3 + 4) = 14 transitions at
    // $0.000025
    assert!((r.state_machine.execution_cost - 14.0 * 0.000025).abs() < 1e-15);
    assert_eq!(r.stats, None);
    assert_eq!(r.balanced_weight, Some(0.5));
    assert!(r.warnings.is_empty());
    let back = visualization::decode(&r.state_machine.visualization).unwrap();
    assert_eq!(
        back.iter().map(|p| p.power).collect::<Vec<_>>(),
        vec![128, 256, 512, 1024]
    );
    assert_eq!(
        analyze(&example(), &options(Strategy::Cost, 0.5))
            .unwrap()
            .power,
        256
    );
    assert_eq!(
        analyze(&example(), &options(Strategy::Speed, 0.5))
            .unwrap()
            .power,
        1024
    );
}

#[test]
fn lambda_cost_is_the_unrounded_sum_in_the_events_order() {
    // Prices have digits below 1e-12 (x86 at 1536 MB: 2.1e-9 x 12 per ms), so a rounded
    // sum would drop part of the run's cost.
    let mut stats = example();
    stats[0].total_cost = 1.234_567_890_123_4e-9;
    stats[1].total_cost = 2.2e-13;
    let expected: f64 = stats.iter().map(|s| s.total_cost).sum();
    let r = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.state_machine.lambda_cost, expected);
    assert_ne!(r.state_machine.lambda_cost, round_money(expected));
}

#[test]
fn a_projection_prices_a_month_and_the_saving_over_the_current_memory() {
    let mut o = options(Strategy::Cost, 0.5);
    o.input.monthly_invocations = Some(1_000_000);
    o.current_memory = Some(1024);
    let r = analyze(&example(), &o).unwrap();
    assert_eq!(r.power, 256);
    let p = r.projection.unwrap();
    assert_eq!(p.monthly.len(), 4);
    // 256 MB: (2.1e-7 + 2e-7 requests) x 1M = 0.41; 1024 MB: (4.2e-7 + 2e-7) x 1M = 0.62.
    let month = |v: u32| p.monthly.iter().find(|m| m.value == v).unwrap().cost;
    assert!((month(256) - 0.41).abs() < 1e-9 && (month(1024) - 0.62).abs() < 1e-9);
    let saving = p.saving.unwrap();
    assert!((saving.amount - 0.21).abs() < 1e-9, "{saving:?}");
    assert!((saving.percent - 0.21 / 0.62 * 100.0).abs() < 1e-9);
    assert_eq!(p.current_memory, Some(1024));

    // A current memory that was not tuned: no saving, and a warning that says what to add.
    o.current_memory = Some(1536);
    let r = analyze(&example(), &o).unwrap();
    assert_eq!(r.projection.unwrap().saving, None);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("(1536 MB) was not tuned") && w.contains("add 1536")),
        "{:?}",
        r.warnings
    );
    // Without monthlyInvocations there is no projection.
    assert_eq!(
        analyze(&example(), &options(Strategy::Cost, 0.5))
            .unwrap()
            .projection,
        None
    );
}

#[test]
fn a_saved_run_analyzes_again_to_the_same_result() {
    let input = ExecutionInput::from_json(
        &json!({"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:f", "num": 10,
                "powerValues": [128, 256, 512, 1024], "includeOutputResults": true,
                "adaptive": true, "monthlyInvocations": 5000}),
        &Defaults::default(),
    )
    .unwrap();
    let stats = vec![
        sampled(128, &around(400.0, 40.0), 1e-9),
        sampled(256, &around(200.0, 20.0), 2e-9),
        sampled(512, &around(100.0, 10.0), 4e-9),
        sampled(1024, &around(80.0, 5.0), 8e-9),
    ];
    let sampling = Sampling {
        values: Vec::new(),
        first: 10,
        count: 0,
        rounds: vec![4, 3],
        settled: true,
        reason: Some("The decision was settled.".into()),
    };
    let event = AnalyzerEvent {
        input: input.clone(),
        stats: stats.clone(),
        publisher_rounds: 2,
        cleaner_rounds: 1,
        sampling: Some(sampling),
        current_memory: Some(512),
        function: None,
    };
    let env = AnalysisEnv::new(Some("eu-west-1".into()), None);
    let first = event.analyze(&env).unwrap();
    let saved = crate::output::SavedRun {
        result: first.clone(),
        input,
        publisher_rounds: 2,
        current_memory: Some(512),
    };
    let document = serde_json::to_value(&saved).unwrap();
    // The result document's keys stay at the top, as the state machine returns them.
    assert!(document["power"].is_u64() && document["input"]["adaptive"] == true);
    let again = AnalyzerEvent::from_json(&document, &Defaults::default()).unwrap();
    assert_eq!(
        again.stats, stats,
        "the samples come back, so ties are tested again"
    );
    let second = again.analyze(&env).unwrap();
    assert_eq!(second, first);
}

#[test]
fn the_result_uses_the_reference_key_names() {
    let mut o = options(Strategy::Cost, 0.5);
    o.input.include_output_results = true;
    let v = serde_json::to_value(analyze(&example(), &o).unwrap()).unwrap();
    for key in [
        "power",
        "cost",
        "duration",
        "stateMachine",
        "stats",
        "strategy",
        "currency",
    ] {
        assert!(v.get(key).is_some(), "{key} in {v}");
    }
    for key in ["executionCost", "lambdaCost", "visualization"] {
        assert!(v["stateMachine"].get(key).is_some(), "{key}");
    }
    assert_eq!(v["stats"].as_array().unwrap().len(), 4);
    assert_eq!(v["stats"][0]["averagePrice"], json!(4.2e-7));
    assert!(v.get("warnings").is_none());
    assert!(v.get("balancedWeight").is_none());
}

#[test]
fn failed_power_values_are_reported_not_dropped() {
    let mut s = example();
    s.push(PowerStats::failed(64, "Runtime.OutOfMemory"));
    let r = analyze(&s, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(r.power, 256);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("64 MB failed: Runtime.OutOfMemory")));
    let all_failed = vec![
        PowerStats::failed(128, "boom"),
        PowerStats::failed(256, "bang"),
    ];
    let err = analyze(&all_failed, &options(Strategy::Cost, 0.5)).unwrap_err();
    assert!(err.to_string().contains("128 MB: boom; 256 MB: bang"));
    assert_eq!(
        analyze(&[], &options(Strategy::Cost, 0.5)),
        Err(AnalysisError::NoStats)
    );
}

#[test]
fn unknown_regions_are_priced_as_us_east_1_with_a_warning() {
    let mut o = options(Strategy::Cost, 0.5);
    o.region = Some("mars-north-1".into());
    let r = analyze(&example(), &o).unwrap();
    assert!(r.warnings[0].contains("mars-north-1"));
    o.region = None;
    assert!(analyze(&example(), &o).unwrap().warnings[0].contains("unknown"));
    o.region = Some("cn-north-1".into());
    let r = analyze(&example(), &o).unwrap();
    assert_eq!(r.currency, Currency::Cny);
    assert!(r.state_machine.visualization.contains("?currency=CNY#"));
}

#[test]
fn analyzer_events_are_the_input_plus_stats() {
    let event = json!({
        "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "num": 10, "strategy": "speed",
        "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}],
        "publisherRounds": 2
    });
    let e = AnalyzerEvent::from_json(
        &event,
        &Defaults {
            power_values: vec![128],
            region: None,
        },
    )
    .unwrap();
    assert_eq!(e.input.strategy, Strategy::Speed);
    assert_eq!(e.stats[0].value, 128);
    assert_eq!(e.publisher_rounds, 2);

    let no_stats = json!({"lambdaARN": "f", "num": 10});
    assert!(matches!(
        AnalyzerEvent::from_json(&no_stats, &Defaults::default()),
        Err(AnalyzerEventError::NoStats)
    ));
    // The state machine's shape, as a step's history shows it: the input nested, with the
    // rest of the state beside it.
    let state = json!({
        "input": {"lambdaARN": "f", "num": 10, "powerValues": [128], "strategy": "speed", "region": "eu-west-1"},
        "function": {"arn": "x"}, "runId": "abc",
        "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}]
    });
    let e = AnalyzerEvent::from_json(&state, &Defaults::default()).unwrap();
    assert_eq!((e.input.strategy, e.publisher_rounds), (Strategy::Speed, 1));
    assert_eq!(e.input.region.as_deref(), Some("eu-west-1"));
    let r = e.analyze(&AnalysisEnv::new(None, None)).unwrap();
    assert_eq!(r.power, 128);
    assert!(r.state_machine.visualization.starts_with(DEFAULT_BASE_URL));

    let bad = json!({"lambdaARN": "f", "num": 10, "stats": [{"value": 128}]});
    let err = AnalyzerEvent::from_json(&bad, &Defaults::default()).unwrap_err();
    assert!(err.to_string().contains("entry 0"), "{err}");
}

#[test]
fn the_document_reader_and_serde_agree_on_rounds() {
    let event = json!({
        "input": {"lambdaARN": "f", "num": 10, "powerValues": [128]},
        "stats": [{"value": 128, "averagePrice": 1e-7, "averageDuration": 20, "totalCost": 1e-6}],
        "publisherRounds": 0
    });
    assert!(AnalyzerEvent::from_json(&event, &Defaults::default()).is_err());
    assert!(serde_json::from_value::<AnalyzerEvent>(event.clone()).is_err());
    let mut two = event;
    two["publisherRounds"] = json!(2);
    let read = AnalyzerEvent::from_json(&two, &Defaults::default()).unwrap();
    let typed: AnalyzerEvent = serde_json::from_value(two).unwrap();
    assert_eq!(read, typed);
}

#[test]
fn a_budget_is_in_the_result_and_its_decision() {
    // The same cost everywhere; 128 and 256 MB are too slow for p90 ≤ 150 ms.
    let stats = vec![
        sampled(128, &around(400.0, 40.0), 1e-9),
        sampled(256, &around(200.0, 20.0), 2e-9),
        sampled(512, &around(100.0, 10.0), 4e-9),
        sampled(1024, &around(80.0, 5.0), 8e-9),
    ];
    let mut case = options(Strategy::Cost, 0.5);
    case.input.max_duration = Some("p90=150ms".parse().unwrap());
    let r = analyze(&stats, &case).unwrap();
    assert_eq!(r.power, 512);
    let budget = r.budget.clone().unwrap();
    assert_eq!(budget.verdict, crate::budget::Verdict::Meets);
    assert_eq!(budget.over, vec![128, 256]);
    let decision = r.decision.clone().unwrap();
    assert!(
        decision.starts_with("Budget p90 ≤ 150 ms: 512 MB meets it (p90 "),
        "{decision}"
    );
    // 128 and 256 MB cost the same as 512 but are over the budget: not tied with it.
    assert_eq!(r.equivalent, Some(vec![512]));
    assert!(decision.contains("within the budget"), "{decision}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["budget"]["statistic"], "p90");
    assert_eq!(json["budget"]["ms"], 150.0);
    assert_eq!(json["budget"]["verdict"], "meets");
    assert_eq!(json["budget"]["over"], json!([128, 256]));
    // Without the budget the same statistics tie 128-512 MB.
    let plain = analyze(&stats, &options(Strategy::Cost, 0.5)).unwrap();
    assert_eq!(plain.equivalent, Some(vec![128, 256, 512]));
    assert!(plain.budget.is_none());
}

/// A function with a heavy init: 400 ms at 512 MB and 150 ms at 1024 MB (init ran faster than
/// the memory alone explains), and a light handler, 10 ms at 512 MB and 6 ms at 1024 MB; the
/// first of ten invocations is the cold start, billed Init + Duration.
fn heavy_init() -> Vec<PowerStats> {
    let price = crate::pricing::lambda_price("eu-west-1", crate::pricing::Architecture::X86_64);
    [(512, 400.0, 10.0), (1024, 150.0, 6.0)]
        .iter()
        .map(|&(power, init, handler)| {
            let reports: Vec<crate::report_line::Report> = (0..10)
                .map(|i| {
                    let duration = handler + 0.1 * f64::from(i % 3);
                    let init = (i == 0).then_some(init);
                    crate::report_line::Report {
                        request_id: None,
                        duration_ms: Some(duration),
                        billed_duration_ms: Some((duration + init.unwrap_or(0.0)).ceil()),
                        init_duration_ms: init,
                        restore_duration_ms: None,
                        billed_restore_duration_ms: None,
                        memory_size_mb: Some(power),
                        max_memory_used_mb: Some(40),
                        first_in_environment: false,
                    }
                })
                .collect();
            PowerStats::from_reports(power, &reports, 0, &price, 0.0)
        })
        .collect()
}

#[test]
fn a_cold_start_rate_blends_warm_and_cold_and_says_where_the_pick_changes() {
    let stats = heavy_init();
    let cold = stats[0].cold.unwrap();
    assert_eq!((cold.count, cold.init_duration), (1, 400.0));
    assert!((cold.duration - 410.0).abs() < 1e-9);
    assert_eq!(stats[0].warm.unwrap().count, 9);
    // Per billed ms 1024 MB costs twice 512 MB: warm about 10.7 vs 2 x 6.7 units (means of
    // billed ms), cold 410 vs 2 x 156 = 312: the lines meet near 2.6%.
    let (w0, c0) = (stats[0].warm.unwrap().cost, stats[0].cold.unwrap().cost);
    let (w1, c1) = (stats[1].warm.unwrap().cost, stats[1].cold.unwrap().cost);
    let expected = (w1 - w0) / ((w1 - w0) - (c1 - c0));
    assert!((0.025..0.028).contains(&expected), "{expected}");
    let at = |rate: Option<f64>| {
        let mut case = options(Strategy::Cost, 0.5);
        case.input.cold_start_rate = rate.map(ColdStartRate::Given);
        analyze(&stats, &case).unwrap()
    };
    let plain = at(None);
    assert_eq!(plain.power, 512);
    assert!(plain.blend.is_none());
    // "auto" that never reached the Initializer decides on every invocation, and says so.
    let mut case = options(Strategy::Cost, 0.5);
    case.input.cold_start_rate = Some(ColdStartRate::Auto);
    let unread = analyze(&stats, &case).unwrap();
    assert_eq!((unread.power, unread.blend.is_none()), (512, true));
    assert!(
        unread
            .warnings
            .iter()
            .any(|w| w.contains("\"auto\" was never read")),
        "{:?}",
        unread.warnings
    );

    let rare = at(Some(0.01));
    assert_eq!(rare.power, 512);
    let blend = rare.blend.clone().unwrap();
    let c = blend.crossing.unwrap();
    assert_eq!((c.power, c.above), (1024, true));
    assert!((c.rate - expected).abs() < 1e-12, "{c:?}");
    let decision = rare.decision.clone().unwrap();
    assert!(
        decision.ends_with("from 2.6% cold starts up, 1024 MB is cheaper than 512 MB."),
        "{decision}"
    );
    // The blended figures are the pick's own: 0.99 x warm + 0.01 x cold.
    let (warm, cold) = (stats[0].warm.unwrap(), stats[0].cold.unwrap());
    assert!((blend.cost - (0.99 * warm.cost + 0.01 * cold.cost)).abs() < 1e-15);

    let often = at(Some(0.10));
    assert_eq!(often.power, 1024);
    let c = often.blend.unwrap().crossing.unwrap();
    assert_eq!((c.power, c.above), (512, false));
    assert!(often
        .decision
        .unwrap()
        .ends_with("below 2.6% cold starts, 512 MB is cheaper than 1024 MB."));
}

#[test]
fn with_a_cold_start_rate_a_percentile_budget_counts_the_cold_starts() {
    use crate::budget::Verdict;
    let stats = heavy_init();
    let mut case = options(Strategy::Cost, 0.5);
    case.input.max_duration = Some("p95=100ms".parse().unwrap());
    // At 10% cold starts more than 5% of the invocations are cold: the p95 is a cold start's
    // 410 or 156 ms at either size, over the budget.
    case.input.cold_start_rate = Some(ColdStartRate::Given(0.10));
    let budget = analyze(&stats, &case).unwrap().budget.unwrap();
    assert_eq!(budget.verdict, Verdict::None);
    assert_eq!(budget.over, vec![512, 1024]);
    // At 1% the p95 is a warm invocation's, about 10 ms.
    case.input.cold_start_rate = Some(ColdStartRate::Given(0.01));
    let r = analyze(&stats, &case).unwrap();
    let budget = r.budget.unwrap();
    assert_eq!((budget.verdict, r.power), (Verdict::Meets, 512));
    assert!(budget.estimate.value < 11.0, "{:?}", budget.estimate);
}

/// One power value's statistics from ten 100 ms invocations priced in `region`.
fn priced_in(region: &str, architecture: crate::pricing::Architecture, mb: u32) -> PowerStats {
    let price = crate::pricing::lambda_price(region, architecture).with_ephemeral_storage(mb);
    let reports: Vec<crate::report_line::Report> = (0..10)
        .map(|_| crate::report_line::Report {
            request_id: None,
            duration_ms: Some(99.5),
            billed_duration_ms: Some(100.0),
            init_duration_ms: None,
            restore_duration_ms: None,
            billed_restore_duration_ms: None,
            memory_size_mb: Some(1024),
            max_memory_used_mb: Some(40),
            first_in_environment: false,
        })
        .collect();
    PowerStats::from_reports(1024, &reports, 0, &price, 0.0)
}

/// A run tuned in `region` (its ARN's), with a month of a million invocations projected.
fn run_in(region: &str, function: Option<PricedFunction>, stats: PowerStats) -> TuningResult {
    let input = ExecutionInput::from_json(
        &json!({"lambdaARN": format!("arn:aws:lambda:{region}:123456789012:function:f"),
                "num": 10, "powerValues": [1024], "monthlyInvocations": 1_000_000}),
        &Defaults::default(),
    )
    .unwrap();
    let event = AnalyzerEvent {
        input,
        stats: vec![stats],
        publisher_rounds: 1,
        cleaner_rounds: 1,
        sampling: None,
        current_memory: None,
        function,
    };
    event
        .analyze(&AnalysisEnv::new(Some("us-east-1".into()), None))
        .unwrap()
}

#[test]
fn a_run_is_priced_at_its_regions_figures_and_says_when_they_are_not_its_own() {
    use crate::pricing::Architecture::{Arm64, X86_64};
    let x86 = |mb| {
        Some(PricedFunction {
            architecture: X86_64,
            ephemeral_storage_mb: Some(mb),
        })
    };
    // Osaka is priced as US East (it was 29% dearer here), Zurich at its own duration and
    // request prices: 0.1 s x 1 GB, and a million requests at $0.20 and $0.22.
    let osaka = run_in(
        "ap-northeast-3",
        x86(512),
        priced_in("ap-northeast-3", X86_64, 512),
    );
    assert!(
        (osaka.cost - 0.1 * 0.0000166667).abs() < 1e-15,
        "{}",
        osaka.cost
    );
    let zurich = run_in(
        "eu-central-2",
        x86(512),
        priced_in("eu-central-2", X86_64, 512),
    );
    assert!(
        (zurich.cost - 0.1 * 0.0000183334).abs() < 1e-15,
        "{}",
        zurich.cost
    );
    let month = |r: &TuningResult| r.projection.as_ref().unwrap().monthly[0].cost;
    assert!((month(&osaka) - (0.1 * 0.0000166667 + 0.20e-6) * 1e6).abs() < 0.01);
    assert!((month(&zurich) - (0.1 * 0.0000183334 + 0.22e-6) * 1e6).abs() < 0.01);
    for r in [&osaka, &zurich] {
        assert!(
            !r.warnings.iter().any(|w| w.contains("price")),
            "{:?}",
            r.warnings
        );
    }
    // A region with no price: us-east-1's, and the result says so.
    let nowhere = run_in(
        "xx-nowhere-1",
        x86(512),
        priced_in("xx-nowhere-1", X86_64, 512),
    );
    assert!((nowhere.cost - 0.1 * 0.0000166667).abs() < 1e-15);
    assert!(
        nowhere
            .warnings
            .iter()
            .any(|w| w.contains("No Lambda price is known for region \"xx-nowhere-1\"")),
        "{:?}",
        nowhere.warnings
    );
    // Tel Aviv's arm64 price is not published where we looked; its x86 price is.
    let arm = Some(PricedFunction {
        architecture: Arm64,
        ephemeral_storage_mb: None,
    });
    let tel_aviv = run_in("il-central-1", arm, priced_in("il-central-1", Arm64, 512));
    assert!(
        tel_aviv
            .warnings
            .iter()
            .any(|w| w.contains("arm64 duration")),
        "{:?}",
        tel_aviv.warnings
    );
    // 10 GB of ephemeral storage is charged with the duration: 9.5 GB x 0.1 s more.
    let stored = run_in(
        "us-east-1",
        x86(10240),
        priced_in("us-east-1", X86_64, 10240),
    );
    let plain = run_in("us-east-1", x86(512), priced_in("us-east-1", X86_64, 512));
    assert!((stored.cost - plain.cost - 0.1 * 9.5 * 0.0000000309).abs() < 1e-15);
}
