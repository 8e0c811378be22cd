//! Cost per invocation against the cold-start rate: each power value's blended cost,
//! (1 - rate) x warm + rate x cold, is a straight line in the rate, so where two lines cross is
//! where the cheaper of the two changes.

use super::{nice_ticks, text_width, tick_label, BOTTOM, FONT, H, LEFT, RIGHT, TOP, W};
use crate::text::escape;
use powertune_core::blend::percent;
use std::fmt::Write;

/// One power value's line: its memory, its warm and its cold cost per invocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLine {
    /// The memory size, MB.
    pub power: u32,
    /// Warm cost per invocation.
    pub warm: f64,
    /// Cold-start cost per invocation.
    pub cold: f64,
}

/// Colours for the lines, the recommendation's first.
const COLOURS: [&str; 6] = [
    "var(--best)",
    "var(--a)",
    "var(--b)",
    "var(--good)",
    "var(--cold)",
    "var(--muted)",
];

/// The chart, from rate 0 to `max_rate`, with the run's `rate` marked; costs per 1M
/// invocations after `symbol`. `lines[0]` is the recommendation.
pub fn rate_chart(
    title: &str,
    symbol: &str,
    lines: &[RateLine],
    rate: f64,
    max_rate: f64,
) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><text class=\"title\" x=\"{LEFT}\" y=\"20\">{}</text>",
        escape(title),
        escape(title)
    );
    let per_million = |l: &RateLine, r: f64| ((1.0 - r) * l.warm + r * l.cold) * 1e6;
    // Each line's extremes are at its ends; the axis spans them (not from 0: the lines are
    // often close together).
    let ends: Vec<f64> = lines
        .iter()
        .flat_map(|l| [per_million(l, 0.0), per_million(l, max_rate)])
        .collect();
    let top = ends.iter().copied().fold(0.0, f64::max);
    let bottom = ends.iter().copied().fold(top, f64::min);
    let pad = ((top - bottom) * 0.1).max(top * 0.01);
    let y_ticks = nice_ticks(
        (bottom - pad).max(0.0),
        (top + pad).max(f64::MIN_POSITIVE),
        5,
    );
    let y_min = y_ticks.first().copied().unwrap_or(0.0).min(bottom);
    let y_max = y_ticks.last().copied().unwrap_or(top).max(top);
    let x = |r: f64| LEFT + (W - RIGHT - LEFT) * r / max_rate;
    let y = |v: f64| {
        H - BOTTOM - (H - BOTTOM - TOP) * (v - y_min) / (y_max - y_min).max(f64::MIN_POSITIVE)
    };
    let y_step = y_ticks.get(1).copied().unwrap_or(1.0) - y_ticks.first().copied().unwrap_or(0.0);
    for &t in &y_ticks {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\"/><text class=\"tick y\" x=\"{}\" y=\"{:.1}\">{}{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(t) + 3.5,
            escape(symbol),
            tick_label(t, y_step),
            ty = y(t)
        );
    }
    let x_ticks = nice_ticks(0.0, max_rate, 5);
    let x_step = x_ticks.get(1).copied().unwrap_or(max_rate);
    // From the first tick past 0: the corner belongs to the y axis's lowest label.
    for &t in x_ticks
        .iter()
        .filter(|&&t| t > 0.0 && t <= max_rate + 1e-12)
    {
        let _ = write!(
            svg,
            "<text class=\"tick x\" x=\"{:.1}\" y=\"{:.1}\">{}%</text>",
            x(t),
            H - BOTTOM + 16.0,
            tick_label(100.0 * t, 100.0 * x_step)
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{b:.1}\" y2=\"{b:.1}\"/>",
        W - RIGHT,
        b = H - BOTTOM
    );
    // The run's rate.
    let _ = write!(
        svg,
        "<line class=\"limit\" x1=\"{rx:.1}\" x2=\"{rx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text class=\"axis-label\" style=\"text-anchor: start\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        H - BOTTOM,
        rx_label(x(rate)),
        TOP + 12.0,
        escape(&format!("this run: {}", percent(rate))),
        rx = x(rate)
    );
    // A line per power value, and a legend row under the axis.
    let mut legend_x = LEFT;
    for (i, l) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let width = if i == 0 { 3 } else { 2 };
        let _ = write!(
            svg,
            "<line class=\"rate-line\" style=\"stroke: {colour}; stroke-width: {width}\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            x(0.0),
            y(per_million(l, 0.0)),
            x(max_rate),
            y(per_million(l, max_rate))
        );
        let label = format!("{} MB", l.power);
        let _ = write!(
            svg,
            "<rect x=\"{legend_x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" style=\"fill: {colour}\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            H - 17.0,
            legend_x + 14.0,
            H - 8.0,
            escape(&label)
        );
        legend_x += 14.0 + text_width(&label, FONT) + 16.0;
    }
    svg.push_str("</svg>");
    svg
}

/// Where the rate marker's label starts: right of the marker, or left of it near the right edge.
fn rx_label(marker: f64) -> f64 {
    if marker > W - RIGHT - 110.0 {
        marker - 110.0
    } else {
        marker + 4.0
    }
}

/// The rates the chart spans: past the run's rate and the crossing, at least 10%, at most 100%.
pub fn span(rate: f64, crossing: Option<f64>) -> f64 {
    let far = crossing.unwrap_or(0.0).max(rate);
    (far * 2.0).clamp(0.1, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_run_from_their_warm_to_their_blended_cost_and_cross_where_the_costs_meet() {
        // Equal at 5%: 1 + 20 r = 1.5 + 10 r (per invocation, x 1e-6).
        let lines = [
            RateLine {
                power: 512,
                warm: 1e-6,
                cold: 21e-6,
            },
            RateLine {
                power: 1024,
                warm: 1.5e-6,
                cold: 11.5e-6,
            },
        ];
        let max = span(0.02, Some(0.05));
        assert_eq!(max, 0.1);
        let svg = rate_chart("Cost against the cold-start rate", "$", &lines, 0.02, max);
        assert_eq!(svg.matches("class=\"rate-line\"").count(), 2);
        assert!(svg.contains(">512 MB</text>") && svg.contains(">1024 MB</text>"));
        assert!(svg.contains(">this run: 2%</text>"));
        // Both lines end at 10%: 512 MB at 3.0, 1024 MB at 2.5 per million; they cross at 5%,
        // halfway along, so their ends are on either side.
        let ends: Vec<f64> = svg
            .match_indices("class=\"rate-line\"")
            .map(|(i, _)| {
                let rest = &svg[i..];
                let at = rest.find("y2=\"").unwrap() + 4;
                rest[at..at + rest[at..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(ends[0] < ends[1], "512 MB ends above 1024 MB: {ends:?}");
        assert_eq!(span(0.6, None), 1.0);
    }
}
