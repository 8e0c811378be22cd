//! Lambda Managed Instances tuning: `managedInstances`, `capacityProviderArn`, `memorySizes`,
//! `memoryPerVcpu`, `concurrencies`, `loadSeconds`, `savingsPlanDiscount` and `vcpuHourPrice`
//! (core::managed says what each means and where its range comes from).

use super::reader::Reader;
use crate::managed::{ManagedInstances, CONCURRENCY, GIB_PER_VCPU, MAX_MEMORY_MB, MIN_MEMORY_MB};
use serde_json::Value;

/// The fields that only LMI tuning uses.
const ONLY_WITH: &[&str] = &[
    "capacityProviderArn",
    "memorySizes",
    "memoryPerVcpu",
    "concurrencies",
    "loadSeconds",
    "savingsPlanDiscount",
    "vcpuHourPrice",
];

pub(super) fn read(r: &mut Reader<'_>) -> Option<ManagedInstances> {
    if !r.bool("managedInstances") {
        for field in ONLY_WITH {
            if r.get(field).is_some() {
                r.reject(
                    field,
                    "is only used when tuning for Lambda Managed Instances (\"managedInstances\": true)",
                );
            }
        }
        return None;
    }
    let defaults = ManagedInstances::default();
    let capacity_provider_arn = r.string("capacityProviderArn").and_then(|arn| {
        if is_capacity_provider_arn(arn) {
            Some(arn.to_string())
        } else {
            r.reject(
                "capacityProviderArn",
                "must be a capacity provider's ARN: arn:aws:lambda:REGION:ACCOUNT:capacity-provider:NAME",
            );
            None
        }
    });
    let memory_mb = list(
        r,
        "memorySizes",
        |v| {
            v.as_u64()
                .filter(|m| (u64::from(MIN_MEMORY_MB)..=u64::from(MAX_MEMORY_MB)).contains(m))
                .map(|m| m as u32)
        },
        &format!("must be a list of memory sizes from {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB (the sizes Lambda Managed Instances run)"),
    )
    .unwrap_or(defaults.memory_mb.clone());
    let gib_per_vcpu = list(
        r,
        "memoryPerVcpu",
        |v| {
            v.as_f64()
                .filter(|g| (GIB_PER_VCPU.0..=GIB_PER_VCPU.1).contains(g))
        },
        "must be a list of GiB per vCPU from 2 to 8 (ExecutionEnvironmentMemoryGiBPerVCpu)",
    )
    .unwrap_or(defaults.gib_per_vcpu.clone());
    let concurrencies = list(
        r,
        "concurrencies",
        |v| {
            v.as_u64()
                .filter(|c| (u64::from(CONCURRENCY.0)..=u64::from(CONCURRENCY.1)).contains(c))
                .map(|c| c as u32)
        },
        "must be a list of concurrencies from 1 to 1600 (PerExecutionEnvironmentMaxConcurrency)",
    )
    .unwrap_or(defaults.concurrencies.clone());
    let load_seconds = match r.number("loadSeconds", "of seconds from 0.5 to 300") {
        None => defaults.load_seconds,
        Some(s) if (0.5..=300.0).contains(&s) => s,
        Some(_) => {
            r.reject("loadSeconds", "must be from 0.5 to 300 seconds");
            defaults.load_seconds
        }
    };
    let savings_plan_discount = match r.number("savingsPlanDiscount", "from 0 to 1") {
        None => 0.0,
        Some(d) if (0.0..1.0).contains(&d) => d,
        Some(_) => {
            r.reject(
                "savingsPlanDiscount",
                "must be a share from 0 to less than 1, such as 0.3 for a 30% Savings Plan",
            );
            0.0
        }
    };
    let vcpu_hour_price = match r.number("vcpuHourPrice", "of dollars per vCPU-hour") {
        None => None,
        Some(p) if p > 0.0 => Some(p),
        Some(_) => {
            r.reject("vcpuHourPrice", "must be a positive price per vCPU-hour, $");
            None
        }
    };
    let input = ManagedInstances {
        capacity_provider_arn,
        memory_mb,
        gib_per_vcpu,
        concurrencies,
        load_seconds,
        savings_plan_discount,
        vcpu_hour_price,
    };
    let (configurations, left_out) = input.configurations();
    if configurations.is_empty() {
        r.fail(
            "memorySizes",
            r.get("memorySizes"),
            format!(
                "with memoryPerVcpu gives no configuration: {}",
                left_out.join("; ")
            ),
        );
    }
    Some(input)
}

/// A list field: every item through `item`, sorted and without repeats; `None` when absent or
/// wrong (the problem recorded).
fn list<T: PartialOrd + Copy>(
    r: &mut Reader<'_>,
    field: &str,
    item: impl Fn(&Value) -> Option<T>,
    problem: &str,
) -> Option<Vec<T>> {
    let value = r.get(field)?;
    let items = match value {
        Value::Array(items) if !items.is_empty() => items,
        _ => {
            r.reject(field, problem.to_string());
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        match item(v) {
            Some(x) => out.push(x),
            None => {
                r.fail(field, Some(v), problem.to_string());
                return None;
            }
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    out.dedup();
    Some(out)
}

/// `arn:aws[-partition]:lambda:REGION:ACCOUNT:capacity-provider:NAME` (the API reference's
/// pattern for `CapacityProviderArn`).
fn is_capacity_provider_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [arn_, partition, service, region, account, kind, name] = parts[..] else {
        return false;
    };
    arn_ == "arn"
        && partition.starts_with("aws")
        && service == "lambda"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && kind == "capacity-provider"
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The JSON of the LMI fields, for the input document.
pub(super) fn to_json(m: &ManagedInstances, o: &mut serde_json::Map<String, Value>) {
    o.insert("managedInstances".into(), Value::from(true));
    if let Some(arn) = &m.capacity_provider_arn {
        o.insert("capacityProviderArn".into(), Value::from(arn.clone()));
    }
    o.insert("memorySizes".into(), Value::from(m.memory_mb.clone()));
    o.insert("memoryPerVcpu".into(), Value::from(m.gib_per_vcpu.clone()));
    o.insert("concurrencies".into(), Value::from(m.concurrencies.clone()));
    o.insert("loadSeconds".into(), Value::from(m.load_seconds));
    o.insert(
        "savingsPlanDiscount".into(),
        Value::from(m.savings_plan_discount),
    );
    if let Some(p) = m.vcpu_hour_price {
        o.insert("vcpuHourPrice".into(), Value::from(p));
    }
}

#[cfg(test)]
mod tests {
    use super::is_capacity_provider_arn;

    #[test]
    fn capacity_provider_arns() {
        assert!(is_capacity_provider_arn(
            "arn:aws:lambda:us-east-1:123456789012:capacity-provider:my_cp-1"
        ));
        assert!(is_capacity_provider_arn(
            "arn:aws-cn:lambda:cn-north-1:123456789012:capacity-provider:x"
        ));
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:1234:capacity-provider:x",
            "arn:aws:lambda:us-east-1:123456789012:capacity-provider:",
            "arn:aws:lambda:us-east-1:123456789012:capacity-provider:a/b",
            "my-provider",
        ] {
            assert!(!is_capacity_provider_arn(bad), "{bad}");
        }
    }
}
