//! What Lambda and Step Functions charge, by region and architecture, and the cost of one
//! invocation and of one execution of our state machine.
//!
//! Sources (checked 2026-12; each row of the tables below names its own):
//! - `CALCULATOR`: AWS's pricing calculator's Lambda data,
//!   `calculator.aws/pricing/2.0/meteredUnitMaps/lambda/USD/current/lambda.json` (the figures the
//!   Lambda pricing page's region selector shows, usage types `Lambda Duration`,
//!   `Lambda Duration-ARM`, `Lambda Requests`, `Lambda Storage-Duration`), which this machine
//!   cannot reach: read from a third-party copy of it, remotion-dev/remotion
//!   `packages/lambda/src/pricing/price-per-1-s.ts`.
//! - `TABLE_B`: a third-party table of per-region Lambda prices (x86 duration and requests
//!   only), for regions the calculator copy lacks; its rows are marked.
//! - US East (N. Virginia) on <https://aws.amazon.com/lambda/pricing/> itself, and the China
//!   regions (priced in CNY) on <https://www.amazonaws.cn/en/lambda/pricing/>.
//! - Step Functions Standard workflows, per state transition:
//!   <https://aws.amazon.com/step-functions/pricing/> ("State transitions pricing table") and
//!   <https://www.amazonaws.cn/en/step-functions/pricing/> for the China regions.
//!
//! A figure no source gives is not derived from another (an arm64 price from the x86 one, say):
//! it is us-east-1's, and the price says so ([`LambdaPrice::notice`]), as it does for a region
//! with no row at all. Regions with no source yet: ap-east-2, ap-southeast-6, ap-southeast-7,
//! mx-central-1, GovCloud (us-gov-*, whose Step Functions price is known) and the AWS European
//! Sovereign Cloud (its own partition, billed in EUR).
//!
//! Tiered discounts are not modelled: a tuning run is priced at the first tier, which is what a
//! single function's marginal invocation costs (the tiers count an account's monthly GB-seconds
//! per region and architecture: for x86 past 6 and 15 billion GB-seconds, for arm64 past 7.5
//! and 18.75 billion; AWS Compute blog, "Introducing tiered pricing for AWS Lambda").

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
    /// The price of one GB-second of ephemeral storage above the free 512 MB.
    pub per_storage_gb_second: f64,
    /// The function's ephemeral storage, MB (512, the free size, unless set otherwise).
    pub ephemeral_storage_mb: u32,
    /// The region that was asked for, when it was unknown and these are us-east-1 prices.
    pub fallback_for: Option<String>,
    /// The figures of a known region that no source gives, and that are us-east-1's here
    /// ("arm64 duration", "ephemeral storage").
    pub borrowed: Vec<&'static str>,
    /// Where the region's figures come from.
    pub source: &'static str,
}

/// The ephemeral storage every function has at no charge, MB.
pub const FREE_EPHEMERAL_STORAGE_MB: u32 = 512;

impl LambdaPrice {
    /// Cost of one invocation's billed duration, without the request charge: price per GB-s x
    /// memory / 1024 x billed ms / 1000, plus the ephemeral storage above 512 MB for as long
    /// (Lambda pricing page, "Lambda Ephemeral Storage Pricing": charged per GB-s of the
    /// configured storage, over the same milliseconds).
    pub fn duration_cost(&self, memory_mb: u32, billed_ms: f64) -> f64 {
        let extra = self
            .ephemeral_storage_mb
            .saturating_sub(FREE_EPHEMERAL_STORAGE_MB);
        invocation_cost(self.per_gb_second, memory_mb, billed_ms)
            + invocation_cost(self.per_storage_gb_second, extra, billed_ms)
    }

    /// These prices for a function with `mb` of ephemeral storage.
    pub fn with_ephemeral_storage(mut self, mb: u32) -> LambdaPrice {
        self.ephemeral_storage_mb = mb;
        self
    }

    /// A sentence for the output when some of these prices are not the region's own: a region
    /// with no price at all, or a figure no source gives for it. Storage counts only when the
    /// function pays for some.
    pub fn notice(&self) -> Option<String> {
        if let Some(asked) = &self.fallback_for {
            return Some(format!(
                "No Lambda price is known for region \"{asked}\"; costs use {} prices.",
                self.region
            ));
        }
        let storage_matters = self.ephemeral_storage_mb > FREE_EPHEMERAL_STORAGE_MB;
        let borrowed: Vec<&str> = self
            .borrowed
            .iter()
            .copied()
            .filter(|b| *b != "ephemeral storage" || storage_matters)
            .collect();
        (!borrowed.is_empty()).then(|| {
            let instead = match self.currency {
                Currency::Usd => format!("costs use {FALLBACK_REGION}'s"),
                Currency::Cny => "it is left out of the costs".to_string(),
            };
            format!(
                "Lambda's {} price in {} is not published where powertune looked; {instead}.",
                borrowed.join(" and "),
                self.region
            )
        })
    }
}

/// price per GB-s x memory / 1024 x billed ms / 1000.
pub(crate) fn invocation_cost(per_gb_second: f64, memory_mb: u32, billed_ms: f64) -> f64 {
    per_gb_second * (f64::from(memory_mb) / 1024.0) * (billed_ms / 1000.0)
}

/// The calculator's data, through its third-party copy (see the module's sources).
const CALCULATOR: &str = "AWS pricing calculator data (third-party copy)";
/// The third-party per-region table (x86 duration and requests only).
const TABLE_B: &str = "a third-party price table only";
/// The pricing pages themselves.
const PAGE: &str = "the Lambda pricing page";

const X86_BASE: f64 = 0.000_016_666_7;
const ARM_BASE: f64 = 0.000_013_333_4;

/// One region's Lambda prices: duration per GB-second (x86_64, arm64), the request, and
/// ephemeral storage above the free 512 MB per GB-second; `None` where no source gives it.
#[derive(Debug, Clone, Copy)]
struct Row {
    region: &'static str,
    x86: Option<f64>,
    arm: Option<f64>,
    request: Option<f64>,
    storage: Option<f64>,
    source: &'static str,
}

const fn row(
    region: &'static str,
    x86: f64,
    arm: f64,
    request_per_million: f64,
    storage: f64,
    source: &'static str,
) -> Row {
    Row {
        region,
        x86: Some(x86),
        arm: Some(arm),
        request: Some(request_per_million / 1e6),
        storage: Some(storage),
        source,
    }
}

/// A row with only the x86 duration and request prices.
const fn x86_only(
    region: &'static str,
    x86: f64,
    request_per_million: f64,
    source: &'static str,
) -> Row {
    Row {
        region,
        x86: Some(x86),
        arm: None,
        request: Some(request_per_million / 1e6),
        storage: None,
        source,
    }
}

/// A China region's prices, in CNY: duration and requests from the China regions' pricing
/// page; no ephemeral storage price there.
const fn china(region: &'static str) -> Row {
    Row {
        region,
        x86: Some(0.000_113_477),
        arm: Some(0.000_090_782),
        request: Some(0.000_001_36),
        storage: None,
        source: "the Lambda pricing page for the China regions",
    }
}

/// Every region with a source, first tier. Regions that charge the US East prices are listed
/// too, so that an unknown region is really unknown and not merely "the usual price".
const LAMBDA: &[Row] = &[
    row("us-east-1", X86_BASE, ARM_BASE, 0.20, 0.000_000_030_9, PAGE),
    row(
        "us-east-2",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_030_9,
        CALCULATOR,
    ),
    row(
        "us-west-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "us-west-2",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_030_9,
        CALCULATOR,
    ),
    row(
        "ca-central-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_034,
        CALCULATOR,
    ),
    row(
        "sa-east-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_058_6,
        CALCULATOR,
    ),
    row(
        "eu-central-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_036_7,
        CALCULATOR,
    ),
    row(
        "eu-central-2",
        0.000_018_333_4,
        0.000_014_666_7,
        0.22,
        0.000_000_044_1,
        CALCULATOR,
    ),
    row(
        "eu-west-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_034,
        CALCULATOR,
    ),
    row(
        "eu-west-2",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_035_8,
        CALCULATOR,
    ),
    row(
        "eu-west-3",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_035_8,
        CALCULATOR,
    ),
    row(
        "eu-north-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_032_3,
        CALCULATOR,
    ),
    row(
        "eu-south-1",
        0.000_019_517_2,
        0.000_015_613_8,
        0.23,
        0.000_000_035_7,
        CALCULATOR,
    ),
    row(
        "af-south-1",
        0.000_022_1,
        0.000_017_68,
        0.27,
        0.000_000_040_4,
        CALCULATOR,
    ),
    row(
        "me-south-1",
        0.000_020_666_7,
        0.000_016_533_4,
        0.25,
        0.000_000_037_4,
        CALCULATOR,
    ),
    row(
        "ap-east-1",
        0.000_022_92,
        0.000_018_3,
        0.28,
        0.000_000_040_7,
        CALCULATOR,
    ),
    row(
        "ap-south-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_035_2,
        CALCULATOR,
    ),
    row(
        "ap-northeast-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "ap-northeast-2",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_035_2,
        CALCULATOR,
    ),
    // Osaka charges the US East duration prices (it was priced at $0.00002153 here before).
    row(
        "ap-northeast-3",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "ap-southeast-1",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "ap-southeast-2",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "ap-southeast-4",
        X86_BASE,
        ARM_BASE,
        0.20,
        0.000_000_037,
        CALCULATOR,
    ),
    row(
        "ap-southeast-5",
        0.000_015,
        0.000_012,
        0.18,
        0.000_000_033_3,
        CALCULATOR,
    ),
    // The calculator copy has no row for these: x86 and requests from the other table.
    x86_only("ca-west-1", X86_BASE, 0.20, TABLE_B),
    x86_only("eu-south-2", X86_BASE, 0.20, TABLE_B),
    x86_only("ap-south-2", X86_BASE, 0.20, TABLE_B),
    x86_only("ap-southeast-3", X86_BASE, 0.20, TABLE_B),
    x86_only("il-central-1", 0.000_017_5, 0.21, TABLE_B),
    // x86 and requests as TABLE_B gives them; arm64 from a third-party copy of the same
    // region's prices (it equals Bahrain's, which the calculator gives).
    Row {
        region: "me-central-1",
        x86: Some(0.000_020_666_7),
        arm: Some(0.000_016_533_4),
        request: Some(0.000_000_25),
        storage: None,
        source: TABLE_B,
    },
    // China, in CNY (¥1.36 per million requests).
    china("cn-north-1"),
    china("cn-northwest-1"),
];

/// Lambda's charge per request in `region` (us-east-1's when unknown). It is the same for both
/// architectures and at every memory size, so the result document's costs leave it out and a
/// report adds it where it shows a total.
pub fn request_price(region: Option<&str>) -> f64 {
    lambda_price(region.unwrap_or(FALLBACK_REGION), Architecture::X86_64).per_request
}

/// Lambda's prices in `region` for `architecture`: us-east-1's, marked, when the region is
/// unknown, and us-east-1's figure, marked, for any figure no source gives for it.
pub fn lambda_price(region: &str, architecture: Architecture) -> LambdaPrice {
    let base = LAMBDA[0];
    let (found, fallback_for) = match LAMBDA.iter().find(|r| r.region == region) {
        Some(row) => (*row, None),
        None => (base, Some(region.to_string())),
    };
    let currency = Currency::of_region(found.region);
    // us-east-1's figures are dollars: a region billed in another currency leaves a figure it
    // lacks out of the costs instead.
    let in_dollars = currency == Currency::Usd;
    let mut borrowed = Vec::new();
    let mut pick = |own: Option<f64>, fallback: Option<f64>, what: &'static str| {
        own.unwrap_or_else(|| {
            borrowed.push(what);
            fallback.filter(|_| in_dollars).unwrap_or_default()
        })
    };
    let per_gb_second = match architecture {
        Architecture::X86_64 => pick(found.x86, base.x86, "x86_64 duration"),
        Architecture::Arm64 => pick(found.arm, base.arm, "arm64 duration"),
    };
    let per_request = pick(found.request, base.request, "request");
    let per_storage_gb_second = pick(found.storage, base.storage, "ephemeral storage");
    LambdaPrice {
        region: found.region,
        architecture,
        currency,
        per_gb_second,
        per_request,
        per_storage_gb_second,
        ephemeral_storage_mb: FREE_EPHEMERAL_STORAGE_MB,
        fallback_for,
        borrowed,
        source: found.source,
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

    /// Every region's figures, as the sources give them (x86 and arm64 per GB-s, requests per
    /// million, ephemeral storage per GB-s): a figure that changes in the table fails here.
    #[test]
    fn every_regions_prices_are_the_sources_figures() {
        #[rustfmt::skip]
        let expected: &[(&str, f64, f64, f64, f64)] = &[
            ("us-east-1", 0.0000166667, 0.0000133334, 0.20, 0.0000000309),
            ("us-east-2", 0.0000166667, 0.0000133334, 0.20, 0.0000000309),
            ("us-west-1", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("us-west-2", 0.0000166667, 0.0000133334, 0.20, 0.0000000309),
            ("ca-central-1", 0.0000166667, 0.0000133334, 0.20, 0.000000034),
            ("sa-east-1", 0.0000166667, 0.0000133334, 0.20, 0.0000000586),
            ("eu-central-1", 0.0000166667, 0.0000133334, 0.20, 0.0000000367),
            ("eu-central-2", 0.0000183334, 0.0000146667, 0.22, 0.0000000441),
            ("eu-west-1", 0.0000166667, 0.0000133334, 0.20, 0.000000034),
            ("eu-west-2", 0.0000166667, 0.0000133334, 0.20, 0.0000000358),
            ("eu-west-3", 0.0000166667, 0.0000133334, 0.20, 0.0000000358),
            ("eu-north-1", 0.0000166667, 0.0000133334, 0.20, 0.0000000323),
            ("eu-south-1", 0.0000195172, 0.0000156138, 0.23, 0.0000000357),
            ("af-south-1", 0.0000221, 0.00001768, 0.27, 0.0000000404),
            ("me-south-1", 0.0000206667, 0.0000165334, 0.25, 0.0000000374),
            ("ap-east-1", 0.00002292, 0.0000183, 0.28, 0.0000000407),
            ("ap-south-1", 0.0000166667, 0.0000133334, 0.20, 0.0000000352),
            ("ap-northeast-1", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("ap-northeast-2", 0.0000166667, 0.0000133334, 0.20, 0.0000000352),
            ("ap-northeast-3", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("ap-southeast-1", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("ap-southeast-2", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("ap-southeast-4", 0.0000166667, 0.0000133334, 0.20, 0.000000037),
            ("ap-southeast-5", 0.000015, 0.000012, 0.18, 0.0000000333),
        ];
        for &(region, x86, arm, per_million, storage) in expected {
            let p = lambda_price(region, Architecture::X86_64);
            let a = lambda_price(region, Architecture::Arm64);
            assert_eq!(
                (p.per_gb_second, a.per_gb_second, p.per_storage_gb_second),
                (x86, arm, storage),
                "{region}"
            );
            assert!(
                (p.per_request * 1e6 - per_million).abs() < 1e-12,
                "{region}"
            );
            assert_eq!((p.notice(), a.notice()), (None, None), "{region}");
            let source = if region == "us-east-1" {
                PAGE
            } else {
                CALCULATOR
            };
            assert_eq!(p.source, source, "{region}");
        }
        // The regions only the other table has: x86 and requests.
        for (region, x86, per_million) in [
            ("il-central-1", 0.0000175, 0.21),
            ("me-central-1", 0.0000206667, 0.25),
            ("ca-west-1", 0.0000166667, 0.20),
        ] {
            let p = lambda_price(region, Architecture::X86_64);
            assert_eq!(p.per_gb_second, x86, "{region}");
            assert!(
                (p.per_request * 1e6 - per_million).abs() < 1e-12,
                "{region}"
            );
            assert_eq!(p.source, TABLE_B);
        }
        let cn = lambda_price("cn-north-1", Architecture::X86_64);
        assert_eq!(cn.currency, Currency::Cny);
        assert_eq!(cn.per_request, 0.00000136);
    }

    #[test]
    fn a_figure_no_source_gives_is_us_east_1s_and_says_so() {
        // Tel Aviv's arm64 price is not published where we looked: not 0.8 x its x86 price.
        let arm = lambda_price("il-central-1", Architecture::Arm64);
        assert_eq!(arm.per_gb_second, ARM_BASE);
        let notice = arm.notice().unwrap();
        assert!(
            notice.contains("arm64 duration price in il-central-1"),
            "{notice}"
        );
        // Its storage price only matters to a function with more than 512 MB.
        let x86 = lambda_price("il-central-1", Architecture::X86_64);
        assert_eq!(x86.notice(), None);
        let big = x86.with_ephemeral_storage(2048);
        assert!(big.notice().unwrap().contains("ephemeral storage"));
    }

    #[test]
    fn a_region_billed_in_yuan_never_borrows_a_dollar_figure() {
        let beijing = lambda_price("cn-north-1", Architecture::X86_64).with_ephemeral_storage(2048);
        assert_eq!(beijing.per_storage_gb_second, 0.0);
        let notice = beijing.notice().unwrap();
        assert!(notice.contains("left out of the costs"), "{notice}");
        assert_eq!(
            beijing.duration_cost(1024, 1000.0),
            lambda_price("cn-north-1", Architecture::X86_64).duration_cost(1024, 1000.0)
        );
    }

    #[test]
    fn ephemeral_storage_above_512_mb_is_charged_for_the_same_milliseconds() {
        // 128 MB with 10 GB of storage in us-east-1: 9.5 GB x $0.0000000309 against
        // 0.125 GB x $0.0000166667 per second, about 14% more.
        let plain = lambda_price("us-east-1", Architecture::X86_64);
        let stored = plain.clone().with_ephemeral_storage(10240);
        let (a, b) = (
            plain.duration_cost(128, 1000.0),
            stored.duration_cost(128, 1000.0),
        );
        assert!((b - a - 9.5 * 0.0000000309).abs() < 1e-15, "{a} {b}");
        assert!(((b / a - 1.0) * 100.0 - 14.1).abs() < 0.1, "{}", b / a);
        // 512 MB of storage is free.
        let free = plain.clone().with_ephemeral_storage(512);
        assert_eq!(free.duration_cost(128, 1000.0), a);
    }

    #[test]
    fn arm_is_cheaper_than_x86_wherever_both_are_known() {
        for row in LAMBDA {
            if let (Some(x86), Some(arm)) = (row.x86, row.arm) {
                assert!(arm < x86, "{}", row.region);
            }
        }
    }

    #[test]
    fn unknown_region_falls_back_to_us_east_1_and_says_so() {
        for region in ["xx-nowhere-9", "mx-central-1", "ap-east-2", "us-gov-west-1"] {
            let p = lambda_price(region, Architecture::Arm64);
            assert_eq!(p.region, "us-east-1");
            assert_eq!(p.per_gb_second, ARM_BASE);
            assert_eq!(p.fallback_for.as_deref(), Some(region));
            assert!(p.notice().unwrap().contains(region));
        }
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
