//! Every sentence that says why: the decision (why the pick won, what is undecided and what
//! would tell, the budget's verdict, what the cold-start rate does), why adaptive sampling
//! stopped, why a power value stopped, and the warm-up found. The types they describe live
//! where they are computed; their words live here, so that a report reads in one voice and a
//! wording is changed in one place.

use crate::blend::{percent, BlendOutcome};
use crate::budget::{BudgetOutcome, Verdict};
use crate::decision::{Decision, Measured, Question, Rule, Ties, TIE_MARGIN};
use crate::input::ExecutionInput;
use crate::output::SamplingSummary;
use crate::power::{PowerStats, StopReason};
use crate::stats::Ratio;
use crate::strategy::{Candidate, Strategy};
use crate::warm_up::Detected;

impl BudgetOutcome {
    /// One sentence for the decision.
    pub fn sentence(&self, power: u32) -> String {
        let e = &self.estimate;
        let stat = self.budget.statistic.as_str();
        let interval = format!("95% interval {:.1}–{:.1} ms", e.low, e.high);
        match self.verdict {
            Verdict::Meets => format!(
                "Budget {}: {power} MB meets it ({stat} {:.1} ms, {interval}).",
                self.budget, e.value
            ),
            Verdict::Borderline => format!(
                "Budget {}: {power} MB is borderline ({stat} {:.1} ms, but the {interval} crosses the limit; more invocations would tell).",
                self.budget, e.value
            ),
            Verdict::None => format!(
                "Budget {}: no power value meets it; {power} MB is the fastest ({stat} {:.1} ms, {interval}).",
                self.budget, e.value
            ),
        }
    }
}

impl BlendOutcome {
    /// One sentence: the rate, and what another rate would change.
    pub fn sentence(&self, strategy: Strategy, power: u32) -> String {
        let pct = percent;
        let better = match strategy {
            Strategy::Speed => "faster",
            _ => "cheaper",
        };
        let change = match self.crossing {
            Some(c) if c.above => format!(
                "from {} cold starts up, {} MB is {better} than {power} MB",
                pct(c.rate),
                c.power
            ),
            Some(c) => format!(
                "below {} cold starts, {} MB is {better} than {power} MB",
                pct(c.rate),
                c.power
            ),
            None if strategy == Strategy::Balanced => {
                "the balanced strategy's crossing rates are not computed".to_string()
            }
            None => "no rate from 0 to 100% changes the recommendation".to_string(),
        };
        let how = match &self.measured {
            Some(m) => format!("read from the function's logs: {}", m.source()),
            None => "warm and cold invocations blended".to_string(),
        };
        format!(
            "At {} cold starts ({how}), {power} MB; {change}.",
            pct(self.rate)
        )
    }
}

impl SamplingSummary {
    /// One sentence for the reports: how much was invoked, in how many rounds, and why it
    /// stopped.
    pub fn sentence(&self) -> String {
        let rounds = self.rounds.len();
        format!(
            "Adaptive sampling: {} invocations of up to {} in {rounds} round{}. {}",
            self.invocations,
            self.cap,
            if rounds == 1 { "" } else { "s" },
            self.reason
        )
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::OutOfRunning { after, why } => {
                write!(f, "out of the running after {after} invocations: {why}")
            }
            StopReason::Settled { after } => {
                write!(f, "the decision was settled after {after} invocations")
            }
            StopReason::ReachedNum { num } => {
                write!(f, "reached \"num\" ({num}) before the decision was settled")
            }
            StopReason::NothingToRecommend => {
                write!(f, "no power value has a result to recommend")
            }
            StopReason::Failed { after } => {
                write!(f, "failed in the round after {after} invocations")
            }
        }
    }
}

impl Detected {
    /// One sentence for the reports.
    pub fn sentence(&self) -> String {
        let which = if self.per_environment == 1 {
            "the first warm invocation".to_string()
        } else {
            format!("the first {} warm invocations", self.per_environment)
        };
        let p = if self.p_value < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {:.3}", self.p_value)
        };
        format!(
            "Warm-up: after each cold start, {which} ran slower than the environment's later ones (at {} of {} power values the first was slower than all of its later half, {p}; it took {:.1}–{:.1}x their median). They are kept apart from the averages, as cold starts are.",
            self.slower, self.environments, self.ratio.0, self.ratio.1
        )
    }
}

/// "1.02x".
fn times(x: f64) -> String {
    format!("{x:.2}x")
}

/// The sentence on why the pick, with the evidence: what is as good as the best and how sure
/// that is, which tie rule chose, and what is still undecided. With a budget, `measured` holds
/// only the power values within it as usable, as the rule decided.
pub(crate) fn explain(
    rule: &Rule,
    measured: &[Measured],
    sorted: &[PowerStats],
    decision: &Decision,
    ties: &Ties,
) -> String {
    let candidates: Vec<Candidate> = measured.iter().map(|m| m.candidate).collect();
    let usable: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].usable())
        .collect();
    let mb = |i: usize| sorted[i].value;
    let n = |i: usize| measured[i].samples.as_ref().map_or(0, |s| s.costs.len());
    // "1.02–1.09x as much (95% bootstrap interval, n = 9 and 9)".
    let evidence = |i: usize, r: &Ratio, compared: &str| {
        format!(
            "{:.2}–{} {compared} (95% bootstrap interval, n = {} and {})",
            r.low,
            times(r.high),
            n(i),
            n(decision.best)
        )
    };
    let (p, best) = (mb(decision.pick), mb(decision.best));
    let (superlative, compared, other) = match rule.strategy {
        Strategy::Cost => ("is the cheapest", "as much", "fastest"),
        Strategy::Speed => ("is the fastest", "as long", "cheapest"),
        Strategy::Balanced => ("has the best balance", "as much", "best scored"),
    };
    let verb = match rule.strategy {
        Strategy::Cost => "costs",
        Strategy::Speed => "lasts",
        Strategy::Balanced => "scores",
    };
    let margin = 100.0 * TIE_MARGIN;
    let mut sentence = if ties.equivalent.len() == 1 {
        let others = if decision.budget.is_some() {
            " of those within the budget"
        } else {
            ""
        };
        // The nearest other power value on the strategy's measure.
        let nearest = ties
            .ratios
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (i, r)))
            .min_by(|a, b| a.1.estimate.total_cmp(&b.1.estimate));
        match nearest {
            // With undecided power values, their intervals follow.
            _ if !decision.undecided.is_empty() => {
                format!("{p} MB {superlative}{others} by its average.")
            }
            Some((i, r)) => {
                let beyond = if r.low > 1.0 + TIE_MARGIN {
                    format!(", beyond the {margin:.0}% margin")
                } else {
                    String::new()
                };
                format!(
                    "{p} MB {superlative}{others}: the nearest, {} MB, {verb} {}{beyond}.",
                    mb(i),
                    evidence(i, &r, compared)
                )
            }
            None => format!("{p} MB {superlative}: no other power value had a result to compare."),
        }
    } else {
        let names = power_list(sorted, &usable, &ties.equivalent);
        let (alike, furthest) = match rule.strategy {
            Strategy::Cost => ("cost the same", "the dearest"),
            Strategy::Speed => ("are equally fast", "the slowest"),
            Strategy::Balanced => ("balance cost and speed the same", "the furthest"),
        };
        let shown = ties.ratios[ties.widest]
            .map(|r| {
                format!(
                    ": {} MB, {furthest} of them, {verb} {}",
                    mb(ties.widest),
                    evidence(ties.widest, &r, &format!("{compared} as {best} MB"))
                )
            })
            .unwrap_or_default();
        format!("{names} MB {alike} within {margin:.0}%{shown}; {p} MB is the {other} of them.")
    };
    if let Some(undecided) = undecided_sentence(rule, decision, measured, sorted) {
        sentence.push(' ');
        sentence.push_str(&undecided);
    }
    sentence
}

/// What is still open, and the `num` that would likely close it; `None` when nothing is.
pub(crate) fn undecided_sentence(
    rule: &Rule,
    decision: &Decision,
    measured: &[Measured],
    sorted: &[PowerStats],
) -> Option<String> {
    if decision.undecided.is_empty() {
        return None;
    }
    let measure = match rule.strategy {
        Strategy::Cost => "cost",
        Strategy::Speed => "duration",
        Strategy::Balanced => "score",
    };
    let best = sorted[decision.best].value;
    let n = |i: usize| measured[i].samples.as_ref().map_or(0, |s| s.costs.len());
    let margins: Vec<String> = decision
        .undecided
        .iter()
        .filter_map(|u| match &u.question {
            Question::Margin(r) => Some(format!(
                "{} MB ({:.2}–{})",
                sorted[u.index].value,
                r.low,
                times(r.high)
            )),
            Question::Budget(_) => None,
        })
        .collect();
    let budgets: Vec<String> = decision
        .undecided
        .iter()
        .filter_map(|u| match &u.question {
            Question::Budget(e) => Some(format!(
                "{} MB ({:.1}–{:.1} ms)",
                sorted[u.index].value, e.low, e.high
            )),
            Question::Margin(_) => None,
        })
        .collect();
    let mut open = Vec::new();
    if !margins.is_empty() {
        let counts: Vec<usize> = decision.undecided.iter().map(|u| n(u.index)).collect();
        let each = if counts.iter().all(|&c| c == n(decision.best)) {
            format!("n = {} each", n(decision.best))
        } else {
            format!("n = {} for {best} MB", n(decision.best))
        };
        let each_one = if margins.len() == 1 {
            "its"
        } else {
            "each one's"
        };
        open.push(format!(
            "whether {} would change the recommendation ({each_one} {measure} over {best} MB's, 95% bootstrap interval, {each})",
            join(&margins)
        ));
    }
    if !budgets.is_empty() {
        open.push(format!(
            "whether {} {} within the budget (95% interval)",
            join(&budgets),
            if budgets.len() == 1 { "is" } else { "are" }
        ));
    }
    let needed = decision
        .undecided
        .iter()
        .map(|u| u.needed)
        .try_fold(0, |most: u32, n| n.map(|n| most.max(n)));
    let would = match needed {
        Some(n) => format!("about {n} invocations per power value (\"num\") would likely tell, and adaptive sampling (--adaptive) invokes only the power values in question until it does"),
        None => "the difference seen is at the threshold itself, so no number of invocations may tell; either choice is as good".to_string(),
    };
    Some(format!(
        "Undecided: the samples cannot yet tell {}; {would}.",
        open.join(", nor ")
    ))
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `128–1024` when `chosen` are consecutive among the usable power values, else
/// `128, 512 and 1024`.
pub(crate) fn power_list(sorted: &[PowerStats], usable: &[usize], chosen: &[usize]) -> String {
    let values: Vec<u32> = chosen.iter().map(|&i| sorted[i].value).collect();
    let positions: Vec<usize> = chosen
        .iter()
        .filter_map(|i| usable.iter().position(|u| u == i))
        .collect();
    let consecutive = positions.windows(2).all(|w| w[1] == w[0] + 1);
    match values.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if consecutive && values.len() > 2 => format!("{first}–{last}"),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The decision in words: the budget's verdict first, then why the pick won its ties (among the
/// power values within the budget), then what the cold-start rate does.
pub(crate) fn decision_sentence(
    rule: &Rule,
    measured: &[Measured],
    sorted: &[PowerStats],
    decision: &Decision,
    blend: Option<&BlendOutcome>,
    input: &ExecutionInput,
) -> Option<String> {
    let best = sorted[decision.pick].value;
    let decided: Vec<Measured> = measured
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.candidate.succeeded &= !decision.over_budget(m.candidate.power);
            m
        })
        .collect();
    let explained = match &decision.ties {
        Some(ties) => Some(explain(rule, &decided, sorted, decision, ties)),
        None => undecided_sentence(rule, decision, &decided, sorted),
    };
    let explained = match (&decision.budget, explained) {
        (Some(b), Some(e)) if b.verdict != Verdict::None => {
            Some(format!("{} {e}", b.sentence(best)))
        }
        (Some(b), _) => Some(b.sentence(best)),
        (None, e) => e,
    };
    match (blend, explained) {
        (Some(b), Some(e)) => Some(format!("{e} {}", b.sentence(input.strategy, best))),
        (Some(b), None) => Some(b.sentence(input.strategy, best)),
        (None, e) => e,
    }
}

/// A count with thousands separators: `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
