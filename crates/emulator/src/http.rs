//! What the emulator's two HTTP servers share (the Lambda API, and the Runtime API of each
//! environment): one body type, one body reader, responses, query strings and the accept loop.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use std::future::Future;
use tokio::net::TcpListener;

/// Every response body: bytes held in full.
pub type Body = Full<Bytes>;

/// A request's whole body; a body cut off midway counts as empty.
pub async fn read_body(req: Request<Incoming>) -> Bytes {
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// A response with `status` and `body`.
pub fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

/// A JSON response.
pub fn json_response(status: u16, value: &Value) -> Response<Body> {
    let mut r = reply(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        value.to_string(),
    );
    r.headers_mut()
        .insert("Content-Type", HeaderValue::from_static("application/json"));
    r
}

/// A response without a body.
pub fn empty(status: u16) -> Response<Body> {
    reply(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Bytes::new(),
    )
}

/// The value of `key` in the request's query string, percent-decoded.
pub fn query(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

/// `%XX` escapes decoded; a malformed escape stays as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Accepts connections on `listener` and answers each request with `handler`, HTTP/1.1 with
/// keep-alive, until the task is dropped.
/// A handler that answers `Err` has the connection closed without a response.
pub async fn serve<F, Fut, E>(listener: TcpListener, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again shortly rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(handler);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_decode_and_malformed_ones_stay() {
        assert_eq!(percent_decode("arn%3Aaws%3Alambda%3Af"), "arn:aws:lambda:f");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz1"), "%zz1");
    }
}
