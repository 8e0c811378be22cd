//! Charts as inline SVG for the HTML reports: axes with readable ticks (1-2-5 steps), memory on
//! a log2 axis so that 128, 256 and 512 MB are as far apart as 1024, 2048 and 4096, labels that
//! never overlap whatever the power values ("ALL" included), lines with a band, strips of every
//! invocation and box plots. Colours come from CSS classes, so the page's light and dark
//! schemes apply.

pub mod rate;

use crate::text::{escape, significant};
use std::fmt::Write;

/// Ticks from 0 (or `min`) to at least `max` in steps of 1, 2 or 5 times a power of ten, about
/// `target` of them.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite()) || max <= min {
        let v = if max.is_finite() { max } else { 0.0 };
        return vec![v];
    }
    let step = nice_step((max - min) / target.max(1) as f64);
    let first = (min / step).floor() * step;
    let mut ticks = Vec::new();
    let mut k = 0.0;
    loop {
        let t = first + k * step;
        // Snap away float noise (0.30000000000000004).
        let t = (t / step).round() * step;
        ticks.push(t);
        if t >= max - step * 1e-9 || ticks.len() > 100 {
            break;
        }
        k += 1.0;
    }
    ticks
}

/// The 1-2-5 step at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// Ticks of a log10 axis from `min` to `max`: 1, 2 and 5 times each power of ten in range,
/// thinned to the powers of ten when there are many decades.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max > min) {
        return vec![min.max(f64::MIN_POSITIVE)];
    }
    let decades = (max / min).log10();
    let mantissas: &[f64] = if decades > 4.0 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut ticks = Vec::new();
    let mut power = 10f64.powf(min.log10().floor());
    while power <= max * 10.0 {
        for m in mantissas {
            let t = m * power;
            if t >= min * 0.999 && t <= max * 1.001 {
                ticks.push(t);
            }
        }
        power *= 10.0;
    }
    ticks
}

/// The largest 1, 2 or 5 times a power of ten at or under `v` (> 0).
fn log_floor(v: f64) -> f64 {
    let power = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * power)
        .find(|&t| t <= v * 1.000_001)
        .unwrap_or(power)
}

/// A tick's label with as many decimals as the step between ticks needs.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// An axis scale from data to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// `min..max` onto `from..to` linearly.
    Linear {
        /// The data value at `from`.
        min: f64,
        /// The data value at `to`.
        max: f64,
    },
    /// Logarithmic (any base: the ratio is what counts).
    Log {
        /// The data value at `from`.
        min: f64,
        /// The data value at `to`.
        max: f64,
    },
}

impl Scale {
    /// The position of `v` between `from` and `to` (pixels); the middle when the scale is empty.
    pub fn at(&self, v: f64, from: f64, to: f64) -> f64 {
        let share = match *self {
            Scale::Linear { min, max } if max > min => (v - min) / (max - min),
            Scale::Log { min, max } if max > min && min > 0.0 && v > 0.0 => {
                (v / min).ln() / (max / min).ln()
            }
            _ => 0.5,
        };
        from + share * (to - from)
    }
}

/// Approximate width of `text` at `font_size` px in the report's sans-serif font.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * font_size * 0.6
}

/// Which of `positions` (pixels, with their label texts) get a label, so that no two labels
/// overlap: the `keep` ones first (the recommendation), then the ends, then powers of two, then
/// the rest left to right, each only where it fits. Returns the indices, ascending.
pub fn labelled(
    positions: &[(f64, String)],
    values: &[u32],
    keep: &[u32],
    font_size: f64,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..positions.len()).collect();
    let rank = |i: usize| -> u8 {
        let v = values.get(i).copied().unwrap_or(0);
        if keep.contains(&v) {
            0
        } else if i == 0 || i + 1 == positions.len() {
            1
        } else if v.is_power_of_two() {
            2
        } else if v % 512 == 0 {
            3
        } else {
            4
        }
    };
    order.sort_by_key(|&i| (rank(i), i));
    let gap = font_size * 0.8;
    let mut taken: Vec<(f64, f64, usize)> = Vec::new();
    for i in order {
        let (x, text) = &positions[i];
        let half = text_width(text, font_size) / 2.0;
        let (left, right) = (x - half, x + half);
        if taken
            .iter()
            .all(|&(l, r, _)| right + gap <= l || left >= r + gap)
        {
            taken.push((left, right, i));
        }
    }
    let mut chosen: Vec<usize> = taken.into_iter().map(|(_, _, i)| i).collect();
    chosen.sort_unstable();
    chosen
}

/// What one series of a chart draws.
pub struct Series<'a> {
    /// A CSS class: `a` or `b` (the two runs of a comparison), which sets its colour.
    pub class: &'a str,
    /// Its name in the legend (none for a single series).
    pub name: &'a str,
    /// (power value, value) per power value, ascending.
    pub points: Vec<(u32, f64)>,
    /// The 95% interval per power value, drawn as a band.
    pub band: Vec<(u32, f64, f64)>,
    /// Every invocation's value per power value, drawn as a strip, with whether each was a cold
    /// start.
    pub strips: Vec<(u32, Vec<(f64, bool)>)>,
}

/// A chart of values against memory.
pub struct Chart<'a> {
    /// Its title.
    pub title: &'a str,
    /// What goes before each y tick label (a currency symbol).
    pub prefix: &'a str,
    /// The y axis's unit, after each tick label ("ms").
    pub unit: &'a str,
    /// Every power value on the x axis, ascending.
    pub powers: Vec<u32>,
    /// The recommended power value (marked).
    pub best: Option<u32>,
    /// Power values tied with the recommendation (shaded).
    pub tied: Vec<u32>,
    /// The series.
    pub series: Vec<Series<'a>>,
    /// A log y axis (for durations that span decades).
    pub log_y: bool,
    /// A limit drawn across the chart as a dashed line, with its label (a latency budget).
    pub limit: Option<(f64, String)>,
}

const W: f64 = 600.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
const FONT: f64 = 11.0;

/// A chart's scales: memory on x, the values on y, and the y ticks.
struct Frame {
    xs: Scale,
    ys: Scale,
    ticks: Vec<f64>,
}

impl Frame {
    fn x(&self, v: u32) -> f64 {
        self.xs.at(f64::from(v), LEFT, W - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        self.ys.at(v, H - BOTTOM, TOP)
    }

    fn is_log(&self) -> bool {
        matches!(self.ys, Scale::Log { .. })
    }
}

impl Chart<'_> {
    /// The scales that fit every point, band and strip.
    fn frame(&self) -> Frame {
        let (x_min, x_max) = (
            f64::from(*self.powers.first().unwrap_or(&128)),
            f64::from(*self.powers.last().unwrap_or(&128)),
        );
        // Room at both ends, so the first and last boxes and labels are not cut.
        let pad = (x_max / x_min).max(1.0).powf(0.04).max(1.08);
        let xs = Scale::Log {
            min: x_min / pad,
            max: x_max * pad,
        };
        let mut all: Vec<f64> = Vec::new();
        for s in &self.series {
            all.extend(s.points.iter().map(|p| p.1));
            all.extend(s.band.iter().flat_map(|b| [b.1, b.2]));
            all.extend(s.strips.iter().flat_map(|(_, v)| v.iter().map(|p| p.0)));
        }
        all.extend(self.limit.as_ref().map(|l| l.0));
        all.retain(|v| v.is_finite());
        let data_max = all.iter().copied().fold(0.0, f64::max);
        let data_min = all
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let (ys, ticks) = if self.log_y && data_min.is_finite() && data_max > data_min * 10.0 {
            // From the 1-2-5 tick at or under the smallest value, so it has a tick below it.
            let floor = log_floor(data_min);
            let ticks = log_ticks(floor, data_max);
            let lo = floor / 1.15;
            (
                Scale::Log {
                    min: lo,
                    max: data_max * 1.15,
                },
                ticks,
            )
        } else {
            let ticks = nice_ticks(0.0, data_max.max(f64::MIN_POSITIVE), 5);
            let top = ticks.last().copied().unwrap_or(data_max).max(data_max);
            (Scale::Linear { min: 0.0, max: top }, ticks)
        };
        Frame { xs, ys, ticks }
    }

    /// The chart as an `<svg>` element.
    pub fn render(&self) -> String {
        self.render_with(|_| String::new())
    }

    /// The chart with `extra(frame)` drawn over the series.
    fn render_with(&self, extra: impl Fn(&Frame) -> String) -> String {
        let mut svg = String::new();
        let _ = write!(
            svg,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
            escape(self.title)
        );
        let _ = write!(
            svg,
            "<text class=\"title\" x=\"{LEFT}\" y=\"20\">{}</text>",
            escape(self.title)
        );
        if self.powers.is_empty() {
            svg.push_str("</svg>");
            return svg;
        }
        let frame = self.frame();
        self.columns(&frame, &mut svg);
        self.y_grid(&frame, &mut svg);
        self.x_axis(&frame, &mut svg);
        self.series_shapes(&frame, &mut svg);
        self.limit_line(&frame, &mut svg);
        self.legend(&mut svg);
        svg.push_str(&extra(&frame));
        svg.push_str("</svg>");
        svg
    }

    /// The limit, if any: a dashed line across the plot, labelled at its right end.
    fn limit_line(&self, frame: &Frame, svg: &mut String) {
        let Some((value, label)) = &self.limit else {
            return;
        };
        let ly = frame.y(*value);
        let _ = write!(
            svg,
            "<line class=\"limit\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\"/><text class=\"limit-label\" x=\"{}\" y=\"{:.1}\">{}</text>",
            W - RIGHT,
            W - RIGHT - 4.0,
            ly - 4.0,
            escape(label)
        );
    }

    /// Shaded columns behind the best and the tied power values.
    fn columns(&self, frame: &Frame, svg: &mut String) {
        let x = |v: u32| frame.x(v);
        // Shaded columns behind the tied power values, from midway to each neighbour.
        let column = |i: usize| -> (f64, f64) {
            let here = x(self.powers[i]);
            let left = if i == 0 {
                here - 14.0
            } else {
                (x(self.powers[i - 1]) + here) / 2.0
            };
            let right = if i + 1 == self.powers.len() {
                here + 14.0
            } else {
                (x(self.powers[i + 1]) + here) / 2.0
            };
            (left, right)
        };
        for (i, p) in self.powers.iter().enumerate() {
            let class = if Some(*p) == self.best {
                "best-column"
            } else if self.tied.contains(p) {
                "tied-column"
            } else {
                continue;
            };
            let (l, r) = column(i);
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{l:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                r - l,
                H - BOTTOM - TOP
            );
        }
    }

    /// The y grid and its labels.
    fn y_grid(&self, frame: &Frame, svg: &mut String) {
        let y = |v: f64| frame.y(v);
        let ticks = &frame.ticks;
        // The y grid and its labels.
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        for &t in ticks {
            let ty = y(t);
            // On a log axis each tick needs only its own digits (5, 20, 0.5).
            let label = if frame.is_log() {
                tick_label(t, t)
            } else {
                tick_label(t, step)
            };
            let label = format!("{}{label}", self.prefix);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\"/><text class=\"tick y\" x=\"{}\" y=\"{:.1}\">{}{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                ty + 3.5,
                escape(&label),
                escape(&unit_suffix(self.unit))
            );
        }
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{b:.1}\" y2=\"{b:.1}\"/>",
            W - RIGHT,
            b = H - BOTTOM
        );
    }

    /// The x axis: a tick at every power value, labels where they fit.
    fn x_axis(&self, frame: &Frame, svg: &mut String) {
        let x = |v: u32| frame.x(v);
        // x ticks at every power value; labels where they fit.
        let positions: Vec<(f64, String)> =
            self.powers.iter().map(|&p| (x(p), p.to_string())).collect();
        let keep: Vec<u32> = self.best.into_iter().collect();
        let shown = labelled(&positions, &self.powers, &keep, FONT);
        for (i, (px, text)) in positions.iter().enumerate() {
            let _ = write!(
                svg,
                "<line class=\"axis\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{b:.1}\" y2=\"{:.1}\"/>",
                H - BOTTOM + 4.0,
                b = H - BOTTOM
            );
            if shown.contains(&i) {
                let class = if Some(self.powers[i]) == self.best {
                    "tick x best-label"
                } else {
                    "tick x"
                };
                let _ = write!(
                    svg,
                    "<text class=\"{class}\" x=\"{px:.1}\" y=\"{:.1}\">{}</text>",
                    H - BOTTOM + 16.0,
                    escape(text)
                );
            }
        }
        let _ = write!(
            svg,
            "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\">memory (MB, log scale)</text>",
            (LEFT + W - RIGHT) / 2.0,
            H - 8.0
        );
    }

    /// Per series: the interval band (or whiskers), every invocation as a dot, the line and its points.
    fn series_shapes(&self, frame: &Frame, svg: &mut String) {
        let x = |v: u32| frame.x(v);
        let y = |v: f64| frame.y(v);
        // Per series: band, strip, line, points.
        let offsets: Vec<f64> = match self.series.len() {
            0 | 1 => vec![0.0],
            n => (0..n)
                .map(|k| (k as f64 - (n - 1) as f64 / 2.0) * 7.0)
                .collect(),
        };
        for (k, s) in self.series.iter().enumerate() {
            let dx = offsets.get(k).copied().unwrap_or(0.0);
            if s.band.len() > 1 {
                let upper: Vec<String> = s
                    .band
                    .iter()
                    .map(|b| format!("{:.1},{:.1}", x(b.0) + dx, y(b.2)))
                    .collect();
                let lower: Vec<String> = s
                    .band
                    .iter()
                    .rev()
                    .map(|b| format!("{:.1},{:.1}", x(b.0) + dx, y(b.1)))
                    .collect();
                let _ = write!(
                    svg,
                    "<polygon class=\"band {}\" points=\"{} {}\"><title>95% interval</title></polygon>",
                    s.class,
                    upper.join(" "),
                    lower.join(" ")
                );
            } else {
                for b in &s.band {
                    let _ = write!(
                        svg,
                        "<line class=\"whisker {}\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                        s.class,
                        y(b.1),
                        y(b.2),
                        px = x(b.0) + dx
                    );
                }
            }
            for (p, values) in &s.strips {
                let n = values.len().max(1) as f64;
                for (j, (v, cold)) in values.iter().enumerate() {
                    // A deterministic spread across a narrow column, so dots do not pile up.
                    let jitter =
                        ((j as f64 * 0.618_034).fract() - 0.5) * 9.0 * (n.min(20.0) / 20.0 + 0.4);
                    let class = if *cold { "dot cold" } else { "dot" };
                    let _ = write!(
                        svg,
                        "<circle class=\"{class} {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\"/>",
                        s.class,
                        x(*p) + dx + jitter,
                        y(*v),
                        if *cold { 3.0 } else { 1.8 }
                    );
                }
            }
            let path: Vec<String> = s
                .points
                .iter()
                .map(|(p, v)| format!("{:.1},{:.1}", x(*p) + dx, y(*v)))
                .collect();
            let _ = write!(
                svg,
                "<polyline class=\"line {}\" points=\"{}\"/>",
                s.class,
                path.join(" ")
            );
            for (p, v) in &s.points {
                let best = Some(*p) == self.best && self.series.len() == 1;
                let _ = write!(
                    svg,
                    "<circle class=\"point {}{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\"><title>{} MB: {}{}{}</title></circle>",
                    s.class,
                    if best { " best-point" } else { "" },
                    x(*p) + dx,
                    y(*v),
                    if best { 6.0 } else { 3.5 },
                    p,
                    escape(self.prefix),
                    escape(&significant(*v)),
                    escape(&unit_suffix(self.unit))
                );
            }
        }
    }

    /// A legend when there are several series, or any cold start.
    fn legend(&self, svg: &mut String) {
        let mut legend: Vec<(String, String)> = self
            .series
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| (format!("swatch {}", s.class), s.name.to_string()))
            .collect();
        if self
            .series
            .iter()
            .any(|s| s.strips.iter().any(|(_, v)| v.iter().any(|p| p.1)))
        {
            legend.push(("dot cold".into(), "cold start".into()));
        }
        let mut lx = W - RIGHT;
        for (class, name) in legend.iter().rev() {
            lx -= text_width(name, FONT) + 22.0;
            let _ = write!(
                svg,
                "<circle class=\"{class}\" cx=\"{:.1}\" cy=\"16\" r=\"4\"/><text class=\"legend\" x=\"{:.1}\" y=\"20\">{}</text>",
                lx,
                lx + 8.0,
                escape(name)
            );
        }
    }
}

/// " ms" for a unit, nothing without one.
fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// Box plots of every invocation's duration per power value: quartiles, whiskers to the most
/// extreme values within 1.5 interquartile ranges, every invocation as a dot (cold starts
/// marked), on a log axis when the durations span more than a decade.
pub fn box_plot(
    title: &str,
    unit: &str,
    boxes: &[(u32, Vec<(f64, bool)>)],
    best: Option<u32>,
    tied: &[u32],
    limit: Option<(f64, String)>,
) -> String {
    let strips: Vec<(u32, Vec<(f64, bool)>)> = boxes.to_vec();
    let medians: Vec<(u32, f64)> = boxes
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(p, v)| (*p, quantile(v, 0.5)))
        .collect();
    let quartiles: Vec<(u32, f64, f64)> = boxes
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(p, v)| (*p, quantile(v, 0.25), quantile(v, 0.75)))
        .collect();
    let chart = Chart {
        title,
        prefix: "",
        unit,
        powers: boxes.iter().map(|b| b.0).collect(),
        best,
        tied: tied.to_vec(),
        series: vec![Series {
            class: "a boxes",
            name: "",
            points: medians,
            band: Vec::new(),
            strips,
        }],
        log_y: true,
        limit,
    };
    // The chart draws the strips and medians; the boxes go on top, on the same scales.
    chart.render_with(|frame| box_shapes(frame, &chart.powers, &quartiles, boxes, unit))
}

/// The boxes and whiskers of `box_plot`.
fn box_shapes(
    frame: &Frame,
    powers: &[u32],
    quartiles: &[(u32, f64, f64)],
    boxes: &[(u32, Vec<(f64, bool)>)],
    unit: &str,
) -> String {
    // Half a box: a third of the narrowest gap between neighbours, at most 14 px.
    let half = powers
        .windows(2)
        .map(|w| frame.x(w[1]) - frame.x(w[0]))
        .fold(42.0, f64::min)
        / 3.0;
    let half = half.clamp(1.5, 14.0);
    let mut out = String::new();
    for (p, q1, q3) in quartiles {
        let values: Vec<f64> = boxes
            .iter()
            .find(|b| b.0 == *p)
            .map(|b| b.1.iter().map(|v| v.0).collect())
            .unwrap_or_default();
        let iqr = q3 - q1;
        let low = values
            .iter()
            .copied()
            .filter(|v| *v >= q1 - 1.5 * iqr)
            .fold(f64::INFINITY, f64::min);
        let high = values
            .iter()
            .copied()
            .filter(|v| *v <= q3 + 1.5 * iqr)
            .fold(f64::NEG_INFINITY, f64::max);
        let px = frame.x(*p);
        let _ = write!(
            out,
            "<line class=\"whisker\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><rect class=\"box\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{p} MB: quartiles {} to {} {}</title></rect>",
            frame.y(low),
            frame.y(high),
            px - half,
            frame.y(*q3),
            2.0 * half,
            (frame.y(*q1) - frame.y(*q3)).max(0.5),
            escape(&significant(*q1)),
            escape(&significant(*q3)),
            escape(unit)
        );
    }
    out
}

/// The `q` quantile of `values` (linear interpolation).
fn quantile(values: &[(f64, bool)], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().map(|p| p.0).collect();
    v.sort_by(f64::total_cmp);
    powertune_core::stats::percentile(&v, q).unwrap_or(0.0)
}

#[cfg(test)]
mod tests;
