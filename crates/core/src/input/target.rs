//! `lambdaARN`: the function to tune, unqualified (tuning works on `$LATEST`).

use super::reader::Reader;
use super::FunctionRef;

/// The function, or `None` (with the problem recorded) when it is missing or not one.
pub(super) fn read(r: &mut Reader<'_>) -> Option<FunctionRef> {
    let lambda = match r.get("lambdaARN") {
        None => {
            r.fail(
                "lambdaARN",
                None,
                "give the ARN or name of the function to tune",
            );
            None
        }
        Some(_) => r.function("lambdaARN"),
    };
    if let Some(q) = lambda.as_ref().and_then(|l| l.qualifier.clone()) {
        r.reject(
            "lambdaARN",
            format!("is qualified with \"{q}\", but tuning works on $LATEST: powertune publishes its own versions and aliases. Remove \":{q}\"."),
        );
    }
    lambda
}
