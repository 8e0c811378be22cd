//! Which power values a local round runs at once. Lambda's environments do not share CPU, and
//! the emulator's limits give each environment its own share (memory/1769 of a vCPU), so power
//! values whose shares fit the host's cores together can run together without slowing each
//! other down; one at a time, a run lasts as long as the sum of every power value's time, most
//! of it at the smallest sizes (128 MB gets 7% of a vCPU).

/// The share of the host's cores the power values running at once may use between them: the
/// rest is for the emulator, the steps, and the runtimes' own work between invocations. Half:
/// on 2 cores a budget of 1.5 ran the README's main command in 0.71 of the time but read the
/// 128/1769 MB ratio 10% low (1769 MB beside 128 and 512 MB) and moved the pick in 3 of 10
/// runs; with 1 the ratio is the one-at-a-time one (BENCHMARKS.md).
pub const HEADROOM: f64 = 0.5;

/// How a round's power values are run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// One power value at a time.
    OneAtATime,
    /// Power values at once while the sum of their vCPUs stays within this share of the
    /// host's cores.
    Shared {
        /// The share of the host's cores ([`HEADROOM`] by default).
        headroom: f64,
    },
}

impl Schedule {
    /// Shared within [`HEADROOM`] of the host's cores.
    pub fn shared() -> Schedule {
        Schedule::Shared { headroom: HEADROOM }
    }

    /// The position in `waiting` (power values not started yet, in the order they should
    /// start) of the next one to start, while `running` (their vCPUs) run. A power value whose
    /// share alone is over the budget starts when nothing else runs.
    pub fn next(&self, waiting: &[u32], running: &[f64], host_cores: usize) -> Option<usize> {
        if waiting.is_empty() {
            return None;
        }
        if running.is_empty() {
            return Some(0);
        }
        let Schedule::Shared { headroom } = self else {
            return None;
        };
        let budget = headroom * host_cores as f64;
        let used: f64 = running.iter().sum();
        waiting
            .iter()
            .position(|&m| used + share(m, host_cores) <= budget)
    }
}

/// The vCPUs the emulator gives an environment of `memory_mb`: Lambda's memory/1769, at most
/// the host's cores.
pub fn share(memory_mb: u32, host_cores: usize) -> f64 {
    powertune_emulator::vcpus(memory_mb, host_cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts power values as `schedule` allows, each running for `time(m)`, and gives the
    /// groups that ran together at the start of each one.
    fn simulate(schedule: Schedule, values: &[u32], cores: usize) -> (f64, f64) {
        let time = |m: u32| 1769.0 / f64::from(m).min(1769.0);
        let mut waiting = values.to_vec();
        let mut running: Vec<(u32, f64)> = Vec::new(); // (value, ends at)
        let (mut now, mut peak) = (0.0f64, 0.0f64);
        loop {
            let shares: Vec<f64> = running.iter().map(|r| share(r.0, cores)).collect();
            if let Some(i) = schedule.next(&waiting, &shares, cores) {
                let m = waiting.remove(i);
                running.push((m, now + time(m)));
                peak = peak.max(running.iter().map(|r| share(r.0, cores)).sum());
                continue;
            }
            let Some(first) = running
                .iter()
                .enumerate()
                .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
                .map(|(i, _)| i)
            else {
                return (now, peak);
            };
            now = running.remove(first).1;
        }
    }

    #[test]
    fn one_at_a_time_runs_each_alone() {
        let s = Schedule::OneAtATime;
        assert_eq!(s.next(&[128, 512], &[], 2), Some(0));
        assert_eq!(s.next(&[512], &[0.07], 2), None);
        let (time, peak) = simulate(s, &[128, 512, 1024, 1769, 3008], 2);
        assert!((peak - 1.7).abs() < 0.01, "{peak}");
        // 13.8 + 3.5 + 1.7 + 1 + 1 time units.
        assert!((time - 21.0).abs() < 0.1, "{time}");
    }

    #[test]
    fn shared_keeps_the_sum_of_shares_within_the_budget_and_saves_time() {
        let s = Schedule::shared();
        assert_eq!(s, Schedule::Shared { headroom: 0.5 });
        // On 2 cores: 128 MB (0.07) runs beside 1024 MB (0.58), but 1769 MB (1.0) and 3008 MB
        // (1.7) wait for an empty host.
        assert_eq!(s.next(&[1024], &[0.07], 2), Some(0));
        assert_eq!(s.next(&[1769, 512], &[0.07], 2), Some(1));
        assert_eq!(s.next(&[3008], &[0.07], 2), None);
        assert_eq!(s.next(&[3008], &[], 2), Some(0));
        // On 4 cores 1769 MB fits beside them.
        assert_eq!(s.next(&[1769], &[0.07, 0.58], 4), Some(0));
        let values = [128, 512, 1024, 1769, 3008];
        let (time, peak) = simulate(s, &values, 2);
        let (alone, _) = simulate(Schedule::OneAtATime, &values, 2);
        assert!(peak <= share(3008, 2) + 1e-9, "{peak}");
        // 128 MB's 13.8 units hide 512 and 1024 MB's; 1769 and 3008 MB run alone.
        assert!(time < 0.85 * alone, "{time} against {alone}");
    }

    #[test]
    fn shares_follow_lambda_and_the_host() {
        assert!((share(1769, 2) - 1.0).abs() < 1e-12);
        assert!((share(128, 2) - 128.0 / 1769.0).abs() < 1e-12);
        assert!((share(10240, 16) - 10240.0 / 1769.0).abs() < 1e-12);
        assert_eq!(share(10240, 2), 2.0);
    }
}
