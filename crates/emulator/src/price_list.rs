//! The AWS Price List Query API's `GetProducts` (awsJson1.1: `POST /` with `X-Amz-Target:
//! AWSPriceListService.GetProducts`), over EC2 instance prices a test sets through the admin
//! API (`POST /_powertune/prices`): the emulator holds no price of its own, so an empty list
//! answers as the Price List does for a product it lacks, with no products.
//!
//! A product is answered in the Price List's shape (Billing User Guide, "Reading the price list
//! file"): its `product.attributes` (those a filter names), and `terms.OnDemand` with one price
//! dimension per hour in USD; `PriceList` holds each product as a JSON string.

use serde::Deserialize;
use serde_json::{json, Value};

/// One EC2 instance price: what `POST /_powertune/prices` takes, as a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstancePrice {
    /// `regionCode`, such as `eu-west-1`.
    pub region_code: String,
    /// `instanceType`, such as `c7i.large`.
    pub instance_type: String,
    /// The on-demand Linux price per hour, $.
    pub usd_per_hour: f64,
}

/// An awsJson1.1 error: its `__type` and message.
#[derive(Debug)]
pub struct PricingError {
    /// The error code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The attributes every product here has, beside its region and instance type: an on-demand
/// Linux instance on shared tenancy with no pre-installed software, capacity used.
const FIXED: &[(&str, &str)] = &[
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("licenseModel", "No License required"),
];

/// Answers `operation` with `body` over `prices`.
pub fn call(
    operation: &str,
    body: &Value,
    prices: &[InstancePrice],
) -> Result<Value, PricingError> {
    if operation != "GetProducts" {
        return Err(PricingError {
            code: "UnknownOperationException",
            message: format!("The emulator's Price List answers GetProducts only, not {operation}"),
        });
    }
    if body["ServiceCode"] != "AmazonEC2" {
        // The Price List lists other services; the emulator prices EC2 instances only.
        return Ok(json!({"FormatVersion": "aws_v1", "PriceList": []}));
    }
    let mut filters = Vec::new();
    for f in body["Filters"].as_array().into_iter().flatten() {
        let (Some(field), Some(value)) = (f["Field"].as_str(), f["Value"].as_str()) else {
            return Err(PricingError {
                code: "InvalidParameterException",
                message: "A filter needs a Field and a Value".into(),
            });
        };
        if f["Type"] != "TERM_MATCH" {
            return Err(PricingError {
                code: "InvalidParameterException",
                message: format!(
                    "Filter type {} is not supported here (TERM_MATCH is)",
                    f["Type"]
                ),
            });
        }
        filters.push((field.to_string(), value.to_string()));
    }
    let list: Vec<String> = prices
        .iter()
        .map(product)
        .filter(|p| {
            filters.iter().all(|(field, value)| {
                p["product"]["attributes"][field.as_str()]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
        })
        .map(|p| p.to_string())
        .collect();
    Ok(json!({"FormatVersion": "aws_v1", "PriceList": list}))
}

/// One price as a Price List product.
fn product(price: &InstancePrice) -> Value {
    let mut attributes = serde_json::Map::new();
    attributes.insert("instanceType".into(), json!(price.instance_type));
    attributes.insert("regionCode".into(), json!(price.region_code));
    for (field, value) in FIXED {
        attributes.insert((*field).into(), json!(value));
    }
    let sku = format!("EMU{}{}", price.region_code, price.instance_type).replace(['.', '-'], "");
    json!({
        "product": {"productFamily": "Compute Instance", "sku": sku, "attributes": attributes},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {format!("{sku}.JRTCKXETXF"): {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "priceDimensions": {format!("{sku}.JRTCKXETXF.6YS6EN2CT7"): {
                "unit": "Hrs",
                "pricePerUnit": {"USD": format!("{:.10}", price.usd_per_hour)},
                "description": format!("${} per On Demand Linux {} Instance Hour", price.usd_per_hour, price.instance_type),
            }},
        }}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> Vec<InstancePrice> {
        vec![
            InstancePrice {
                region_code: "eu-west-1".into(),
                instance_type: "c7i.large".into(),
                usd_per_hour: 0.0966,
            },
            InstancePrice {
                region_code: "us-east-1".into(),
                instance_type: "c7i.large".into(),
                usd_per_hour: 0.08925,
            },
        ]
    }

    #[test]
    fn get_products_answers_the_products_every_filter_matches() {
        let body = json!({"ServiceCode": "AmazonEC2", "Filters": [
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "c7i.large"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
            {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"}]});
        let answer = call("GetProducts", &body, &prices()).unwrap();
        let list = answer["PriceList"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        let product: Value = serde_json::from_str(list[0].as_str().unwrap()).unwrap();
        assert_eq!(product["product"]["attributes"]["regionCode"], "eu-west-1");
        let text = list[0].as_str().unwrap();
        assert!(text.contains("\"USD\":\"0.0966000000\""), "{text}");
        // Windows, or an instance it lacks: none.
        let windows = json!({"ServiceCode": "AmazonEC2", "Filters": [
            {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Windows"}]});
        assert_eq!(
            call("GetProducts", &windows, &prices()).unwrap()["PriceList"],
            json!([])
        );
        assert!(call("DescribeServices", &body, &prices()).is_err());
    }
}
