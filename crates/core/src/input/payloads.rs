//! What each invocation sends: `payload` (static or weighted), `payloadS3`, and the pre- and
//! post-processors.

use super::reader::Reader;
use super::{FunctionRef, S3Location};
use crate::payload::Payload;
use serde_json::Value;

/// The payload fields, read.
pub(super) struct Payloads {
    pub payload: Option<Payload>,
    pub payload_s3: Option<S3Location>,
    pub pre_processor: Option<FunctionRef>,
    pub post_processor: Option<FunctionRef>,
}

/// `num` and `dry_run` decide whether a weighted payload's weights can be honoured.
pub(super) fn read(r: &mut Reader<'_>, num: u32, dry_run: bool) -> Payloads {
    let given = r.object.get("payload").is_some();
    let payload = match r.get("payload") {
        None if given => Some(Payload::Static(Value::Null)),
        None => None,
        Some(v) => match Payload::from_value(v.clone()) {
            Ok(p) => Some(p),
            Err(e) => {
                r.reject("payload", e.to_string());
                None
            }
        },
    };
    if let Some(plan_error) = payload
        .as_ref()
        .and_then(|p| p.plan(num).err())
        .filter(|_| !dry_run)
    {
        r.reject("payload", plan_error.to_string());
    }

    let payload_s3 = r
        .string("payloadS3")
        .and_then(|s| match S3Location::parse(s) {
            Ok(l) => Some(l),
            Err(problem) => {
                r.reject("payloadS3", problem);
                None
            }
        });
    if payload_s3.is_some() && given {
        r.reject(
            "payloadS3",
            "give either \"payload\" or \"payloadS3\", not both: the S3 object would replace the payload",
        );
    }
    Payloads {
        payload,
        payload_s3,
        pre_processor: r.function("preProcessorARN"),
        post_processor: r.function("postProcessorARN"),
    }
}
