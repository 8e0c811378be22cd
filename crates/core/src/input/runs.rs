//! How the function is run: `dryRun`, `num`, `powerValues`, `onlyColdStarts`, `coldSamples`,
//! `statisticalTies`, `adaptive`, `minNum` and `discardTopBottom`.

use super::reader::Reader;
use super::{
    all_power_values, Defaults, DEFAULT_DISCARD_TOP_BOTTOM, MAX_COLD_SAMPLES,
    MAX_DISCARD_TOP_BOTTOM, MAX_POWER, MIN_NUM, MIN_POWER,
};
use serde_json::Value;

/// The run's fields, read.
pub(super) struct Runs {
    pub dry_run: bool,
    pub num: u32,
    pub power_values: Vec<u32>,
    pub only_cold_starts: bool,
    pub cold_samples: u32,
    pub statistical_ties: bool,
    pub adaptive: bool,
    pub min_num: u32,
    pub discard_top_bottom: f64,
}

pub(super) fn read(r: &mut Reader<'_>, defaults: &Defaults) -> Runs {
    let dry_run = r.bool("dryRun");
    let num = read_num(r, dry_run);
    let power_values = read_power_values(r, defaults);
    let only_cold_starts = r.bool("onlyColdStarts");
    let cold_samples = read_cold_samples(r, only_cold_starts);
    let statistical_ties = r.get("statisticalTies").is_none() || r.bool("statisticalTies");
    let (adaptive, min_num) = read_adaptive(r, num, dry_run, statistical_ties);
    let discard_top_bottom = read_discard_top_bottom(r, only_cold_starts);
    Runs {
        dry_run,
        num,
        power_values,
        only_cold_starts,
        cold_samples,
        statistical_ties,
        adaptive,
        min_num,
        discard_top_bottom,
    }
}

/// `coldSamples`: cold starts per power value, 1 to [`MAX_COLD_SAMPLES`] (default 1: the first
/// invocation's). Each one past the first is a version of its own, invoked once.
fn read_cold_samples(r: &mut Reader<'_>, only_cold_starts: bool) -> u32 {
    const FIELD: &str = "coldSamples";
    let n = match r.integer(FIELD, &format!("from 1 to {MAX_COLD_SAMPLES}")) {
        None => return 1,
        Some(n) if (1..=i64::from(MAX_COLD_SAMPLES)).contains(&n) => n as u32,
        Some(_) => {
            r.reject(
                FIELD,
                format!("must be from 1 to {MAX_COLD_SAMPLES}: the cold starts measured per power value, each past the first a version of its own"),
            );
            return 1;
        }
    };
    if only_cold_starts && n > 1 {
        r.reject(
            FIELD,
            "cannot be combined with \"onlyColdStarts\": every invocation is then a cold start already",
        );
        return 1;
    }
    n
}

fn read_num(r: &mut Reader<'_>, dry_run: bool) -> u32 {
    match r.integer(
        "num",
        "of at least 5 (any positive number with \"dryRun\": true)",
    ) {
        Some(n) if n >= i64::from(MIN_NUM) && n <= i64::from(u32::MAX) => n as u32,
        Some(n) if dry_run && n >= 1 && n <= i64::from(u32::MAX) => n as u32,
        Some(_) => {
            let allowed = if dry_run {
                "must be at least 1"
            } else {
                "must be at least 5 (or set \"dryRun\": true)"
            };
            r.reject("num", allowed);
            MIN_NUM
        }
        None if r.get("num").is_some() => MIN_NUM,
        None if dry_run => 1,
        // A Lambda Managed Instances run on AWS has no on-demand side to invoke (the function
        // cannot run on demand), and a local one fills in the command line's default: not
        // required, and the least when missing.
        None if r.bool("managedInstances") => MIN_NUM,
        None => {
            r.fail(
                "num",
                None,
                "give the number of invocations per power value, at least 5",
            );
            MIN_NUM
        }
    }
}

fn read_discard_top_bottom(r: &mut Reader<'_>, only_cold_starts: bool) -> f64 {
    match r.number("discardTopBottom", "from 0 to 0.4") {
        None if only_cold_starts => 0.0,
        None => DEFAULT_DISCARD_TOP_BOTTOM,
        // The reference forces 0 here; a value the user gave is not silently replaced.
        Some(d) if only_cold_starts && d > 0.0 => {
            r.reject(
                "discardTopBottom",
                "must be 0 with \"onlyColdStarts\": every invocation is a cold start, and trimming would drop the cold starts being measured. Remove it or set it to 0",
            );
            0.0
        }
        Some(d) if (0.0..=MAX_DISCARD_TOP_BOTTOM).contains(&d) => d,
        Some(d) => {
            r.reject(
                "discardTopBottom",
                "must be from 0 to 0.4 (the share of results dropped at each end)",
            );
            d.clamp(0.0, MAX_DISCARD_TOP_BOTTOM)
        }
    }
}

/// `adaptive` and `minNum`: rounds that start at `minNum` invocations and end at `num` at the
/// most. Adaptive sampling stops on the statistical test, so it needs `statisticalTies`; a dry
/// run has nothing to sample.
fn read_adaptive(
    r: &mut Reader<'_>,
    num: u32,
    dry_run: bool,
    statistical_ties: bool,
) -> (bool, u32) {
    let adaptive = r.bool("adaptive");
    if adaptive && dry_run {
        r.reject(
            "adaptive",
            "cannot be combined with \"dryRun\": a dry run invokes each power value once, so there is nothing to sample adaptively",
        );
    }
    if adaptive && !statistical_ties {
        r.reject(
            "adaptive",
            "needs statistical ties: adaptive sampling stops once the statistical test settles the decision. Remove \"statisticalTies\": false, or \"adaptive\"",
        );
    }
    let min_num = match r.integer("minNum", "of at least 5, and at most \"num\"") {
        None => MIN_NUM.min(num),
        Some(n) if !adaptive => {
            r.reject(
                "minNum",
                "is the first round of adaptive sampling, so it needs \"adaptive\": true",
            );
            n.clamp(1, i64::from(num)) as u32
        }
        Some(n) if n >= i64::from(MIN_NUM) && n <= i64::from(num) => n as u32,
        Some(n) => {
            r.reject(
                "minNum",
                format!("must be from 5 to \"num\" ({num}): every power value gets at least 5 invocations, and \"num\" is the most it gets"),
            );
            n.clamp(1, i64::from(num)) as u32
        }
    };
    (adaptive, min_num)
}

fn read_power_values(r: &mut Reader<'_>, defaults: &Defaults) -> Vec<u32> {
    const ALLOWED: &str = "must be a list of integers from 128 to 10240 (MB), or \"ALL\"";
    let mut values = match r.get("powerValues") {
        None if defaults.power_values.is_empty() => {
            r.fail(
                "powerValues",
                None,
                "give a list of memory sizes; this deployment has no default PowerValues",
            );
            return Vec::new();
        }
        None => defaults.power_values.clone(),
        Some(Value::String(s)) if s == "ALL" => return all_power_values(),
        Some(Value::Array(items)) if items.is_empty() => {
            r.fail(
                "powerValues",
                r.get("powerValues"),
                "must list at least one memory size",
            );
            return Vec::new();
        }
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let value = item.as_u64().or_else(|| {
                    item.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                });
                match value {
                    Some(v) if (u64::from(MIN_POWER)..=u64::from(MAX_POWER)).contains(&v) => {
                        out.push(v as u32)
                    }
                    Some(_) => r.fail(
                        "powerValues",
                        Some(item),
                        "is outside 128..=10240 MB, the memory sizes Lambda accepts",
                    ),
                    None => r.fail("powerValues", Some(item), "is not an integer number of MB"),
                }
            }
            out
        }
        Some(v) => {
            r.fail("powerValues", Some(v), ALLOWED);
            return Vec::new();
        }
    };
    values.sort_unstable();
    values.dedup();
    values
}
