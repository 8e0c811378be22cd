//! Lambda Managed Instances (LMI): a function's execution environments run on EC2 instances that
//! Lambda manages, each environment serving several requests at once. The knobs are the memory,
//! the memory per vCPU (`ExecutionEnvironmentMemoryGiBPerVCpu`) and the requests one
//! environment serves at once (`PerExecutionEnvironmentMaxConcurrency`); the bill is the
//! instances' hours (plus a management fee) and the requests, with no per-millisecond charge.
//!
//! This module holds what the documentation fixes (ranges, runtimes, defaults), the
//! configurations a run tries ([`Configuration`]), and [`analysis`]: what a sustained load on
//! one environment measured becomes (throughput, the budget's statistic, cost per million
//! requests, the recommendation and the break-even against on-demand Lambda). Prices are in
//! [`prices`].

pub mod analysis;
pub mod prices;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The smallest function LMI runs: "The minimum supported function size is 2GB and 1 vCPU"
/// (Lambda Developer Guide, "Best practices for Lambda Managed Instances").
pub const MIN_MEMORY_MB: u32 = 2048;
/// The largest: 32 GB and 16 vCPUs since March 2026 (announced with LMI's larger sizes; a
/// third-party write-up, itoverdose.com, "Lambda Managed Instances with Terraform").
pub const MAX_MEMORY_MB: u32 = 32768;
/// The most vCPUs an environment gets (as [`MAX_MEMORY_MB`]).
pub const MAX_VCPUS: u32 = 16;
/// `ExecutionEnvironmentMemoryGiBPerVCpu`'s range (Lambda API reference,
/// `LambdaManagedInstancesCapacityProviderConfig`: "Minimum value of 2.0. Maximum value of 8.0").
pub const GIB_PER_VCPU: (f64, f64) = (2.0, 8.0);
/// `PerExecutionEnvironmentMaxConcurrency`'s range (same page: 1 to 1600).
pub const CONCURRENCY: (u32, u32) = (1, 1600);
/// Environments Lambda starts for a version before it is Active, on three instances "for AZ
/// resiliency" (Lambda Developer Guide, "Scaling Lambda Managed Instances"): the fewest that a
/// function on LMI pays for, however little traffic it has.
pub const MIN_ENVIRONMENTS: u32 = 3;

/// The memory sizes tried when the input names none (MB): the smallest LMI runs and twice it.
pub const DEFAULT_MEMORY_MB: &[u32] = &[2048, 4096];
/// The memory per vCPU tried when the input names none (GiB): the compute and the general
/// purpose instance families' ratios.
pub const DEFAULT_GIB_PER_VCPU: &[f64] = &[2.0, 4.0];
/// The per-environment concurrencies tried when the input names none: doubling from 1, so the
/// table shows where throughput stops growing.
pub const DEFAULT_CONCURRENCIES: &[u32] = &[1, 2, 4, 8, 16];
/// How long each configuration is driven when the input does not say, seconds.
pub const DEFAULT_LOAD_SECONDS: f64 = 2.0;

/// Whether LMI runs `runtime`, from the Lambda Developer Guide, "Lambda Managed Instances
/// runtimes": Java 21+, Python 3.13+, Node.js 22+, .NET 8+, and the OS-only `provided.al2023`
/// (Rust). The error names what would run.
pub fn supports_runtime(runtime: &str) -> Result<(), String> {
    let at_least = |prefix: &str, suffix: &str, min: u32| {
        runtime
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(suffix))
            .and_then(|v| v.parse::<u32>().ok())
            .map(|v| v >= min)
    };
    let supported = match runtime {
        "provided.al2023" => Some(true),
        "provided" | "provided.al2" => Some(false),
        _ => at_least("python3.", "", 13)
            .or_else(|| at_least("nodejs", ".x", 22))
            .or_else(|| at_least("java", "", 21))
            .or_else(|| at_least("dotnet", "", 8)),
    };
    match supported {
        Some(true) => Ok(()),
        _ => Err(format!(
            "Lambda Managed Instances do not run {runtime}: they run python3.13 and later, nodejs22.x and later, java21 and later, dotnet8 and later, and provided.al2023 (Lambda Developer Guide, \"Lambda Managed Instances runtimes\")"
        )),
    }
}

/// The runtime's default `PerExecutionEnvironmentMaxConcurrency` per vCPU, where the Lambda
/// Developer Guide gives it: Python 16 ("Python runtime for Lambda Managed Instances"), Node.js
/// 64 ("Node.js runtime ..."), Rust on provided.al2023 8 ("Rust support ...").
pub fn default_concurrency_per_vcpu(runtime: &str) -> Option<u32> {
    if runtime.starts_with("python3.") {
        Some(16)
    } else if runtime.starts_with("nodejs") {
        Some(64)
    } else if runtime == "provided.al2023" {
        Some(8)
    } else {
        None
    }
}

/// One configuration a run measures: what a version on the capacity provider is published with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// `MemorySize`, MB.
    pub memory_mb: u32,
    /// `ExecutionEnvironmentMemoryGiBPerVCpu`.
    pub gib_per_vcpu: f64,
    /// `PerExecutionEnvironmentMaxConcurrency`.
    pub concurrency: u32,
}

impl Configuration {
    /// The environment's vCPUs: its memory over the memory per vCPU.
    pub fn vcpus(&self) -> f64 {
        f64::from(self.memory_mb) / 1024.0 / self.gib_per_vcpu
    }

    /// The environment's shape without its concurrency, which groups the rows of one
    /// environment size.
    pub fn shape(&self) -> (u32, u64) {
        (self.memory_mb, self.gib_per_vcpu.to_bits())
    }
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} MB, {} GiB/vCPU ({} vCPU), concurrency {}",
            self.memory_mb,
            trim(self.gib_per_vcpu),
            trim(self.vcpus()),
            self.concurrency
        )
    }
}

/// A number without a trailing `.0`.
pub(crate) fn trim(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// The configurations of every memory size, memory per vCPU and concurrency, in that order;
/// a memory and ratio whose vCPUs are not a whole number from 1 to [`MAX_VCPUS`] is left out
/// and named in the second list (an environment gets whole vCPUs: LMI's sizes are given as
/// "2GB and 1 vCPU", and its instances have whole vCPUs).
pub fn configurations(
    memory_mb: &[u32],
    gib_per_vcpu: &[f64],
    concurrencies: &[u32],
) -> (Vec<Configuration>, Vec<String>) {
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for &memory in memory_mb {
        for &ratio in gib_per_vcpu {
            let vcpus = f64::from(memory) / 1024.0 / ratio;
            if vcpus.fract().abs() > 1e-9 || vcpus < 1.0 || vcpus > f64::from(MAX_VCPUS) {
                left_out.push(format!(
                    "{memory} MB at {} GiB per vCPU is {} vCPUs: an environment gets a whole number of vCPUs from 1 to {MAX_VCPUS}",
                    trim(ratio),
                    trim(vcpus)
                ));
                continue;
            }
            for &concurrency in concurrencies {
                out.push(Configuration {
                    memory_mb: memory,
                    gib_per_vcpu: ratio,
                    concurrency,
                });
            }
        }
    }
    (out, left_out)
}

/// What an LMI tuning run is asked (the execution input's LMI fields, read and checked by
/// `core::input`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstances {
    /// `capacityProviderArn`: the capacity provider the versions run on (needed on AWS).
    pub capacity_provider_arn: Option<String>,
    /// `memorySizes`, MB.
    pub memory_mb: Vec<u32>,
    /// `memoryPerVcpu`, GiB.
    pub gib_per_vcpu: Vec<f64>,
    /// `concurrencies`.
    pub concurrencies: Vec<u32>,
    /// `loadSeconds`: how long each configuration is driven.
    pub load_seconds: f64,
    /// `savingsPlanDiscount`: the share a Savings Plan takes off the instances' price (0 to 1).
    pub savings_plan_discount: f64,
    /// `vcpuHourPrice`: the instances' on-demand price per vCPU-hour, instead of the bundled
    /// table's.
    pub vcpu_hour_price: Option<f64>,
}

impl Default for ManagedInstances {
    fn default() -> Self {
        ManagedInstances {
            capacity_provider_arn: None,
            memory_mb: DEFAULT_MEMORY_MB.to_vec(),
            gib_per_vcpu: DEFAULT_GIB_PER_VCPU.to_vec(),
            concurrencies: DEFAULT_CONCURRENCIES.to_vec(),
            load_seconds: DEFAULT_LOAD_SECONDS,
            savings_plan_discount: 0.0,
            vcpu_hour_price: None,
        }
    }
}

impl ManagedInstances {
    /// The configurations to measure, and the memory and ratio pairs left out (said).
    pub fn configurations(&self) -> (Vec<Configuration>, Vec<String>) {
        configurations(&self.memory_mb, &self.gib_per_vcpu, &self.concurrencies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_are_the_documented_ones() {
        for ok in [
            "python3.13",
            "python3.14",
            "nodejs22.x",
            "nodejs24.x",
            "java21",
            "java25",
            "dotnet8",
            "dotnet10",
            "provided.al2023",
        ] {
            assert_eq!(supports_runtime(ok), Ok(()), "{ok}");
        }
        for refused in [
            "python3.12",
            "python3.9",
            "nodejs20.x",
            "java17",
            "dotnet6",
            "provided.al2",
            "provided",
            "ruby3.3",
        ] {
            let e = supports_runtime(refused).unwrap_err();
            assert!(e.contains(refused) && e.contains("python3.13"), "{e}");
        }
    }

    #[test]
    fn configurations_have_whole_vcpus_and_say_what_they_leave_out() {
        let (configs, left_out) = configurations(&[2048, 4096, 3072], &[2.0, 4.0], &[1, 8]);
        let shapes: Vec<(u32, f64, f64)> = configs
            .iter()
            .filter(|c| c.concurrency == 1)
            .map(|c| (c.memory_mb, c.gib_per_vcpu, c.vcpus()))
            .collect();
        assert_eq!(
            shapes,
            vec![(2048, 2.0, 1.0), (4096, 2.0, 2.0), (4096, 4.0, 1.0)]
        );
        assert_eq!(configs.len(), 6);
        assert_eq!(left_out.len(), 3, "{left_out:?}");
        assert!(left_out[0].starts_with("2048 MB at 4 GiB per vCPU is 0.5 vCPUs"));
        assert!(left_out[1].contains("3072 MB at 2 GiB per vCPU is 1.5 vCPUs"));
        let (largest, left) = configurations(&[32768], &[2.0], &[1]);
        assert_eq!((largest[0].vcpus(), left.len()), (16.0, 0));
    }

    #[test]
    fn default_concurrency_follows_the_runtime_pages() {
        assert_eq!(default_concurrency_per_vcpu("python3.13"), Some(16));
        assert_eq!(default_concurrency_per_vcpu("nodejs22.x"), Some(64));
        assert_eq!(default_concurrency_per_vcpu("provided.al2023"), Some(8));
        assert_eq!(default_concurrency_per_vcpu("java21"), None);
    }
}
