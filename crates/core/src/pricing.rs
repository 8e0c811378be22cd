//! What Lambda and Step Functions charge, by region and architecture, and the cost of one
//! invocation and of one execution of our state machine.
//!
//! Sources (checked 2026-11):
//! - Lambda, AWS commercial regions: <https://aws.amazon.com/lambda/pricing/> (duration per
//!   GB-second for x86 and Arm, first pricing tier; requests per million). The page lists
//!   US East (N. Virginia) in its examples and the other regions in its region selector, which the
//!   AWS Price List (`AWSLambda`, usage types `Lambda-GB-Second`, `Lambda-GB-Second-ARM`,
//!   `Request`) mirrors.
//! - Lambda, China regions (priced in CNY): <https://www.amazonaws.cn/en/lambda/pricing/>.
//! - Step Functions Standard workflows, per state transition:
//!   <https://aws.amazon.com/step-functions/pricing/> ("State transitions pricing table") and
//!   <https://www.amazonaws.cn/en/step-functions/pricing/> for the China regions.
//!
//! Tiered discounts (past 6 billion GB-seconds a month) are not modelled: a tuning run is priced
//! as the first tier, which is what a single function's marginal invocation costs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The region whose prices apply when a region is not in a table.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Lambda's instruction-set architectures, as `GetFunctionConfiguration` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    /// Intel and AMD processors.
    X86_64,
    #[serde(rename = "arm64")]
    /// AWS Graviton processors.
    Arm64,
}

impl Architecture {
    /// The name Lambda uses: `x86_64` or `arm64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Architecture {
    type Err = PricingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x86_64" => Ok(Architecture::X86_64),
            "arm64" => Ok(Architecture::Arm64),
            other => Err(PricingError::UnknownArchitecture(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a price cannot be found.
pub enum PricingError {
    #[error(
        "Unknown Lambda architecture \"{0}\": Lambda prices are known for \"x86_64\" and \"arm64\"."
    )]
    /// An architecture Lambda does not have.
    UnknownArchitecture(String),
}

/// The currency a region bills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "USD")]
    /// US dollars.
    Usd,
    #[serde(rename = "CNY")]
    /// Chinese yuan, in the China regions.
    Cny,
}

impl Currency {
    /// The ISO code: `USD` or `CNY`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cny => "CNY",
        }
    }

    /// The currency of prices in `region`: the China regions bill in yuan.
    pub(crate) fn of_region(region: &str) -> Currency {
        if region.starts_with("cn-") {
            Currency::Cny
        } else {
            Currency::Usd
        }
    }
}

/// Lambda's prices in one region for one architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaPrice {
    /// The region whose prices these are (the fallback region when `fallback_for` is set).
    pub region: &'static str,
    /// The architecture these prices are for.
    pub architecture: Architecture,
    /// The currency of the prices.
    pub currency: Currency,
    /// The price of one GB-second of duration.
    pub per_gb_second: f64,
    /// The price of one request.
    pub per_request: f64,
    /// The region that was asked for, when it was unknown and these are us-east-1 prices.
    pub fallback_for: Option<String>,
}

impl LambdaPrice {
    /// Cost of one invocation's billed duration, without the request charge:
    /// price per GB-s x memory / 1024 x billed ms / 1000.
    pub fn duration_cost(&self, memory_mb: u32, billed_ms: f64) -> f64 {
        invocation_cost(self.per_gb_second, memory_mb, billed_ms)
    }

    /// A sentence for the output when these prices are a fallback.
    pub fn notice(&self) -> Option<String> {
        self.fallback_for.as_ref().map(|asked| {
            format!(
                "No Lambda price is known for region \"{asked}\"; costs use {} prices.",
                self.region
            )
        })
    }
}

/// price per GB-s x memory / 1024 x billed ms / 1000.
pub(crate) fn invocation_cost(per_gb_second: f64, memory_mb: u32, billed_ms: f64) -> f64 {
    per_gb_second * (f64::from(memory_mb) / 1024.0) * (billed_ms / 1000.0)
}

const USD_PER_REQUEST: f64 = 0.000_000_2; // $0.20 per million
const CNY_PER_REQUEST: f64 = 0.000_001_36; // ¥1.36 per million
const X86_BASE: f64 = 0.000_016_666_7;
const ARM_BASE: f64 = 0.000_013_333_4;

/// (region, x86_64 per GB-s, arm64 per GB-s), first tier. Regions that charge the US East price
/// are listed too, so an unknown region is really unknown and not merely "the usual price".
const LAMBDA_GB_SECOND: &[(&str, f64, f64)] = &[
    ("us-east-1", X86_BASE, ARM_BASE),
    ("us-east-2", X86_BASE, ARM_BASE),
    ("us-west-1", X86_BASE, ARM_BASE),
    ("us-west-2", X86_BASE, ARM_BASE),
    ("ca-central-1", X86_BASE, ARM_BASE),
    ("ca-west-1", X86_BASE, ARM_BASE),
    ("mx-central-1", X86_BASE, ARM_BASE),
    ("sa-east-1", X86_BASE, ARM_BASE),
    ("eu-central-1", X86_BASE, ARM_BASE),
    ("eu-central-2", X86_BASE, ARM_BASE),
    ("eu-west-1", X86_BASE, ARM_BASE),
    ("eu-west-2", X86_BASE, ARM_BASE),
    ("eu-west-3", X86_BASE, ARM_BASE),
    ("eu-north-1", X86_BASE, ARM_BASE),
    ("eu-south-2", X86_BASE, ARM_BASE),
    ("il-central-1", X86_BASE, ARM_BASE),
    ("ap-south-1", X86_BASE, ARM_BASE),
    ("ap-south-2", X86_BASE, ARM_BASE),
    ("ap-southeast-1", X86_BASE, ARM_BASE),
    ("ap-southeast-2", X86_BASE, ARM_BASE),
    ("ap-southeast-3", X86_BASE, ARM_BASE),
    ("ap-southeast-4", X86_BASE, ARM_BASE),
    ("ap-southeast-5", X86_BASE, ARM_BASE),
    ("ap-southeast-7", X86_BASE, ARM_BASE),
    ("ap-northeast-1", X86_BASE, ARM_BASE),
    ("ap-northeast-2", X86_BASE, ARM_BASE),
    // Regions with their own duration price.
    ("af-south-1", 0.000_022_1, 0.000_017_68),
    ("ap-east-1", 0.000_022_92, 0.000_018_3),
    ("eu-south-1", 0.000_019_517_2, 0.000_015_613_8),
    ("me-south-1", 0.000_020_666_7, 0.000_016_533_4),
    ("me-central-1", 0.000_020_666_7, 0.000_016_533_4),
    // Osaka's Arm price is not on the page we checked; it is the x86 price x 0.8, the ratio that
    // holds in every region where both are published.
    ("ap-northeast-3", 0.000_021_53, 0.000_017_224),
    // China, in CNY.
    ("cn-north-1", 0.000_113_477, 0.000_090_782),
    ("cn-northwest-1", 0.000_113_477, 0.000_090_782),
];

/// Lambda's prices for `region` and `architecture`, falling back to us-east-1 (and saying so in
/// `fallback_for`) for a region we have no price for.
/// Lambda's charge per request in `region` (us-east-1's when unknown). It is the same for both
/// architectures and at every memory size, so the result document's costs leave it out and a
/// report adds it where it shows a total.
pub fn request_price(region: Option<&str>) -> f64 {
    lambda_price(region.unwrap_or(FALLBACK_REGION), Architecture::X86_64).per_request
}

/// Lambda's prices in `region` for `architecture` (us-east-1's, marked, when the region is unknown).
pub fn lambda_price(region: &str, architecture: Architecture) -> LambdaPrice {
    let (found, fallback_for) = match LAMBDA_GB_SECOND.iter().find(|(r, _, _)| *r == region) {
        Some(row) => (row, None),
        None => (&LAMBDA_GB_SECOND[0], Some(region.to_string())),
    };
    let (known_region, x86, arm) = *found;
    let currency = Currency::of_region(known_region);
    LambdaPrice {
        region: known_region,
        architecture,
        currency,
        per_gb_second: match architecture {
            Architecture::X86_64 => x86,
            Architecture::Arm64 => arm,
        },
        per_request: match currency {
            Currency::Usd => USD_PER_REQUEST,
            Currency::Cny => CNY_PER_REQUEST,
        },
        fallback_for,
    }
}

/// Step Functions Standard, price per state transition (the pages list it per 1,000).
const STEP_FUNCTIONS_TRANSITION: &[(&str, f64)] = &[
    ("us-east-1", 0.000_025),
    ("us-east-2", 0.000_025),
    ("us-west-1", 0.000_027_9),
    ("us-west-2", 0.000_025),
    ("ca-central-1", 0.000_025),
    ("sa-east-1", 0.000_037_5),
    ("us-gov-east-1", 0.000_03),
    ("us-gov-west-1", 0.000_03),
    ("eu-central-1", 0.000_025),
    ("eu-west-1", 0.000_025),
    ("eu-west-2", 0.000_025),
    ("eu-west-3", 0.000_029_7),
    ("eu-north-1", 0.000_025),
    ("eu-south-1", 0.000_026_25),
    ("af-south-1", 0.000_029_75),
    ("me-south-1", 0.000_027_5),
    ("ap-east-1", 0.000_027_5),
    ("ap-south-1", 0.000_028_5),
    ("ap-southeast-1", 0.000_025),
    ("ap-southeast-2", 0.000_025),
    ("ap-northeast-1", 0.000_025),
    ("ap-northeast-2", 0.000_027_1),
    // China, in CNY (0.1891 per 1,000 transitions).
    ("cn-north-1", 0.000_189_1),
    ("cn-northwest-1", 0.000_189_1),
];

/// The price of one Step Functions Standard state transition in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionPrice {
    /// The region whose price this is (the fallback region when `fallback_for` is set).
    pub region: &'static str,
    /// The currency of the price.
    pub currency: Currency,
    /// The price of one state transition.
    pub per_transition: f64,
    /// The region that was asked for, when it was unknown and this is us-east-1's price.
    pub fallback_for: Option<String>,
}

impl TransitionPrice {
    /// A sentence for the result's warnings when the price is a fallback.
    pub fn notice(&self) -> Option<String> {
        self.fallback_for.as_ref().map(|asked| {
            format!(
                "No Step Functions price is known for region \"{asked}\"; the execution cost uses {} prices.",
                self.region
            )
        })
    }
}

/// Step Functions' price per state transition in `region` (us-east-1's, marked, when unknown).
pub(crate) fn step_functions_price(region: &str) -> TransitionPrice {
    let (found, fallback_for) = match STEP_FUNCTIONS_TRANSITION.iter().find(|(r, _)| *r == region) {
        Some(row) => (row, None),
        None => (&STEP_FUNCTIONS_TRANSITION[0], Some(region.to_string())),
    };
    TransitionPrice {
        region: found.0,
        currency: Currency::of_region(found.0),
        per_transition: found.1,
        fallback_for,
    }
}

/// What one execution of `statemachine/statemachine.asl.json` does, as far as billing goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineRun {
    /// How many power values each round of the Map state iterated over: one round of every
    /// power value for a plain run, more for an adaptive one.
    pub rounds: Vec<usize>,
    /// How many times the Publisher ran (it publishes as many configurations per invocation as
    /// its time budget allows, and loops through the `IsPublished` choice until done).
    pub publisher_rounds: usize,
    /// How many times the Cleaner ran (a big run's cleanup loops through `IsCleaned`).
    pub cleaner_rounds: usize,
}

impl StateMachineRun {
    /// State transitions of a successful, non-dry-run execution without retries:
    /// Initializer 1, Publisher + IsPublished 2 per Publisher round; per sampling round the Map
    /// 1, an Executor per power value in it, Sampler 1 and IsSettled 1; Cleaner + IsCleaned 2
    /// per Cleaner round; then Analyzer 1 and Optimizer 1.
    pub fn transitions(&self) -> u64 {
        let rounds: u64 = self.rounds.iter().map(|&n| 3 + n as u64).sum();
        3 + 2 * self.publisher_rounds as u64 + 2 * self.cleaner_rounds.max(1) as u64 + rounds
    }

    /// What this execution's transitions cost at `price`.
    pub fn cost(&self, price: &TransitionPrice) -> f64 {
        self.transitions() as f64 * price.per_transition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_invocation_costs_price_times_gigabytes_times_seconds() {
        // 1024 MB for 1 s is exactly one GB-second.
        assert_eq!(invocation_cost(X86_BASE, 1024, 1000.0), X86_BASE);
        // 128 MB for 100 ms: 1/8 GB x 0.1 s.
        let c = invocation_cost(X86_BASE, 128, 100.0);
        assert!((c - X86_BASE / 80.0).abs() < 1e-20);
    }

    #[test]
    fn us_east_1_prices_match_the_pricing_page() {
        let x86 = lambda_price("us-east-1", Architecture::X86_64);
        assert_eq!(x86.per_gb_second, 0.0000166667);
        assert_eq!(x86.per_request, 0.0000002);
        assert_eq!(x86.currency, Currency::Usd);
        assert_eq!(x86.notice(), None);
        let arm = lambda_price("us-east-1", Architecture::Arm64);
        assert_eq!(arm.per_gb_second, 0.0000133334);
    }

    #[test]
    fn regions_with_their_own_price_use_it() {
        assert_eq!(
            lambda_price("af-south-1", Architecture::X86_64).per_gb_second,
            0.0000221
        );
        assert_eq!(
            lambda_price("ap-east-1", Architecture::Arm64).per_gb_second,
            0.0000183
        );
        let cn = lambda_price("cn-north-1", Architecture::X86_64);
        assert_eq!(cn.currency, Currency::Cny);
        assert_eq!(cn.per_request, 0.00000136);
    }

    #[test]
    fn arm_is_cheaper_than_x86_everywhere() {
        for (region, x86, arm) in LAMBDA_GB_SECOND {
            assert!(arm < x86, "{region}");
        }
    }

    #[test]
    fn unknown_region_falls_back_to_us_east_1_and_says_so() {
        let p = lambda_price("xx-nowhere-9", Architecture::Arm64);
        assert_eq!(p.region, "us-east-1");
        assert_eq!(p.per_gb_second, ARM_BASE);
        assert_eq!(p.fallback_for.as_deref(), Some("xx-nowhere-9"));
        assert!(p.notice().unwrap().contains("xx-nowhere-9"));
        let sfn = step_functions_price("xx-nowhere-9");
        assert_eq!(sfn.per_transition, 0.000025);
        assert!(sfn.notice().unwrap().contains("us-east-1"));
    }

    #[test]
    fn unknown_architecture_is_a_clear_error() {
        let err = "riscv64".parse::<Architecture>().unwrap_err();
        assert!(err.to_string().contains("riscv64"));
        assert!(err.to_string().contains("arm64"));
        assert_eq!("arm64".parse::<Architecture>(), Ok(Architecture::Arm64));
    }

    #[test]
    fn step_functions_prices_follow_the_pricing_table() {
        assert_eq!(step_functions_price("us-west-1").per_transition, 0.0000279);
        assert_eq!(step_functions_price("sa-east-1").per_transition, 0.0000375);
        assert_eq!(
            step_functions_price("cn-northwest-1").currency,
            Currency::Cny
        );
    }

    #[test]
    fn state_machine_transitions_count_every_state_entered() {
        let run = StateMachineRun {
            rounds: vec![6],
            publisher_rounds: 1,
            cleaner_rounds: 1,
        };
        assert_eq!(run.transitions(), 5 + 2 + (3 + 6));
        let price = step_functions_price("us-east-1");
        assert!((run.cost(&price) - 16.0 * 0.000025).abs() < 1e-15);
        // An adaptive run: three rounds of 6, 4 and 1 power values.
        let adaptive = StateMachineRun {
            rounds: vec![6, 4, 1],
            publisher_rounds: 1,
            cleaner_rounds: 1,
        };
        assert_eq!(adaptive.transitions(), 5 + 2 + (3 + 6) + (3 + 4) + (3 + 1));
        // A big run's cleanup in three Cleaner invocations: two more Cleaner + IsCleaned.
        let big = StateMachineRun {
            cleaner_rounds: 3,
            ..run
        };
        assert_eq!(big.transitions(), 5 + 2 + (3 + 6) + 2 * 2);
    }
}
