//! Start-up time and peak memory of the seven step binaries, release build.
//!
//! Each binary is started against a minimal Lambda Runtime API on 127.0.0.1, as Lambda starts a
//! `provided.al2023` bootstrap. Start-up is the time from spawning the process to its first
//! `GET /2018-06-01/runtime/invocation/next`. The Analyzer is also given one event, and its peak
//! resident memory (`VmHWM`) is read once it has posted the response.
//!
//! Run: `cargo bench -p powertune-steps --bench startup` (figures go to BENCHMARKS.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RUNS: usize = 30;

const ANALYZER_EVENT: &str = r#"{"input":{"lambdaARN":"arn:aws:lambda:us-east-1:123456789012:function:f","num":10,"powerValues":[128,256,512,1024,1536,3008],"strategy":"balanced","includeOutputResults":true},"publisherRounds":1,"stats":[
{"value":128,"averagePrice":2.1e-7,"averageDuration":100.5,"totalCost":2.1e-6},
{"value":256,"averagePrice":2.1e-7,"averageDuration":50.25,"totalCost":2.1e-6},
{"value":512,"averagePrice":2.52e-7,"averageDuration":30,"totalCost":2.52e-6},
{"value":1024,"averagePrice":4.2e-7,"averageDuration":25,"totalCost":4.2e-6},
{"value":1536,"averagePrice":6.1e-7,"averageDuration":24,"totalCost":6.1e-6},
{"value":3008,"averagePrice":1.1e-6,"averageDuration":23,"totalCost":1.1e-5}]}"#;

enum Seen {
    Next(Instant),
    Response(String),
}

/// Serves the Runtime API: reports each `/next` and `/response`, and answers the first `/next`
/// with `event` when there is one (later ones are held open).
fn serve(listener: TcpListener, event: Option<&'static str>, seen: mpsc::Sender<Seen>) {
    std::thread::spawn(move || {
        let mut given = false;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let seen = seen.clone();
            let give = event.filter(|_| !given);
            given = given || give.is_some();
            std::thread::spawn(move || {
                let _ = connection(stream, give, &seen);
            });
        }
    });
}

fn connection(
    stream: TcpStream,
    mut event: Option<&str>,
    seen: &mpsc::Sender<Seen>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            if header.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if path.ends_with("/invocation/next") {
            let _ = seen.send(Seen::Next(Instant::now()));
            match event.take() {
                Some(e) => {
                    let deadline = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_millis()
                        + 60_000;
                    write!(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-1\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:analyzer\r\nLambda-Runtime-Trace-Id: Root=1-0-0\r\nContent-Length: {}\r\n\r\n{e}",
                        e.len()
                    )?;
                }
                // Hold the connection: the process waits for work until it is killed.
                None => std::thread::sleep(Duration::from_secs(3600)),
            }
        } else {
            if path.ends_with("/response") {
                let _ = seen.send(Seen::Response(String::from_utf8_lossy(&body).into_owned()));
            }
            write!(
                out,
                "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{{}}"
            )?;
        }
    }
}

fn spawn(binary: &str, api: &str) -> Child {
    Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("defaultPowerValues", "128,256,512")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the step binary starts")
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// (start-up, peak memory after one event when `event` is given)
fn measure(binary: &str, event: Option<&'static str>) -> (Duration, Option<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    serve(listener, event, tx);
    let started = Instant::now();
    let mut child = spawn(binary, &api);
    let first_next = loop {
        match rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the binary asks for work")
        {
            Seen::Next(at) => break at,
            Seen::Response(_) => {}
        }
    };
    let mut memory = None;
    if event.is_some() {
        loop {
            match rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the binary answers")
            {
                Seen::Response(body) => {
                    assert!(body.contains("\"power\""), "unexpected response {body}");
                    // Its next /next shows the response is fully handled.
                    if let Ok(Seen::Next(_)) = rx.recv_timeout(Duration::from_secs(10)) {}
                    memory = peak_rss_kib(child.id());
                    break;
                }
                Seen::Next(_) => {}
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    (first_next.duration_since(started), memory)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let bins = [
        ("initializer", env!("CARGO_BIN_EXE_initializer")),
        ("publisher", env!("CARGO_BIN_EXE_publisher")),
        ("executor", env!("CARGO_BIN_EXE_executor")),
        ("sampler", env!("CARGO_BIN_EXE_sampler")),
        ("cleaner", env!("CARGO_BIN_EXE_cleaner")),
        ("analyzer", env!("CARGO_BIN_EXE_analyzer")),
        ("optimizer", env!("CARGO_BIN_EXE_optimizer")),
    ];
    println!("step binary start-up to first /next, {RUNS} runs each (ms: median, p90, max); size");
    for (name, path) in bins {
        let _ = measure(path, None); // warm the page cache
        let mut times: Vec<f64> = (0..RUNS)
            .map(|_| measure(path, None).0.as_secs_f64() * 1e3)
            .collect();
        times.sort_by(f64::total_cmp);
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{name:<12} {:>6.2} {:>6.2} {:>6.2}   {:.1} MiB",
            median(times.clone()),
            times[RUNS * 9 / 10],
            times[RUNS - 1],
            size as f64 / 1048576.0
        );
    }
    let memory: Vec<f64> = (0..RUNS)
        .filter_map(|_| measure(env!("CARGO_BIN_EXE_analyzer"), Some(ANALYZER_EVENT)).1)
        .map(|kib| kib as f64 / 1024.0)
        .collect();
    println!(
        "analyzer peak RSS serving one event: median {:.2} MiB, max {:.2} MiB ({} runs)",
        median(memory.clone()),
        memory.iter().cloned().fold(0.0, f64::max),
        memory.len()
    );
}
