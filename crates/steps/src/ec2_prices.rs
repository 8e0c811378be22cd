//! EC2 on-demand prices from the AWS Price List Query API (`GetProducts`), for an AWS run's
//! Lambda Managed Instances analysis: the instances of `core::managed::prices::FAMILIES` in
//! the function's region, Linux, shared tenancy, no pre-installed software, capacity used (the
//! filters that leave one product per instance type). The API is served in us-east-1
//! ("api.pricing.us-east-1.amazonaws.com"; the Billing User Guide's "Using the AWS Price List
//! Query API"), whatever the function's region. What cannot be read is said and priced from
//! the bundled table, never guessed.

use crate::error::StepError;
use aws_sdk_pricing::types::{Filter, FilterType};
use powertune_core::managed::prices::{InstancePrices, FAMILIES};
use powertune_core::pricing::Architecture;

/// The region whose endpoint serves the Price List Query API.
pub const PRICE_LIST_REGION: &str = "us-east-1";

/// A Price List Query API client.
#[derive(Clone)]
pub struct PricingApi {
    client: aws_sdk_pricing::Client,
}

impl PricingApi {
    /// The API over `client` (configured for [`PRICE_LIST_REGION`]).
    pub fn new(client: aws_sdk_pricing::Client) -> Self {
        PricingApi { client }
    }

    /// The families' instances of `architecture` in `region`; `today` dates the source.
    pub async fn instance_prices(
        &self,
        region: &str,
        architecture: Architecture,
        today: &str,
    ) -> InstancePrices {
        let mut prices = InstancePrices {
            region: region.to_string(),
            source: format!("the AWS Price List API for {region}, read {today}"),
            hourly: Vec::new(),
            missing: Vec::new(),
        };
        for family in FAMILIES {
            let (instance, _) = match architecture {
                Architecture::X86_64 => family.x86,
                Architecture::Arm64 => family.arm,
            };
            match self.hourly(region, instance).await {
                Ok(Some(price)) => prices.hourly.push((instance.to_string(), price)),
                Ok(None) => prices.missing.push(format!(
                    "{instance}: the Price List has no on-demand Linux price in {region}"
                )),
                Err(e) => prices.missing.push(format!("{instance}: {e}")),
            }
        }
        prices
    }

    /// The on-demand Linux price per hour of `instance` in `region`, when the Price List has it.
    async fn hourly(&self, region: &str, instance: &str) -> Result<Option<f64>, StepError> {
        let filter = |field: &str, value: &str| {
            Filter::builder()
                .r#type(FilterType::TermMatch)
                .field(field)
                .value(value)
                .build()
                .map_err(|e| StepError::UnexpectedResponse(format!("a Price List filter: {e}")))
        };
        let out = self
            .client
            .get_products()
            .service_code("AmazonEC2")
            .format_version("aws_v1")
            .filters(filter("instanceType", instance)?)
            .filters(filter("regionCode", region)?)
            .filters(filter("operatingSystem", "Linux")?)
            .filters(filter("tenancy", "Shared")?)
            .filters(filter("preInstalledSw", "NA")?)
            .filters(filter("capacitystatus", "Used")?)
            .max_results(10)
            .send()
            .await
            .map_err(|e| {
                StepError::aws(
                    "Pricing",
                    &format!("GetProducts of {instance} in {region}"),
                    e,
                )
            })?;
        Ok(out
            .price_list()
            .iter()
            .find_map(|item| on_demand_hourly(item)))
    }
}

/// The on-demand price per hour, $, of one Price List product (a JSON document:
/// `terms.OnDemand.<offer>.priceDimensions.<dimension>.pricePerUnit.USD`, unit `Hrs`), when it
/// has one that is not zero.
pub fn on_demand_hourly(product: &str) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(product).ok()?;
    doc["terms"]["OnDemand"]
        .as_object()?
        .values()
        .filter_map(|offer| offer["priceDimensions"].as_object())
        .flat_map(|dimensions| dimensions.values())
        .filter(|d| d["unit"] == "Hrs")
        .filter_map(|d| d["pricePerUnit"]["USD"].as_str()?.parse::<f64>().ok())
        .find(|p| *p > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_on_demand_hourly_price_is_read_from_a_price_list_product() {
        // The shape GetProducts returns (Billing User Guide, "Reading the price list file":
        // product, then terms by offer, price dimensions, pricePerUnit in USD).
        let product = serde_json::json!({
            "product": {"productFamily": "Compute Instance", "attributes": {
                "instanceType": "c7i.large", "regionCode": "eu-west-1", "operatingSystem": "Linux",
                "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"ABC.JRTCKXETXF": {"priceDimensions": {
                "ABC.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0966000000"},
                    "description": "$0.0966 per On Demand Linux c7i.large Instance Hour"}}}}},
            "version": "20261101", "publicationDate": "2026-11-01T00:00:00Z"
        })
        .to_string();
        assert_eq!(on_demand_hourly(&product), Some(0.0966));
        // A reserved term alone, a zero price, or not JSON: no price.
        let reserved = product.replace("OnDemand", "Reserved");
        assert_eq!(on_demand_hourly(&reserved), None);
        assert_eq!(
            on_demand_hourly(&product.replace("0.0966000000", "0.0000000000")),
            None
        );
        assert_eq!(on_demand_hourly("{"), None);
    }
}
