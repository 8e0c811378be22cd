//! `powertune emulator`: the Lambda emulator on its own, until interrupted.

use crate::exit::Failure;
use anyhow::Context;
use powertune_emulator::{Config, Emulator};
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9001)]
    port: u16,
    /// Region in the ARNs the emulator hands out.
    #[arg(long, default_value = powertune_core::pricing::FALLBACK_REGION)]
    region: String,
    /// How long LastUpdateStatus stays InProgress after an update, ms.
    #[arg(long, default_value_t = 100)]
    update_delay_ms: u64,
    /// The CPU an Init phase gets: "boosted" (at least one vCPU, as Lambda's on-demand Init was
    /// measured to get) or "share" (the memory's share).
    #[arg(long, value_name = "boosted|share", default_value = "boosted")]
    init_cpu: powertune_emulator::InitCpu,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let config = Config {
            region: args.region,
            update_delay: Duration::from_millis(args.update_delay_ms),
            init_cpu: args.init_cpu,
            ..Config::default()
        };
        let emulator = Emulator::start(config, ([127, 0, 0, 1], args.port).into())
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        eprintln!(
            "Lambda emulator on {} (limits: {}, {} cores). Ctrl-C stops it.",
            emulator.endpoint(),
            emulator.limits_mode(),
            emulator.host_cores()
        );
        eprintln!(
            "Use it with: export AWS_ENDPOINT_URL_LAMBDA={0} (and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS={0} for Logs Insights over the functions' logs)",
            emulator.endpoint()
        );
        // Tests and scripts read the endpoint from standard output.
        println!("{}", emulator.endpoint());
        // Ctrl-C or SIGTERM (what scripts and service managers send): the emulator is dropped,
        // which stops every environment's processes; a process killed without it would leave
        // them running.
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("cannot wait for SIGTERM")?;
        tokio::select! {
            stopped = tokio::signal::ctrl_c() => stopped.context("cannot wait for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
        drop(emulator);
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}
