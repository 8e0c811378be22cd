//! Tests of `svg`.

use super::*;

#[test]
fn ticks_step_by_one_two_or_five() {
    assert_eq!(
        nice_ticks(0.0, 653.6, 5),
        vec![0.0, 200.0, 400.0, 600.0, 800.0]
    );
    assert_eq!(
        nice_ticks(0.0, 1.0, 5),
        vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    assert_eq!(nice_ticks(0.0, 37.0, 5), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(tick_label(0.6000000000000001, 0.2), "0.6");
    assert_eq!(tick_label(400.0, 200.0), "400");
    assert_eq!(log_ticks(30.0, 600.0), vec![50.0, 100.0, 200.0, 500.0]);
    assert_eq!(
        (log_floor(2.13), log_floor(37.0), log_floor(5.0)),
        (2.0, 20.0, 5.0)
    );
}

#[test]
fn memory_is_on_a_log_axis() {
    let s = Scale::Log {
        min: 128.0,
        max: 1024.0,
    };
    let (a, b, c) = (
        s.at(128.0, 0.0, 300.0),
        s.at(256.0, 0.0, 300.0),
        s.at(512.0, 0.0, 300.0),
    );
    assert!(
        (b - a - (c - b)).abs() < 1e-9,
        "doublings are evenly spaced"
    );
    assert_eq!(Scale::Linear { min: 0.0, max: 0.0 }.at(5.0, 0.0, 10.0), 5.0);
}

#[test]
fn labels_never_overlap_and_the_recommendation_always_has_one() {
    // "ALL": 128 to 3008 MB in steps of 64, on the charts' log axis.
    let values: Vec<u32> = (128..=3008).step_by(64).collect();
    let s = Scale::Log {
        min: 118.0,
        max: 3250.0,
    };
    let positions: Vec<(f64, String)> = values
        .iter()
        .map(|&v| (s.at(f64::from(v), LEFT, W - RIGHT), v.to_string()))
        .collect();
    let shown = labelled(&positions, &values, &[1472], FONT);
    assert!(shown.iter().any(|&i| values[i] == 1472));
    assert!(shown.iter().any(|&i| values[i] == 128) && shown.iter().any(|&i| values[i] == 3008));
    for w in shown.windows(2) {
        let (a, b) = (&positions[w[0]], &positions[w[1]]);
        assert!(
            a.0 + text_width(&a.1, FONT) / 2.0 <= b.0 - text_width(&b.1, FONT) / 2.0,
            "{} and {} overlap",
            a.1,
            b.1
        );
    }
    assert!(shown.len() >= 6, "{shown:?}");
    // Few, well-spread values: all labelled.
    let few = [128u32, 256, 512, 1024, 3008];
    let positions: Vec<(f64, String)> = few
        .iter()
        .map(|&v| (s.at(f64::from(v), LEFT, W - RIGHT), v.to_string()))
        .collect();
    assert_eq!(labelled(&positions, &few, &[], FONT).len(), 5);
}

#[test]
fn a_limit_is_a_dashed_line_at_its_value_within_the_scale() {
    let chart = |limit: Option<(f64, String)>| Chart {
        title: "Duration",
        prefix: "",
        unit: "ms",
        powers: vec![128, 512],
        best: Some(512),
        tied: vec![],
        series: vec![Series {
            class: "a",
            name: "",
            points: vec![(128, 100.0), (512, 30.0)],
            band: vec![],
            strips: vec![],
        }],
        log_y: false,
        limit,
    };
    assert!(!chart(None).render().contains("class=\"limit\""));
    // A limit above every point still fits: the axis grows to hold it.
    let svg = chart(Some((250.0, "budget: p95 ≤ 250 ms".into()))).render();
    assert_eq!(svg.matches("<line class=\"limit\"").count(), 1);
    assert!(svg.contains(">budget: p95 ≤ 250 ms</text>"));
    let y = |tag: &str| -> f64 {
        let at = svg.find(tag).unwrap();
        let rest = &svg[at..];
        let from = rest.find("y1=\"").unwrap() + 4;
        rest[from..from + rest[from..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    // Inside the plot: below the title, above the x axis.
    let ly = y("<line class=\"limit\"");
    assert!((34.0..300.0 - 46.0).contains(&ly), "{ly}");
}

#[test]
fn charts_escape_text_and_mark_the_recommendation() {
    let chart = Chart {
        title: "Duration <ms>",
        prefix: "",
        unit: "ms",
        powers: vec![128, 512],
        best: Some(512),
        tied: vec![128],
        series: vec![Series {
            class: "a",
            name: "",
            points: vec![(128, 100.0), (512, 30.0)],
            band: vec![(128, 90.0, 110.0), (512, 28.0, 32.0)],
            strips: vec![(128, vec![(95.0, true), (105.0, false)])],
        }],
        log_y: false,
        limit: None,
    };
    let svg = chart.render();
    assert!(svg.contains("Duration &lt;ms&gt;") && !svg.contains("<ms>"));
    assert!(
        svg.contains("best-point") && svg.contains("tied-column") && svg.contains("best-column")
    );
    assert!(svg.contains("dot cold") && svg.contains("cold start"));
    assert_eq!(svg.matches("<polygon class=\"band").count(), 1);
    let plot = box_plot(
        "Every invocation",
        "ms",
        &[
            (128, vec![(100.0, false), (120.0, false), (90.0, true)]),
            (512, vec![(30.0, false)]),
        ],
        Some(512),
        &[],
        None,
    );
    assert_eq!(plot.matches("<rect class=\"box\"").count(), 2);
}
