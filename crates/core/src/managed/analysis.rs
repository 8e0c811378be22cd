//! What a sustained load on one LMI environment measured becomes: per configuration, the
//! throughput the environment held, its durations against the budget, its cost per million
//! requests; the recommendation; and the monthly cost against traffic beside on-demand Lambda
//! at powertune's on-demand recommendation, with the traffic where the two cross.
//!
//! The model of a month: an environment serves at most the throughput measured on it (requests
//! per second, at the client, while the configuration's concurrency is kept busy); a month of
//! `T` requests needs `ceil(T / (throughput x seconds in a month))` environments, and never fewer
//! than [`MIN_ENVIRONMENTS`]; each is paid for every hour of the month, and every request pays
//! [`REQUEST_PRICE`]. Scaling takes minutes on LMI, so the traffic is taken as steady.

use super::prices::{
    environment_price, EnvironmentPrice, InstancePrices, HOURS_PER_MONTH, REQUEST_PRICE,
};
use super::{Configuration, ManagedInstances, MIN_ENVIRONMENTS};
use crate::budget::Budget;
use crate::pricing::Architecture;
use crate::stats::{percentile, trimmed_mean_interval, Interval};
use crate::why::group;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Candidates whose median duration is within this share of the fastest's are taken as equally
/// fast.
pub const NEAR_TIE: f64 = 0.03;

/// Seconds in the month [`HOURS_PER_MONTH`] counts.
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;

/// What driving one configuration measured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Load {
    /// The measured window, seconds: the answers that arrived in it are the ones counted.
    pub seconds: f64,
    /// Requests that succeeded with their answer in the window.
    pub completed: u64,
    /// Requests the function failed.
    pub errors: u64,
    /// Requests refused as throttled.
    pub throttled: u64,
    /// The first error's type and message, for the report.
    pub first_error: Option<String>,
    /// Each completed request's `Duration` from its REPORT, ms.
    pub durations_ms: Vec<f64>,
    /// Each completed request's time at the client, from sending it to its answer, ms.
    pub latencies_ms: Vec<f64>,
}

impl Load {
    /// The load with at most `max` durations and `max` latencies, each kept as evenly spaced
    /// order statistics of its own (the smallest, the largest and the quantiles between them;
    /// the counts stay exact), latencies to the microsecond: what a state machine's Executor
    /// returns, whose result must fit a state of 256 KB with every other configuration's. The
    /// percentiles and the mean the analysis reads keep their values to the quantile grid (every
    /// k-th in time order did not: with 4 requests at once it took a third-party function's p99
    /// from 43.9 ms to 34.7 ms); the throughput's interval from fewer latencies is wider, never
    /// narrower.
    pub fn thinned(mut self, max: usize) -> Load {
        fn thin(v: &mut Vec<f64>, max: usize) {
            if v.len() <= max {
                return;
            }
            if max < 2 {
                v.truncate(max);
                return;
            }
            v.sort_by(f64::total_cmp);
            let last = (v.len() - 1) as f64;
            *v = (0..max)
                .map(|i| v[(i as f64 * last / (max - 1) as f64).round() as usize])
                .collect();
        }
        thin(&mut self.durations_ms, max);
        thin(&mut self.latencies_ms, max);
        // To the microsecond: a client's clock says no more, and the state is smaller.
        for l in &mut self.latencies_ms {
            *l = (*l * 1000.0).round() / 1000.0;
        }
        self
    }
}

/// On-demand Lambda's figures for the same function, to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemand {
    /// The power value powertune recommends on demand, MB.
    pub power_mb: u32,
    /// Its cost per invocation (duration and request), $.
    pub cost_per_invocation: f64,
    /// Its average duration, ms.
    pub duration_ms: f64,
}

/// One configuration's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// What was measured.
    pub configuration: Configuration,
    /// Requests per second one environment held.
    pub throughput: f64,
    /// Its 95% interval: by Little's law (a closed loop of `concurrency` clients holds
    /// `concurrency / mean latency`), the measured throughput scaled by the bootstrap interval of
    /// the mean latency at the client.
    pub throughput_interval: Option<Interval>,
    /// The throughput over that of concurrency 1 of the same memory and ratio, when measured.
    pub speedup: Option<f64>,
    /// Median and 99th percentile of the REPORT durations, ms.
    pub duration_p50_ms: Option<f64>,
    /// See `duration_p50_ms`.
    pub duration_p99_ms: Option<f64>,
    /// Median time at the client, ms.
    pub latency_p50_ms: Option<f64>,
    /// The budget's statistic of the durations, ms, when there is a budget.
    pub budget_statistic_ms: Option<f64>,
    /// Whether the budget holds (`None` without a budget).
    pub within_budget: Option<bool>,
    /// One environment's price.
    pub price: EnvironmentPrice,
    /// Cost per million requests with every environment busy, $.
    pub cost_per_million: Option<f64>,
    /// A month at the input's traffic, $, when it gives one.
    pub monthly_cost: Option<f64>,
    /// Requests counted, failed and throttled.
    pub completed: u64,
    /// See `completed`.
    pub errors: u64,
    /// See `completed`.
    pub throttled: u64,
    /// The first error, when one happened: the configuration is out of the running.
    pub first_error: Option<String>,
}

/// One point of the monthly cost chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostPoint {
    /// Requests per month.
    pub traffic: f64,
    /// The recommended LMI configuration's monthly cost, $.
    pub managed: f64,
    /// On-demand Lambda's, $.
    pub on_demand: f64,
}

/// The result of an LMI tuning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedResult {
    /// A row per configuration, in the order measured.
    pub rows: Vec<Row>,
    /// The recommended row's index.
    pub recommended: Option<usize>,
    /// Why that one (or why none).
    pub why: String,
    /// The latency budget, when the input gives one.
    pub budget: Option<Budget>,
    /// The traffic the costs are for, requests per month, when the input gives one.
    pub monthly_requests: Option<u64>,
    /// On-demand Lambda at powertune's recommendation for the same function.
    pub on_demand: Option<OnDemand>,
    /// The traffic from which LMI, in the configuration that gets there first, costs less than
    /// on-demand, requests per month (`None`: no configuration ever does, or there is nothing
    /// to compare).
    pub break_even_per_month: Option<f64>,
    /// That configuration's row (it may differ from the recommendation at the input's traffic).
    pub break_even_row: Option<usize>,
    /// Monthly costs against traffic, for the chart: LMI in its cheapest configuration at each
    /// traffic (among those within the budget), and on-demand.
    pub curve: Vec<CostPoint>,
    /// What the reader must know (left-out configurations, prices).
    pub warnings: Vec<String>,
}

/// The analysis's inputs besides the loads.
pub struct Context<'a> {
    /// The LMI fields of the input.
    pub input: &'a ManagedInstances,
    /// `maxDuration`.
    pub budget: Option<Budget>,
    /// `monthlyInvocations`.
    pub monthly_requests: Option<u64>,
    /// The function's architecture (the instance family's price).
    pub architecture: Architecture,
    /// On-demand Lambda's recommendation, when it was measured.
    pub on_demand: Option<OnDemand>,
    /// The region's instance prices, when an AWS run read them (else the bundled table's).
    pub instance_prices: Option<&'a InstancePrices>,
}

impl Row {
    /// Environments a month of `traffic` requests needs at this row's throughput.
    fn environments(&self, traffic: f64) -> f64 {
        let needed = (traffic / (self.throughput * SECONDS_PER_MONTH)).ceil();
        needed.max(f64::from(MIN_ENVIRONMENTS))
    }

    /// A month of `traffic` requests on this configuration, $.
    pub fn monthly(&self, traffic: f64) -> f64 {
        self.environments(traffic) * self.price.hourly * HOURS_PER_MONTH + traffic * REQUEST_PRICE
    }

    /// Its cost (a month of `traffic`, or per million requests with its environments busy) at a
    /// throughput of `throughput`.
    fn cost_at(&self, throughput: f64, traffic: Option<f64>) -> f64 {
        let at = Row {
            throughput,
            ..self.clone()
        };
        match traffic {
            Some(t) => at.monthly(t),
            None => (self.price.hourly / (throughput * 3600.0) + REQUEST_PRICE) * 1e6,
        }
    }

    /// The cost at the ends of the throughput's interval (low, high), or the cost itself twice.
    fn cost_bounds(&self, traffic: Option<f64>) -> (f64, f64) {
        match self.throughput_interval {
            Some(i) => (self.cost_at(i.high, traffic), self.cost_at(i.low, traffic)),
            None => {
                let c = self.cost_at(self.throughput, traffic);
                (c, c)
            }
        }
    }

    /// Whether it ran without errors and held some throughput.
    fn usable(&self) -> bool {
        self.errors == 0 && self.throughput > 0.0 && self.first_error.is_none()
    }

    /// Whether it can be recommended: usable, and within the budget when there is one.
    pub fn candidate(&self) -> bool {
        self.usable() && self.within_budget != Some(false)
    }
}

/// Builds the rows, the recommendation and the comparison.
pub fn analyze(loads: &[(Configuration, Load)], cx: &Context<'_>) -> ManagedResult {
    let mut rows: Vec<Row> = loads.iter().map(|(c, l)| row(c, l, cx)).collect();
    for i in 0..rows.len() {
        let base = rows.iter().find(|r| {
            r.configuration.shape() == rows[i].configuration.shape()
                && r.configuration.concurrency == 1
                && r.throughput > 0.0
        });
        rows[i].speedup = base.map(|b| rows[i].throughput / b.throughput);
    }
    let (recommended, why) = recommend(&rows, cx);
    let on_demand = cx.on_demand;
    // The comparison is with LMI at its best at each traffic: every configuration that could
    // be recommended (it ran without errors, within the budget).
    let candidates: Vec<&Row> = rows.iter().filter(|r| r.candidate()).collect();
    let first_break_even = on_demand.and_then(|od| {
        (0..rows.len())
            .filter(|&i| rows[i].candidate())
            .filter_map(|i| break_even(&rows[i], od.cost_per_invocation).map(|t| (t, i)))
            // Equal break-evens (the same environment price): the recommendation's, else the
            // one that holds the most.
            .min_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then((recommended == Some(b.1)).cmp(&(recommended == Some(a.1))))
                    .then(rows[b.1].throughput.total_cmp(&rows[a.1].throughput))
            })
    });
    let curve = match on_demand {
        Some(od) if !candidates.is_empty() => curve(
            &candidates,
            od,
            first_break_even.map(|(t, _)| t),
            cx.monthly_requests,
        ),
        _ => Vec::new(),
    };
    ManagedResult {
        rows,
        recommended,
        why,
        budget: cx.budget,
        monthly_requests: cx.monthly_requests,
        on_demand,
        break_even_per_month: first_break_even.map(|(t, _)| t),
        break_even_row: first_break_even.map(|(_, i)| i),
        curve,
        warnings: Vec::new(),
    }
}

fn row(configuration: &Configuration, load: &Load, cx: &Context<'_>) -> Row {
    let throughput = if load.seconds > 0.0 {
        load.completed as f64 / load.seconds
    } else {
        0.0
    };
    let price = environment_price(
        configuration.vcpus(),
        configuration.gib_per_vcpu,
        cx.architecture,
        cx.input.savings_plan_discount,
        cx.input.vcpu_hour_price,
        cx.instance_prices,
    );
    let budget_statistic = cx
        .budget
        .and_then(|b| b.estimate(&load.durations_ms, 0.0))
        .map(|e| e.value);
    let mean_latency = if load.latencies_ms.is_empty() {
        0.0
    } else {
        load.latencies_ms.iter().sum::<f64>() / load.latencies_ms.len() as f64
    };
    let throughput_interval = trimmed_mean_interval(&load.latencies_ms, 0.0)
        .filter(|i| i.low > 0.0 && throughput > 0.0)
        .map(|i| Interval {
            low: throughput * mean_latency / i.high,
            high: throughput * mean_latency / i.low,
        });
    let mut row = Row {
        configuration: *configuration,
        throughput,
        throughput_interval,
        speedup: None,
        duration_p50_ms: percentile(&load.durations_ms, 0.5),
        duration_p99_ms: percentile(&load.durations_ms, 0.99),
        latency_p50_ms: percentile(&load.latencies_ms, 0.5),
        budget_statistic_ms: budget_statistic,
        within_budget: cx
            .budget
            .map(|b| budget_statistic.is_some_and(|v| v <= b.ms)),
        price,
        cost_per_million: None,
        monthly_cost: None,
        completed: load.completed,
        errors: load.errors,
        throttled: load.throttled,
        first_error: load.first_error.clone(),
    };
    if throughput > 0.0 {
        row.cost_per_million = Some(row.cost_at(throughput, None));
        row.monthly_cost = cx.monthly_requests.map(|t| row.monthly(t as f64));
    }
    row
}

/// The cheapest usable configuration within the budget: at the input's traffic when it gives
/// one (the floor of [`MIN_ENVIRONMENTS`] counts), else per million requests with every
/// environment busy; among those the measurements cannot tell apart from the cheapest, the one
/// with the highest throughput (without a budget: of those within [`NEAR_TIE`] of the lowest
/// median duration).
fn recommend(rows: &[Row], cx: &Context<'_>) -> (Option<usize>, String) {
    let usable: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].usable()).collect();
    if usable.is_empty() {
        return (
            None,
            "No configuration ran without errors: there is nothing to recommend.".to_string(),
        );
    }
    let within: Vec<usize> = usable
        .iter()
        .copied()
        .filter(|&i| rows[i].within_budget != Some(false))
        .collect();
    if within.is_empty() {
        let closest = usable
            .iter()
            .copied()
            .min_by(|&a, &b| {
                let v = |i: usize| rows[i].budget_statistic_ms.unwrap_or(f64::INFINITY);
                v(a).total_cmp(&v(b))
            })
            .map(|i| rows[i].configuration.to_string())
            .unwrap_or_default();
        let budget = cx.budget.map(|b| b.to_string()).unwrap_or_default();
        return (
            None,
            format!("No configuration meets the budget ({budget}); the closest is {closest}."),
        );
    }
    let cost = |i: usize| match cx.monthly_requests {
        Some(t) => rows[i].monthly(t as f64),
        None => rows[i].cost_per_million.unwrap_or(f64::INFINITY),
    };
    // Throughput measured over a few seconds is uncertain: the configurations whose cost cannot
    // be told apart from the cheapest's (their intervals overlap the lowest upper end) are all
    // candidates, and among them the fast ones are the ones to run, not the one a few requests
    // cheaper (on a saturated environment more concurrency queues requests: the same
    // throughput at a multiple of the latency).
    let traffic = cx.monthly_requests.map(|t| t as f64);
    let cheapest_high = within
        .iter()
        .map(|&i| rows[i].cost_bounds(traffic).1)
        .fold(f64::INFINITY, f64::min);
    let near: Vec<usize> = within
        .iter()
        .copied()
        .filter(|&i| rows[i].cost_bounds(traffic).0 <= cheapest_high)
        .collect();
    // Of those, the ones as fast as the fastest (within NEAR_TIE of its median duration), and of
    // these the one that holds the most: headroom for more traffic at no more cost.
    // With a budget, every candidate is fast enough: the budget says what latency is
    // acceptable, and the one that holds the most has the most headroom.
    let p50 = |i: usize| rows[i].duration_p50_ms.unwrap_or(f64::INFINITY);
    let fastest = near.iter().map(|&i| p50(i)).fold(f64::INFINITY, f64::min);
    let best = near
        .iter()
        .copied()
        .filter(|&i| cx.budget.is_some() || p50(i) <= fastest * (1.0 + NEAR_TIE))
        .max_by(|&a, &b| {
            rows[a]
                .throughput
                .total_cmp(&rows[b].throughput)
                .then(cost(b).total_cmp(&cost(a)))
        });
    let Some(best) = best else {
        return (None, String::new());
    };
    let r = &rows[best];
    let cost_text = match cx.monthly_requests {
        Some(t) => format!(
            "${:.2} a month at {} requests ({} environments)",
            r.monthly(t as f64),
            group(t),
            r.environments(t as f64)
        ),
        None => format!(
            "${:.4} per million requests with its environments busy",
            r.cost_per_million.unwrap_or_default()
        ),
    };
    let mut why = format!(
        "{}: {cost_text}; one environment held {:.1} requests per second.",
        r.configuration, r.throughput
    );
    if let Some(b) = cx.budget {
        let _ = write!(
            why,
            " {} of the {} configurations {} the budget ({b}).",
            within.len(),
            rows.len(),
            if within.len() == 1 { "meets" } else { "meet" }
        );
    }
    if near.len() > 1 {
        let _ = write!(
            why,
            " {} {} cannot be told apart from the cheapest (95% intervals of their throughput); this one holds the most of those{}.",
            near.len(),
            if cx.budget.is_some() { "of these" } else { "configurations" },
            if cx.budget.is_some() { "" } else { " as fast as the fastest" },
        );
    } else if within.len() > 1 {
        why.push_str(" It is the cheapest beyond the 95% intervals of the throughputs.");
    }
    (Some(best), why)
}

/// The monthly traffic from which `row` costs less than on-demand at `on_demand_per_invocation`:
/// with `k` the traffic whose saving over on-demand pays one environment's month
/// (`hourly x 730 / (on-demand - request price)`), LMI is cheaper from `3 x k` if an environment
/// holds at least `k` a month, and never otherwise (each environment then costs more than the
/// on-demand invocations it would replace). Right after an environment is added the month can
/// again be dearer than on-demand for a while: the chart shows those steps.
pub fn break_even(row: &Row, on_demand_per_invocation: f64) -> Option<f64> {
    let saving = on_demand_per_invocation - REQUEST_PRICE;
    if saving <= 0.0 || row.throughput <= 0.0 {
        return None;
    }
    let k = row.price.hourly * HOURS_PER_MONTH / saving;
    let capacity = row.throughput * SECONDS_PER_MONTH;
    (k <= capacity).then_some(f64::from(MIN_ENVIRONMENTS) * k)
}

/// The chart's points: ten a decade from 10^4 to 10^10 requests a month, and the break-even
/// and the input's traffic; LMI's is the cheapest of `rows` at each.
fn curve(
    rows: &[&Row],
    od: OnDemand,
    break_even: Option<f64>,
    traffic: Option<u64>,
) -> Vec<CostPoint> {
    let mut xs: Vec<f64> = (40..=100)
        .map(|i| 10f64.powf(f64::from(i) / 10.0))
        .collect();
    xs.extend(break_even);
    xs.extend(traffic.map(|t| t as f64));
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs.into_iter()
        .map(|t| CostPoint {
            traffic: t,
            managed: rows
                .iter()
                .map(|r| r.monthly(t))
                .fold(f64::INFINITY, f64::min),
            on_demand: t * od.cost_per_invocation,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thinned_load_keeps_its_counts_and_its_quantiles() {
        // 1000 durations, every 4th request slow.
        let durations: Vec<f64> = (0..1000)
            .map(|i| {
                if i % 4 == 3 {
                    40.0 + f64::from(i) / 1000.0
                } else {
                    10.0 + f64::from(i) / 1000.0
                }
            })
            .collect();
        let load = Load {
            seconds: 2.0,
            completed: 1000,
            durations_ms: durations.clone(),
            latencies_ms: (0..1000).map(|i| f64::from(i) + 0.123_456).collect(),
            ..Load::default()
        };
        let kept = load.clone().thinned(201);
        assert_eq!((kept.completed, kept.seconds), (1000, 2.0));
        assert_eq!(kept.durations_ms.len(), 201);
        // The extremes and the quantiles between them.
        let (all, some) = (
            percentile(&durations, 0.99),
            percentile(&kept.durations_ms, 0.99),
        );
        assert!(
            (all.unwrap() - some.unwrap()).abs() < 0.05,
            "{all:?} {some:?}"
        );
        let (all, some) = (
            percentile(&durations, 0.5),
            percentile(&kept.durations_ms, 0.5),
        );
        assert!(
            (all.unwrap() - some.unwrap()).abs() < 0.05,
            "{all:?} {some:?}"
        );
        // Three in four requests are fast: the median is a fast one's.
        assert!(some.unwrap() < 20.0);
        assert_eq!(
            kept.durations_ms.first(),
            durations.iter().min_by(|a, b| a.total_cmp(b))
        );
        assert_eq!(kept.latencies_ms.len(), 201);
        assert_eq!(kept.latencies_ms[0], 0.123);
        assert_eq!(kept.latencies_ms[200], 999.123);
        // Under the bound nothing changes.
        assert_eq!(load.clone().thinned(1000).durations_ms, load.durations_ms);
    }
    use crate::budget::Statistic;

    fn config(memory_mb: u32, gib_per_vcpu: f64, concurrency: u32) -> Configuration {
        Configuration {
            memory_mb,
            gib_per_vcpu,
            concurrency,
        }
    }

    /// `completed` requests in `seconds`, each `ms` long, seen at the client within ±20% of it.
    fn load(seconds: f64, completed: u64, ms: f64) -> Load {
        Load {
            seconds,
            completed,
            durations_ms: vec![ms; completed as usize],
            latencies_ms: (0..completed)
                .map(|i| (ms + 1.0) * (0.8 + 0.4 * (i % 11) as f64 / 10.0))
                .collect(),
            ..Load::default()
        }
    }

    fn cx<'a>(
        input: &'a ManagedInstances,
        budget: Option<Budget>,
        od: Option<OnDemand>,
    ) -> Context<'a> {
        Context {
            input,
            budget,
            monthly_requests: None,
            architecture: Architecture::X86_64,
            on_demand: od,
            instance_prices: None,
        }
    }

    #[test]
    fn throughput_cost_and_speedup_come_from_the_load() {
        let input = ManagedInstances::default();
        let loads = vec![
            (config(2048, 2.0, 1), load(2.0, 20, 100.0)),
            (config(2048, 2.0, 4), load(2.0, 78, 102.0)),
        ];
        let r = analyze(&loads, &cx(&input, None, None));
        assert_eq!(r.rows[0].throughput, 10.0);
        assert_eq!(r.rows[1].speedup, Some(3.9));
        // One vCPU of a c7i.large plus the fee, over 10 requests a second, plus $0.20.
        let hourly = 0.08925 / 2.0 * 1.15;
        let expected = (hourly / 36_000.0 + 0.2e-6) * 1e6;
        assert!((r.rows[0].cost_per_million.unwrap() - expected).abs() < 1e-9);
        assert_eq!(r.recommended, Some(1), "{}", r.why);
        assert!(r.why.contains("concurrency 4"), "{}", r.why);
        // Percentiles of what varies: durations 1..=100 ms.
        let mut spread = load(1.0, 100, 0.0);
        spread.durations_ms = (1..=100).map(f64::from).collect();
        let r = analyze(&[(config(2048, 2.0, 1), spread)], &cx(&input, None, None));
        assert_eq!(r.rows[0].duration_p50_ms, Some(50.5));
        assert!((r.rows[0].duration_p99_ms.unwrap() - 99.01).abs() < 1e-9);
    }

    #[test]
    fn near_ties_go_to_the_fastest() {
        let input = ManagedInstances::default();
        // A saturated environment: twice the concurrency, 2% more throughput, twice the latency.
        let loads = vec![
            (config(2048, 2.0, 2), load(1.0, 100, 40.0)),
            (config(2048, 2.0, 4), load(1.0, 102, 80.0)),
            (config(2048, 2.0, 1), load(1.0, 80, 38.0)),
        ];
        let r = analyze(&loads, &cx(&input, None, None));
        assert_eq!(r.recommended, Some(0), "{}", r.why);
        assert!(
            r.why
                .contains("2 configurations cannot be told apart from the cheapest"),
            "{}",
            r.why
        );
        // The interval: the throughput scaled by the mean latency's bootstrap interval.
        let i = r.rows[0].throughput_interval.unwrap();
        assert!(
            i.low < 100.0 && 100.0 < i.high && i.high - i.low < 10.0,
            "{i:?}"
        );
        // Measured without noise, 2% apart is apart: the cheaper one is the pick.
        let mut exact = loads.clone();
        for (_, l) in &mut exact {
            l.latencies_ms = vec![50.0; l.completed as usize];
        }
        let r = analyze(&exact, &cx(&input, None, None));
        assert_eq!(r.recommended, Some(1), "{}", r.why);
        assert!(r.why.contains("It is the cheapest beyond"), "{}", r.why);
        assert!(
            r.why
                .contains("per million requests with its environments busy"),
            "{}",
            r.why
        );
        // An I/O-bound function at the floor of three environments: every concurrency costs the
        // same a month and takes as long; the one that holds the most is the pick.
        let io = vec![
            (config(2048, 2.0, 1), load(1.0, 10, 100.0)),
            (config(2048, 2.0, 8), load(1.0, 80, 101.0)),
            (config(2048, 2.0, 4), load(1.0, 40, 100.5)),
        ];
        let mut c = cx(&input, None, None);
        c.monthly_requests = Some(1_000_000);
        let r = analyze(&io, &c);
        assert_eq!(r.recommended, Some(1), "{}", r.why);
        // At the floor a CPU-bound function's concurrencies cost the same; without a budget the
        // fastest is the pick, with one any within it is fast enough and the one that holds the
        // most is.
        let cpu = vec![
            (config(2048, 2.0, 1), load(1.0, 200, 2.3)),
            (config(2048, 2.0, 4), load(1.0, 470, 3.7)),
        ];
        assert_eq!(analyze(&cpu, &c).recommended, Some(0));
        c.budget = Some(Budget {
            statistic: Statistic::P95,
            ms: 100.0,
        });
        assert_eq!(analyze(&cpu, &c).recommended, Some(1));
    }

    #[test]
    fn the_budget_narrows_and_errors_rule_out() {
        let input = ManagedInstances::default();
        let budget = Budget {
            statistic: Statistic::P95,
            ms: 150.0,
        };
        let mut failing = load(2.0, 400, 50.0);
        failing.errors = 1;
        failing.first_error = Some("Runtime.OutOfMemory".into());
        let loads = vec![
            (config(2048, 2.0, 1), load(2.0, 20, 100.0)),
            // Twice the throughput but over the budget.
            (config(2048, 2.0, 8), load(2.0, 40, 400.0)),
            (config(2048, 2.0, 16), failing),
        ];
        let r = analyze(&loads, &cx(&input, Some(budget), None));
        assert_eq!(r.rows[1].within_budget, Some(false));
        assert_eq!(r.recommended, Some(0), "{}", r.why);
        assert!(
            r.why
                .contains("1 of the 3 configurations meets the budget (p95 ≤ 150 ms)"),
            "{}",
            r.why
        );
        let over = vec![(config(2048, 2.0, 8), load(2.0, 40, 400.0))];
        let r = analyze(&over, &cx(&input, Some(budget), None));
        assert_eq!(r.recommended, None);
        assert!(
            r.why
                .starts_with("No configuration meets the budget (p95 ≤ 150 ms)"),
            "{}",
            r.why
        );
    }

    #[test]
    fn traffic_counts_the_three_environment_floor() {
        let input = ManagedInstances::default();
        // A small environment with little throughput against a big one with much more: at a
        // small traffic the floor of three environments makes the small one cheaper.
        let loads = vec![
            (config(2048, 2.0, 4), load(1.0, 40, 100.0)),
            (config(8192, 2.0, 16), load(1.0, 170, 100.0)),
        ];
        let mut c = cx(&input, None, None);
        assert_eq!(analyze(&loads, &c).recommended, Some(1));
        c.monthly_requests = Some(1_000_000);
        let r = analyze(&loads, &c);
        assert_eq!(r.recommended, Some(0), "{}", r.why);
        assert!(
            r.why
                .contains("a month at 1,000,000 requests (3 environments)"),
            "{}",
            r.why
        );
        let month = 3.0 * r.rows[0].price.hourly * 730.0 + 0.2;
        assert!((r.rows[0].monthly_cost.unwrap() - month).abs() < 1e-9);
    }

    #[test]
    fn break_even_is_where_the_lines_cross() {
        let input = ManagedInstances::default();
        let od = OnDemand {
            power_mb: 1024,
            cost_per_invocation: 2.0e-6,
            duration_ms: 100.0,
        };
        let loads = vec![(config(2048, 2.0, 8), load(1.0, 80, 100.0))];
        let r = analyze(&loads, &cx(&input, None, Some(od)));
        let t = r
            .break_even_per_month
            .expect("LMI is cheaper at full use here");
        let row = &r.rows[0];
        assert!((row.monthly(t) - t * od.cost_per_invocation).abs() < 1e-6 * t);
        assert!(row.monthly(t * 0.9) > t * 0.9 * od.cost_per_invocation);
        assert!(row.monthly(t * 1.1) < t * 1.1 * od.cost_per_invocation);
        assert!(r.curve.iter().any(|p| p.traffic == t));
        // At a small traffic the floor makes concurrency 1 the pick (as fast, as cheap a month),
        // but only concurrency 8 ever beats on-demand: the break-even is its, and says so.
        let two = vec![
            (config(2048, 2.0, 1), load(1.0, 5, 90.0)),
            (config(2048, 2.0, 8), load(1.0, 80, 100.0)),
        ];
        let mut c = cx(&input, None, Some(od));
        c.monthly_requests = Some(1_000_000);
        let r = analyze(&two, &c);
        assert_eq!(r.recommended, Some(0), "{}", r.why);
        assert_eq!(break_even(&r.rows[0], od.cost_per_invocation), None);
        assert_eq!(r.break_even_row, Some(1));
        assert!(r.break_even_per_month.is_some());
        // The curve is LMI at its cheapest at each traffic.
        let far = r.curve.last().unwrap();
        assert!((far.managed - r.rows[1].monthly(far.traffic)).abs() < 1e-6);
        // An environment that holds too little never pays for itself.
        let slow = vec![(config(2048, 2.0, 1), load(1.0, 1, 1000.0))];
        let r = analyze(&slow, &cx(&input, None, Some(od)));
        assert_eq!(r.break_even_per_month, None);
        let last = r.curve.last().unwrap();
        assert!(last.managed > last.on_demand);
    }
}
