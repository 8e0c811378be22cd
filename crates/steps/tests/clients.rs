//! The AWS clients the step binaries build: TCP keepalive on their connections, many
//! control-plane attempts, and processors called in their own region.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::Credentials;
use powertune_steps::handlers::{self, Clients};
use std::io::{Read, Write};
use std::net::TcpListener;

fn sdk(endpoint: &str, http: Option<aws_sdk_lambda::config::SharedHttpClient>) -> SdkConfig {
    let mut b = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_lambda::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "test"),
        ));
    if let Some(h) = http {
        b = b.http_client(h);
    }
    b.build()
}

/// A server that answers one GetFunctionConcurrency and keeps the connection open.
fn one_answer_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let body = "{}";
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    (port, handle)
}

/// The `tr` and `tm->when` fields (timer kind, clock ticks) of the established connection to
/// `port`, from /proc/net/tcp: kind 2 with keepalive armed on an idle connection, 0 without.
fn client_timer(port: u16) -> Option<(u32, u64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let remote_port = u16::from_str_radix(f.get(2)?.rsplit(':').next()?, 16).ok()?;
        if remote_port != port || *f.get(3)? != "01" {
            return None;
        }
        let (kind, when) = f.get(5)?.split_once(':')?;
        Some((
            u32::from_str_radix(kind, 16).ok()?,
            u64::from_str_radix(when, 16).ok()?,
        ))
    })
}

async fn timer_after_one_call(
    http: Option<aws_sdk_lambda::config::SharedHttpClient>,
) -> (u32, u64) {
    let (port, server) = one_answer_server();
    let clients = Clients::from_sdk(sdk(&format!("http://127.0.0.1:{port}"), http));
    let concurrency = clients
        .lambda(None)
        .reserved_concurrency("f")
        .await
        .unwrap();
    assert_eq!(concurrency, None);
    let timer = client_timer(port).expect("the connection is in /proc/net/tcp");
    server.join().unwrap();
    timer
}

// Linux shows a socket's keepalive timer in /proc/net/tcp; the steps run on Linux.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn step_connections_have_tcp_keepalive_of_about_a_minute() {
    let (kind, when) = timer_after_one_call(handlers::http_client()).await;
    assert_eq!(kind, 2, "keepalive timer armed");
    // Clock ticks (USER_HZ, 100 on Linux) until the first probe: at most 60 s.
    assert!(when > 0 && when <= 60 * 100, "first probe in {when} ticks");
    // The SDK's default client arms no timer: the check above can fail.
    let (default_kind, _) = timer_after_one_call(None).await;
    assert_eq!(default_kind, 0, "the SDK default has no keepalive");
}
