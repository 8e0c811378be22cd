//! The visualization URL the public power-tuning UI reads: powers, durations and costs packed
//! into the URL hash, which browsers never send to the server.
//!
//! Format: `<base>[?currency=CNY]#<A>;<B>;<C>` where A is the power values as little-endian
//! Int16, B the durations and C the costs as little-endian Float32, each in standard base64,
//! all sorted by power. A comparison of two runs is
//! `#<A1>;<B1>;<C1>;<A2>;<B2>;<C2>;<legend1>;<legend2>`, the legends percent-encoded as
//! JavaScript's `encodeURIComponent` encodes them (the UI decodes them with
//! `decodeURIComponent`).

use crate::pricing::Currency;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The public UI of the reference project, which draws a run from its URL's hash.
pub const DEFAULT_BASE_URL: &str = "https://lambda-power-tuning.show/";

/// One point of the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The memory size, MB.
    pub power: u32,
    /// The average duration, ms.
    pub duration: f64,
    /// The average cost per invocation.
    pub cost: f64,
}

/// Builds the URL; `region` decides the currency (the China regions bill in CNY).
pub fn encode(points: &[Point], base_url: &str, region: &str) -> String {
    format!(
        "{base_url}{}#{}",
        currency_query(region),
        hash_parts(points)
    )
}

/// The URL of the UI's comparison of two runs, `before` and `after`, with their legends.
pub fn encode_comparison(
    before: &[Point],
    after: &[Point],
    legends: (&str, &str),
    base_url: &str,
    currency: Currency,
) -> String {
    let query = match currency {
        Currency::Cny => "?currency=CNY",
        Currency::Usd => "",
    };
    format!(
        "{base_url}{query}#{};{};{};{}",
        hash_parts(before),
        hash_parts(after),
        uri_component(legends.0),
        uri_component(legends.1)
    )
}

fn currency_query(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "?currency=CNY"
    } else {
        ""
    }
}

/// `encodeURIComponent`: every byte but letters, digits and `-_.!~*'()` as `%XX`.
fn uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The three hash parts of one run: powers, durations, costs.
fn hash_parts(points: &[Point]) -> String {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| p.power);
    let powers: Vec<u8> = sorted
        .iter()
        // Lambda's largest memory size, 10240, fits an Int16 comfortably.
        .flat_map(|p| (p.power.min(i16::MAX as u32) as i16).to_le_bytes())
        .collect();
    let floats = |f: fn(&Point) -> f64| -> Vec<u8> {
        sorted
            .iter()
            .flat_map(|p| (f(p) as f32).to_le_bytes())
            .collect()
    };
    format!(
        "{};{};{}",
        STANDARD.encode(powers),
        STANDARD.encode(floats(|p| p.duration)),
        STANDARD.encode(floats(|p| p.cost)),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a visualization URL cannot be read.
pub enum DecodeError {
    #[error("The visualization URL has no \"#\" followed by three \";\"-separated parts.")]
    /// The URL has no hash with three parts.
    NoHash,
    #[error("Part {part} of the visualization URL is not valid base64: {reason}")]
    /// A part is not base64.
    Base64 {
        /// Which part (0: powers, 1: durations, 2: costs).
        part: usize,
        /// The decoder's message.
        reason: String,
    },
    #[error("The visualization URL's parts disagree: {powers} power values, {durations} durations, {costs} costs.")]
    /// The parts hold different numbers of values.
    Lengths {
        /// How many power values.
        powers: usize,
        /// How many durations.
        durations: usize,
        /// How many costs.
        costs: usize,
    },
}

/// Reads the points back from a visualization URL (values as Float32 holds them).
pub fn decode(url: &str) -> Result<Vec<Point>, DecodeError> {
    let (_, hash) = url.split_once('#').ok_or(DecodeError::NoHash)?;
    let parts: Vec<&str> = hash.split(';').collect();
    let [a, b, c] = parts[..] else {
        return Err(DecodeError::NoHash);
    };
    decode_parts(a, b, c)
}

fn decode_parts(a: &str, b: &str, c: &str) -> Result<Vec<Point>, DecodeError> {
    let bytes = |part: usize, s: &str| {
        STANDARD.decode(s).map_err(|e| DecodeError::Base64 {
            part,
            reason: e.to_string(),
        })
    };
    let (a, b, c) = (bytes(1, a)?, bytes(2, b)?, bytes(3, c)?);
    if a.len() % 2 != 0
        || b.len() % 4 != 0
        || c.len() % 4 != 0
        || a.len() / 2 != b.len() / 4
        || b.len() != c.len()
    {
        return Err(DecodeError::Lengths {
            powers: a.len() / 2,
            durations: b.len() / 4,
            costs: c.len() / 4,
        });
    }
    let f32s = |v: &[u8]| -> Vec<f64> {
        v.chunks_exact(4)
            .map(|ch| f64::from(f32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]])))
            .collect()
    };
    let (durations, costs) = (f32s(&b), f32s(&c));
    Ok(a.chunks_exact(2)
        .zip(durations.into_iter().zip(costs))
        .map(|(p, (duration, cost))| Point {
            power: i16::from_le_bytes([p[0], p[1]]).max(0) as u32,
            duration,
            cost,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads both runs back from a comparison URL (the legends are not decoded).
    fn decode_comparison(url: &str) -> Result<(Vec<Point>, Vec<Point>), DecodeError> {
        let (_, hash) = url.split_once('#').ok_or(DecodeError::NoHash)?;
        let parts: Vec<&str> = hash.split(';').collect();
        let [a1, b1, c1, a2, b2, c2, _, _] = parts[..] else {
            return Err(DecodeError::NoHash);
        };
        Ok((decode_parts(a1, b1, c1)?, decode_parts(a2, b2, c2)?))
    }
    use proptest::prelude::*;

    fn p(power: u32, duration: f64, cost: f64) -> Point {
        Point {
            power,
            duration,
            cost,
        }
    }

    #[test]
    fn encodes_like_the_reference() {
        // The reference's own test case: (power 1, duration 2, cost 3), (2, 2, 2), (3, 1, 2).
        let points = [p(1, 2.0, 3.0), p(2, 2.0, 2.0), p(3, 1.0, 2.0)];
        assert_eq!(
            encode(&points, "https://prefix/", "us-east-1"),
            "https://prefix/#AQACAAMA;AAAAQAAAAEAAAIA/;AABAQAAAAEAAAABA"
        );
    }

    #[test]
    fn encodes_the_issue_lists() {
        // powers [1,2,3], durations [2,2,2], costs [1,1,2]
        let points = [p(1, 2.0, 1.0), p(2, 2.0, 1.0), p(3, 2.0, 2.0)];
        assert_eq!(
            encode(&points, "https://prefix/", "us-east-1"),
            "https://prefix/#AQACAAMA;AAAAQAAAAEAAAABA;AACAPwAAgD8AAABA"
        );
    }

    #[test]
    fn sorts_by_power() {
        let points = [p(3, 1.0, 2.0), p(1, 2.0, 3.0), p(2, 2.0, 2.0)];
        assert!(encode(&points, "x/", "eu-west-1")
            .ends_with("#AQACAAMA;AAAAQAAAAEAAAIA/;AABAQAAAAEAAAABA"));
    }

    #[test]
    fn china_regions_show_yuan() {
        let url = encode(&[p(128, 1.0, 1.0)], DEFAULT_BASE_URL, "cn-northwest-1");
        assert!(url.starts_with("https://lambda-power-tuning.show/?currency=CNY#"));
        assert!(!encode(&[p(128, 1.0, 1.0)], DEFAULT_BASE_URL, "us-east-1").contains("currency"));
    }

    #[test]
    fn decode_reads_back_what_encode_wrote() {
        let points = [p(128, 100.5, 2.1e-7), p(10240, 3.25, 1e-3)];
        let back = decode(&encode(&points, DEFAULT_BASE_URL, "us-east-1")).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].power, 10240);
        assert_eq!(back[0].duration, 100.5);
        assert!((back[0].cost - 2.1e-7).abs() < 1e-13);
    }

    #[test]
    fn decode_rejects_broken_urls() {
        assert_eq!(decode("https://x/"), Err(DecodeError::NoHash));
        assert!(matches!(
            decode("https://x/#AQ;A;A"),
            Err(DecodeError::Base64 { .. })
        ));
        assert!(matches!(
            decode("https://x/#AQACAAMA;AAAAQA==;AAAAQA=="),
            Err(DecodeError::Lengths { .. })
        ));
    }

    #[test]
    fn comparison_urls_carry_both_runs_and_the_legends_as_the_ui_reads_them() {
        let before = [p(128, 100.0, 2e-7), p(256, 50.0, 2e-7)];
        let after = [p(128, 80.0, 1.6e-7), p(512, 20.0, 1.7e-7)];
        let url = encode_comparison(
            &before,
            &after,
            ("x86_64 run", "arm64; v2"),
            DEFAULT_BASE_URL,
            Currency::Usd,
        );
        assert!(url.ends_with(";x86_64%20run;arm64%3B%20v2"), "{url}");
        assert_eq!(url.split_once('#').unwrap().1.split(';').count(), 8);
        let (a, b) = decode_comparison(&url).unwrap();
        assert_eq!(
            a.iter().map(|q| q.power).collect::<Vec<_>>(),
            vec![128, 256]
        );
        assert_eq!(
            b.iter().map(|q| q.power).collect::<Vec<_>>(),
            vec![128, 512]
        );
        // The single-run hash of each run is the same as its own visualization URL's.
        assert!(url.contains(encode(&before, "", "us-east-1").trim_start_matches('#')));
        assert!(
            encode_comparison(&before, &after, ("a", "b"), DEFAULT_BASE_URL, Currency::Cny)
                .contains("?currency=CNY#")
        );
        assert_eq!(uri_component("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
        assert_eq!(uri_component("é/"), "%C3%A9%2F");
    }

    proptest! {
        #[test]
        fn round_trips_within_float32_precision(
            raw in proptest::collection::vec((128u32..=10240, 0.0f64..1e6, 0.0f64..1.0), 0..20)
        ) {
            let points: Vec<Point> = raw.iter().map(|&(a, b, c)| p(a, b, c)).collect();
            let back = decode(&encode(&points, "b/", "us-east-1")).unwrap();
            prop_assert_eq!(back.len(), points.len());
            let mut sorted = points.clone();
            sorted.sort_by_key(|p| p.power);
            for (x, y) in sorted.iter().zip(&back) {
                prop_assert_eq!(x.power, y.power);
                prop_assert!((x.duration - y.duration).abs() <= x.duration * 1e-6 + 1e-30);
                prop_assert!((x.cost - y.cost).abs() <= x.cost * 1e-6 + 1e-30);
            }
        }

        #[test]
        fn decode_never_panics(s in ".{0,120}") {
            let _ = decode(&s);
        }
    }
}
