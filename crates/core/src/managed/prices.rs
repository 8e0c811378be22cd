//! What LMI costs: the EC2 instances' on-demand price, a management fee on it, and a charge per
//! request; no charge per millisecond of duration.
//!
//! Facts (Lambda pricing page, "Lambda Managed Instances", as transcribed by
//! api-evangelist/aws-lambda `plans-pricing.yml`, read 2026-09-20; the page renders its tables in
//! the browser): $0.20 per million requests, and a compute management fee of 15% of the
//! instance's EC2 on-demand price. Savings Plans and Reserved Instances discount the instances
//! (Lambda Developer Guide, "Lambda Managed Instances": "you benefit from EC2 pricing
//! advantages, including EC2 Savings Plans and Reserved Instances"); the fee stays 15% of the
//! on-demand price.
//!
//! Lambda chooses the instance types unless the capacity provider restricts them. An
//! environment's price here is its vCPUs at the per-vCPU price of the current-generation
//! family whose memory per vCPU holds the environment's: compute (c7i, c7g: 2 GiB per vCPU),
//! general purpose (m7i, m7g: 4) and memory optimized (r7i, r7g: 8). Environments of one size pack
//! onto such instances without waste; what the Lambda agent on each instance takes is not
//! documented and not counted.

use crate::pricing::Architecture;
use serde::{Deserialize, Serialize};

/// The charge per request, $ (the same in every region the pricing page lists).
pub const REQUEST_PRICE: f64 = 0.20 / 1_000_000.0;
/// The compute management fee, as a share of the instance's on-demand price.
pub const MANAGEMENT_FEE: f64 = 0.15;
/// Hours in a month, as AWS's pricing examples count them.
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Where the bundled instance prices are from, and when.
pub const TABLE_SOURCE: &str = "EC2 on-demand Linux prices in us-east-1 for the .large size (AWS EC2 pricing page, 2026-06; m7g.large $0.0816/h also in factualminds.com's 2026 price survey)";
/// The region the bundled table is for.
pub const TABLE_REGION: &str = "us-east-1";

/// An instance family LMI may place environments on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    /// Its memory per vCPU, GiB.
    pub gib_per_vcpu: f64,
    /// The x86_64 instance priced, and its on-demand price per hour.
    pub x86: (&'static str, f64),
    /// The arm64 (Graviton) instance priced, and its on-demand price per hour.
    pub arm: (&'static str, f64),
    /// Its vCPUs (the `.large` size has 2).
    pub vcpus: f64,
}

/// The families, by memory per vCPU.
pub const FAMILIES: &[Family] = &[
    Family {
        gib_per_vcpu: 2.0,
        x86: ("c7i.large", 0.08925),
        arm: ("c7g.large", 0.0725),
        vcpus: 2.0,
    },
    Family {
        gib_per_vcpu: 4.0,
        x86: ("m7i.large", 0.1008),
        arm: ("m7g.large", 0.0816),
        vcpus: 2.0,
    },
    Family {
        gib_per_vcpu: 8.0,
        x86: ("r7i.large", 0.1323),
        arm: ("r7g.large", 0.1071),
        vcpus: 2.0,
    },
];

/// The family an environment of `gib_per_vcpu` is priced at: the first whose memory per vCPU
/// holds it.
pub fn family(gib_per_vcpu: f64) -> &'static Family {
    FAMILIES
        .iter()
        .find(|f| f.gib_per_vcpu + 1e-9 >= gib_per_vcpu)
        .unwrap_or(&FAMILIES[FAMILIES.len() - 1])
}

/// The on-demand prices of the families' instances in one region, read on an AWS run from the
/// AWS Price List API (`steps::ec2_prices`) in place of the bundled table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstancePrices {
    /// The region they are for.
    pub region: String,
    /// Where they come from and when, for the report.
    pub source: String,
    /// Each instance type found and its on-demand Linux price per hour, $.
    pub hourly: Vec<(String, f64)>,
    /// Why an instance type has no price here (it is then priced from the bundled table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl InstancePrices {
    /// The price per hour of `instance`, when read.
    pub fn of(&self, instance: &str) -> Option<f64> {
        self.hourly
            .iter()
            .find(|(name, _)| name == instance)
            .map(|(_, p)| *p)
    }
}

/// What one environment of a configuration costs per hour, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentPrice {
    /// The instance type its price per vCPU comes from (or "given" for `vcpuHourPrice`).
    pub instance: String,
    /// Where that price comes from: `given`, `priceList` (the region's, from the AWS Price List
    /// API) or `bundled` (the bundled us-east-1 table).
    #[serde(default = "bundled")]
    pub source: String,
    /// The on-demand price of one vCPU-hour, $.
    pub vcpu_hour: f64,
    /// The environment's vCPUs.
    pub vcpus: f64,
    /// The Savings Plan discount applied to the instance part (0 to 1).
    pub discount: f64,
    /// The environment's price per hour: instances after the discount, plus the fee on the
    /// on-demand price.
    pub hourly: f64,
}

fn bundled() -> String {
    "bundled".into()
}

/// Prices an environment of `vcpus` at `gib_per_vcpu`: `vcpu_hour_price` when given, else its
/// family's instance at the price `region` gives it (the AWS Price List API's, on an AWS run),
/// else the bundled table's; less `discount` on the instances, plus [`MANAGEMENT_FEE`] of the
/// on-demand price.
pub fn environment_price(
    vcpus: f64,
    gib_per_vcpu: f64,
    architecture: Architecture,
    discount: f64,
    vcpu_hour_price: Option<f64>,
    region: Option<&InstancePrices>,
) -> EnvironmentPrice {
    let (instance, vcpu_hour, source) = match vcpu_hour_price {
        Some(p) => ("given".to_string(), p, "given"),
        None => {
            let f = family(gib_per_vcpu);
            let (name, hourly) = match architecture {
                Architecture::X86_64 => f.x86,
                Architecture::Arm64 => f.arm,
            };
            match region.and_then(|r| r.of(name)) {
                Some(read) => (name.to_string(), read / f.vcpus, "priceList"),
                None => (name.to_string(), hourly / f.vcpus, "bundled"),
            }
        }
    };
    let on_demand = vcpus * vcpu_hour;
    EnvironmentPrice {
        source: source.to_string(),
        instance,
        vcpu_hour,
        vcpus,
        discount,
        hourly: on_demand * (1.0 - discount) + on_demand * MANAGEMENT_FEE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_is_its_vcpus_at_the_familys_price_plus_the_fee() {
        // 2 vCPUs at 2 GiB each: a whole c7i.large, $0.08925 an hour, plus 15%.
        let p = environment_price(2.0, 2.0, Architecture::X86_64, 0.0, None, None);
        assert_eq!(p.instance, "c7i.large");
        assert!((p.hourly - 0.08925 * 1.15).abs() < 1e-12, "{p:?}");
        // 1 vCPU at 3 GiB fits only the general purpose family: half an m7g.large.
        let p = environment_price(1.0, 3.0, Architecture::Arm64, 0.0, None, None);
        assert_eq!(p.instance, "m7g.large");
        assert!((p.hourly - 0.0408 * 1.15).abs() < 1e-12, "{p:?}");
        // A 30% Savings Plan lowers the instance, not the fee.
        let p = environment_price(4.0, 8.0, Architecture::X86_64, 0.3, None, None);
        let od = 4.0 * 0.1323 / 2.0;
        assert!((p.hourly - (od * 0.7 + od * 0.15)).abs() < 1e-12, "{p:?}");
        // A given price replaces the table.
        let p = environment_price(2.0, 4.0, Architecture::X86_64, 0.0, Some(0.05), None);
        assert_eq!(p.instance, "given");
        assert!((p.hourly - 0.1 * 1.15).abs() < 1e-12);
    }

    #[test]
    fn a_regions_price_list_replaces_the_bundled_figure_of_the_instances_it_has() {
        let eu = InstancePrices {
            region: "eu-west-1".into(),
            source: "test".into(),
            hourly: vec![("c7i.large".into(), 0.0966)],
            missing: vec!["m7i.large: no price".into()],
        };
        // 1 vCPU at 2 GiB: half a c7i.large at the region's price.
        let p = environment_price(1.0, 2.0, Architecture::X86_64, 0.0, None, Some(&eu));
        assert_eq!(
            (p.instance.as_str(), p.source.as_str()),
            ("c7i.large", "priceList")
        );
        assert!((p.hourly - 0.0966 / 2.0 * 1.15).abs() < 1e-12, "{p:?}");
        // An instance the list lacks keeps the bundled figure, and says so.
        let p = environment_price(1.0, 4.0, Architecture::X86_64, 0.0, None, Some(&eu));
        assert_eq!(
            (p.instance.as_str(), p.source.as_str()),
            ("m7i.large", "bundled")
        );
        assert!((p.hourly - 0.1008 / 2.0 * 1.15).abs() < 1e-12, "{p:?}");
        // A given price wins over both.
        let p = environment_price(1.0, 2.0, Architecture::X86_64, 0.0, Some(0.03), Some(&eu));
        assert_eq!(p.source, "given");
    }

    #[test]
    fn every_ratio_in_range_has_a_family() {
        for tenths in 20..=80 {
            let ratio = f64::from(tenths) / 10.0;
            assert!(family(ratio).gib_per_vcpu >= ratio, "{ratio}");
        }
    }
}
