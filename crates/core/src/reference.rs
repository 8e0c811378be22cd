//! References the execution input makes to things outside it: a Lambda function (a name, a
//! partial ARN or a full ARN, with its region and qualifier) and an S3 object.

use std::fmt;

/// A reference to a Lambda function, as `lambdaARN` or a processor ARN gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// What the user wrote, which the Lambda API accepts as `FunctionName`.
    pub given: String,
    /// The function's name.
    pub name: String,
    /// The partition (`aws`, `aws-cn`), when the reference is an ARN.
    pub partition: Option<String>,
    /// The region, when the reference is an ARN.
    pub region: Option<String>,
    /// The account, when the reference is a partial or full ARN.
    pub account: Option<String>,
    /// A version or alias, when the reference has one (never `$LATEST`).
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// Parses a function name, a partial ARN (`123456789012:function:name`) or a full ARN, each
    /// optionally followed by `:qualifier`. `$LATEST` as a qualifier is the same as none.
    pub fn parse(s: &str) -> Result<FunctionRef, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("must be a Lambda function name or ARN, and is empty".into());
        }
        let parts: Vec<&str> = s.split(':').collect();
        let (partition, region, account, rest): (_, _, _, &[&str]) = if parts[0] == "arn" {
            if parts.len() < 7 {
                return Err("is not a Lambda function ARN: expected arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME".into());
            }
            if parts[2] != "lambda" {
                return Err(format!(
                    "is an ARN of service \"{}\", not of a Lambda function",
                    parts[2]
                ));
            }
            if parts[5] != "function" {
                return Err(format!(
                    "is a Lambda \"{}\" ARN, not a function ARN (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME)",
                    parts[5]
                ));
            }
            if !is_region(parts[3]) {
                return Err(format!("has \"{}\" where the region should be", parts[3]));
            }
            if !is_account(parts[4]) {
                return Err(format!(
                    "has \"{}\" where the 12-digit account ID should be",
                    parts[4]
                ));
            }
            (Some(parts[1]), Some(parts[3]), Some(parts[4]), &parts[6..])
        } else if parts.len() >= 3 && parts[1] == "function" {
            if !is_account(parts[0]) {
                return Err(format!(
                    "has \"{}\" where the 12-digit account ID should be",
                    parts[0]
                ));
            }
            (None, None, Some(parts[0]), &parts[2..])
        } else {
            (None, None, None, &parts[..])
        };
        let (name, qualifier) = match rest {
            [name] => (*name, None),
            [name, q] => (*name, Some(*q)),
            _ => return Err("has too many \":\"-separated parts for a Lambda function".into()),
        };
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "has function name \"{name}\": names are 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        let qualifier = match qualifier {
            None | Some("$LATEST") => None,
            Some("") => return Err("ends with \":\" but has no qualifier after it".into()),
            Some(q) => Some(q.to_string()),
        };
        Ok(FunctionRef {
            given: s.to_string(),
            name: name.to_string(),
            partition: partition.map(str::to_string),
            region: region.map(str::to_string),
            account: account.map(str::to_string),
            qualifier,
        })
    }
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

/// `s3://bucket/key`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The object's key, percent-decoded.
    pub key: String,
}

impl S3Location {
    /// Parses `s3://BUCKET/KEY`; the error says what is wrong.
    pub fn parse(s: &str) -> Result<S3Location, String> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or("must look like s3://BUCKET/KEY")?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or("has no object key: it must look like s3://BUCKET/KEY")?;
        if bucket.len() < 3
            || bucket.len() > 63
            || !bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err(format!("has bucket \"{bucket}\": bucket names are 3 to 63 lowercase letters, digits, '.' or '-'"));
        }
        if key.is_empty() {
            return Err("has no object key: it must look like s3://BUCKET/KEY".into());
        }
        // The reference percent-decodes the key, so `my%20file.json` names `my file.json`.
        let key = percent_decode(key).ok_or("has a malformed %-escape in its key")?;
        Ok(S3Location {
            bucket: bucket.to_string(),
            key,
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
