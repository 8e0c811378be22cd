//! What each invocation sends: one static payload, or weighted payloads spread over `num`
//! invocations exactly as the reference project spreads them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The payload part of the execution input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Payload {
    /// Every invocation sends the same document (a JSON object, array, number, string, ...).
    Static(Value),
    /// A non-empty list of `{ "payload": ..., "weight": w }` items with positive weights.
    Weighted(Vec<WeightedPayload>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// One item of a weighted payload.
pub struct WeightedPayload {
    /// What the invocations of this item send.
    pub payload: Value,
    /// Its share of the invocations, relative to the other items' weights.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
/// Why a payload cannot be spread over the invocations.
pub enum PayloadError {
    #[error("There are {items} weighted payloads but \"num\" is {num}: every payload needs at least one invocation, so raise \"num\" to at least {items}.")]
    /// More weighted items than invocations.
    MoreItemsThanInvocations {
        /// How many weighted items there are.
        items: usize,
        /// The invocations per power value.
        num: u32,
    },
    #[error("Weighted payload {index} (weight {weight}) gets no invocation out of \"num\" {num}: floor({weight} x {num} / {total}) is 0. Raise its weight or \"num\".")]
    /// An item's weight is too small to get an invocation.
    WeightTooSmall {
        /// The item's position.
        index: usize,
        /// Its weight.
        weight: f64,
        /// The invocations per power value.
        num: u32,
        /// The sum of all weights.
        total: f64,
    },
    #[error("Weighted payload {index} has weight {weight}: weights must be positive numbers.")]
    /// An item's weight is not a positive number.
    InvalidWeight {
        /// The item's position.
        index: usize,
        /// The weight as given.
        weight: String,
    },
    #[error("Items {weighted:?} of the payload array have both \"payload\" and \"weight\" but items {plain:?} do not. Give every item a \"payload\" and a positive \"weight\" to spread invocations, or none of them to send the array as it is.")]
    /// Some items are weighted and some are not.
    PartlyWeighted {
        /// The positions of the weighted items.
        weighted: Vec<usize>,
        /// The positions of the others.
        plain: Vec<usize>,
    },
}

impl Payload {
    /// Interprets the execution input's `payload` value. An array whose every item is an object
    /// with `payload` and `weight` is a weighted payload; an array where only some items are is
    /// rejected, because sending it as-is would silently ignore the weights the user wrote.
    pub fn from_value(value: Value) -> Result<Payload, PayloadError> {
        let Value::Array(items) = &value else {
            return Ok(Payload::Static(value));
        };
        let looks_weighted = |item: &Value| {
            item.as_object()
                .is_some_and(|o| o.contains_key("payload") && o.contains_key("weight"))
        };
        let (weighted, plain): (Vec<usize>, Vec<usize>) =
            (0..items.len()).partition(|&i| looks_weighted(&items[i]));
        if weighted.is_empty() {
            return Ok(Payload::Static(value));
        }
        if !plain.is_empty() {
            return Err(PayloadError::PartlyWeighted { weighted, plain });
        }
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let weight = &item["weight"];
            match weight.as_f64() {
                Some(w) if w.is_finite() && w > 0.0 => out.push(WeightedPayload {
                    payload: item["payload"].clone(),
                    weight: w,
                }),
                _ => {
                    return Err(PayloadError::InvalidWeight {
                        index,
                        weight: weight.to_string(),
                    })
                }
            }
        }
        Ok(Payload::Weighted(out))
    }

    /// The payload part as the execution input writes it.
    pub fn to_value(&self) -> Value {
        match self {
            Payload::Static(v) => v.clone(),
            Payload::Weighted(items) => Value::Array(
                items
                    .iter()
                    .map(|i| serde_json::json!({ "payload": i.payload, "weight": i.weight }))
                    .collect(),
            ),
        }
    }

    /// How many invocations each payload gets out of `num`, in order.
    pub fn plan(&self, num: u32) -> Result<PayloadPlan, PayloadError> {
        match self {
            Payload::Static(value) => Ok(PayloadPlan {
                runs: vec![(encode(value).into(), num)],
            }),
            Payload::Weighted(items) => {
                let counts =
                    weighted_counts(&items.iter().map(|i| i.weight).collect::<Vec<_>>(), num)?;
                Ok(PayloadPlan {
                    runs: items
                        .iter()
                        .zip(counts)
                        .map(|(item, count)| (encode(&item.payload).into(), count))
                        .collect(),
                })
            }
        }
    }
}

/// The reference's distribution: item i gets floor(weight_i x num / total), and the last item
/// takes whatever is left. An item whose share rounds down to zero is an error.
pub(crate) fn weighted_counts(weights: &[f64], num: u32) -> Result<Vec<u32>, PayloadError> {
    if weights.len() > num as usize {
        return Err(PayloadError::MoreItemsThanInvocations {
            items: weights.len(),
            num,
        });
    }
    let total: f64 = weights.iter().sum();
    let mut counts = Vec::with_capacity(weights.len());
    let mut done: u32 = 0;
    for (index, &weight) in weights.iter().enumerate() {
        let share = (weight * f64::from(num) / total).floor();
        if !share.is_finite() || share < 1.0 {
            return Err(PayloadError::WeightTooSmall {
                index,
                weight,
                num,
                total,
            });
        }
        let count = if index == weights.len() - 1 {
            num - done
        } else {
            // share <= num because weight <= total; `as` saturates regardless.
            (share as u32).min(num - done)
        };
        counts.push(count);
        done += count;
    }
    Ok(counts)
}

/// The bytes to send for a payload document. A string that holds JSON is sent as-is (the
/// reference's behaviour, so `"{\"a\":1}"` sends the object); any other string is sent as a
/// JSON string; everything else is serialized.
pub fn encode(value: &Value) -> String {
    match value {
        Value::String(s) if serde_json::from_str::<Value>(s).is_ok() => s.clone(),
        other => other.to_string(),
    }
}

/// The payload of every invocation of one power value, as runs of identical payloads. Each
/// distinct payload is one shared buffer: a 230 KB payload invoked 600 times is 230 KB, not
/// 138 MB.
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadPlan {
    /// (encoded payload, how many consecutive invocations send it)
    pub runs: Vec<(Arc<str>, u32)>,
}

impl PayloadPlan {
    /// How many payloads there are (one per invocation).
    pub fn len(&self) -> usize {
        self.runs.iter().map(|(_, n)| *n as usize).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload of invocation `i` (0-based), or `None` past the end: the shared buffer.
    pub fn get(&self, mut i: usize) -> Option<&Arc<str>> {
        for (body, n) in &self.runs {
            if i < *n as usize {
                return Some(body);
            }
            i -= *n as usize;
        }
        None
    }

    /// The same payloads, reordered so that every prefix sends each payload in proportion to
    /// its count (smooth weighted round robin). Adaptive sampling stops a power value after a
    /// prefix of its invocations, which must still carry the weighted mix.
    pub fn interleaved(&self) -> PayloadPlan {
        let total: i64 = self.runs.iter().map(|(_, n)| i64::from(*n)).sum();
        let mut credit: Vec<i64> = vec![0; self.runs.len()];
        let mut runs: Vec<(Arc<str>, u32)> = Vec::with_capacity(total as usize);
        for _ in 0..total {
            for (c, (_, n)) in credit.iter_mut().zip(&self.runs) {
                *c += i64::from(*n);
            }
            let Some(next) = (0..credit.len()).max_by_key(|&k| (credit[k], std::cmp::Reverse(k)))
            else {
                break;
            };
            credit[next] -= total;
            match runs.last_mut() {
                Some((body, n)) if *body == self.runs[next].0 => *n += 1,
                _ => runs.push((Arc::clone(&self.runs[next].0), 1)),
            }
        }
        PayloadPlan { runs }
    }

    /// Every invocation's payload in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.runs
            .iter()
            .flat_map(|(body, n)| std::iter::repeat_n(&**body, *n as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn counts(weights: &[f64], num: u32) -> Result<Vec<u32>, PayloadError> {
        weighted_counts(weights, num)
    }

    #[test]
    fn weighted_counts_match_the_reference_examples() {
        assert_eq!(counts(&[1.0, 1.0, 1.0], 100).unwrap(), vec![33, 33, 34]);
        assert_eq!(counts(&[1.0; 4], 23).unwrap(), vec![5, 5, 5, 8]);
        assert_eq!(counts(&[0.5, 0.25, 0.25], 50).unwrap(), vec![25, 12, 13]);
        assert_eq!(counts(&[1.0, 1.0], 100).unwrap(), vec![50, 50]);
        assert_eq!(counts(&[1.0; 3], 20).unwrap(), vec![6, 6, 8]);
        assert_eq!(counts(&[1.0; 5], 54).unwrap(), vec![10, 10, 10, 10, 14]);
        let mut expected = vec![1; 25];
        expected.push(5);
        assert_eq!(counts(&[1.0; 26], 30).unwrap(), expected);
    }

    #[test]
    fn interleaved_plans_keep_the_mix_in_every_prefix() {
        let plan = PayloadPlan {
            runs: vec![("a".into(), 6), ("b".into(), 3), ("c".into(), 1)],
        };
        let order: String = plan.interleaved().iter().collect();
        assert_eq!(order, "abaabacaba");
        // Every payload keeps its count, and every prefix is within one of its share.
        for k in 1..=10 {
            let prefix = &order[..k];
            for (body, n) in &plan.runs {
                let have = prefix.matches(&**body).count() as f64;
                let share = *n as f64 * k as f64 / 10.0;
                assert!(
                    (have - share).abs() < 1.0 + 1e-9,
                    "{prefix}: {body} {have} vs {share}"
                );
            }
        }
        let one = PayloadPlan {
            runs: vec![("x".into(), 4)],
        };
        assert_eq!(one.interleaved(), one);
    }

    #[test]
    fn a_weight_too_small_for_one_invocation_is_an_error() {
        let err = counts(&[10.0, 60.0, 30.0], 5).unwrap_err();
        assert!(matches!(err, PayloadError::WeightTooSmall { index: 0, .. }));
        assert!(err.to_string().contains("Weighted payload 0"));
    }

    #[test]
    fn more_items_than_invocations_is_an_error() {
        let err = counts(&[1.0; 6], 5).unwrap_err();
        assert_eq!(
            err,
            PayloadError::MoreItemsThanInvocations { items: 6, num: 5 }
        );
    }

    #[test]
    fn strings_holding_json_are_sent_as_is() {
        for s in [r#"{"test": true}"#, "[]", "true", "null", "12"] {
            assert_eq!(encode(&json!(s)), s);
        }
    }

    #[test]
    fn other_strings_are_json_encoded() {
        assert_eq!(encode(&json!("test")), r#""test""#);
        assert_eq!(encode(&json!("")), r#""""#);
        assert_eq!(encode(&json!(" ")), r#"" ""#);
    }

    #[test]
    fn documents_are_serialized() {
        assert_eq!(encode(&json!(null)), "null");
        assert_eq!(encode(&json!({})), "{}");
        assert_eq!(encode(&json!({"test": true})), r#"{"test":true}"#);
        assert_eq!(encode(&json!([1, 2, 3])), "[1,2,3]");
        assert_eq!(encode(&json!(["ok", {}])), r#"["ok",{}]"#);
    }

    #[test]
    fn arrays_without_weights_are_static_payloads() {
        for v in [
            json!([]),
            json!([{}]),
            json!([1, 2, 3]),
            json!([{"weight": 1}]),
            json!([{"payload": {}}]),
        ] {
            let p = Payload::from_value(v.clone()).unwrap();
            assert_eq!(p, Payload::Static(v.clone()));
            let plan = p.plan(10).unwrap();
            assert_eq!(plan.len(), 10);
            let expected = v.to_string();
            assert!(plan.iter().all(|b| b == expected));
        }
    }

    #[test]
    fn weighted_arrays_become_a_plan() {
        let p = Payload::from_value(json!([
            {"payload": {"test": "A"}, "weight": 1},
            {"payload": {"test": "B"}, "weight": 1},
            {"payload": "C", "weight": 2},
        ]))
        .unwrap();
        let plan = p.plan(8).unwrap();
        assert_eq!(
            plan.runs
                .iter()
                .map(|(b, n)| (b.to_string(), *n))
                .collect::<Vec<_>>(),
            vec![
                (r#"{"test":"A"}"#.to_string(), 2),
                (r#"{"test":"B"}"#.to_string(), 2),
                (r#""C""#.into(), 4)
            ]
        );
        assert_eq!(plan.get(0).map(|b| &**b), Some(r#"{"test":"A"}"#));
        assert_eq!(plan.get(3).map(|b| &**b), Some(r#"{"test":"B"}"#));
        assert_eq!(plan.get(7).map(|b| &**b), Some(r#""C""#));
        assert_eq!(plan.get(8), None);
        assert_eq!(plan.iter().count(), 8);
        assert_eq!(Payload::from_value(p.to_value()).unwrap(), p);
    }

    #[test]
    fn partly_weighted_arrays_are_rejected() {
        let err = Payload::from_value(json!([
            {"payload": {}, "weight": 1},
            {"payload": {}},
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            PayloadError::PartlyWeighted {
                weighted: vec![0],
                plain: vec![1]
            }
        );
    }

    #[test]
    fn non_positive_weights_are_rejected() {
        for w in [json!(0), json!(-1), json!("2"), json!(null)] {
            let err = Payload::from_value(json!([{"payload": 1, "weight": w}])).unwrap_err();
            assert!(
                matches!(err, PayloadError::InvalidWeight { index: 0, .. }),
                "{w}"
            );
        }
    }

    proptest! {
        #[test]
        fn weighted_counts_always_sum_to_num(
            weights in proptest::collection::vec(0.001f64..1000.0, 1..20),
            num in 1u32..5000,
        ) {
            if let Ok(c) = weighted_counts(&weights, num) {
                prop_assert_eq!(c.iter().map(|&n| n as u64).sum::<u64>(), num as u64);
                prop_assert!(c.iter().all(|&n| n >= 1));
            }
        }
    }
}
