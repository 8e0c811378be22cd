//! Power limits: an execution environment gets memory/1769 vCPU and its configured memory, as
//! Lambda gives it. Enforced with a cgroup (v1 or v2) when this process may create one,
//! otherwise by stopping and continuing the process (SIGSTOP/SIGCONT) and `ulimit -v`. The mode
//! in use is reported, never silently degraded.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Lambda's memory at which a function gets one full vCPU.
pub const MB_PER_VCPU: f64 = 1769.0;
/// Lambda's most vCPUs (at 10,240 MB).
pub const MAX_VCPUS: f64 = 6.0;
/// The CFS bandwidth period: Lambda's own, as measured on Lambda (pwrdrvr/lambda-throttling,
/// 2025: a spin loop at 256 MB runs its 3.6 ms of CPU in 20 or 40 ms of wall time, at 128 MB in
/// 40 to 80, the pauses always ending on a 20 ms boundary). A short burst of CPU (a runtime's
/// per-invoke work) that fits in one period's quota runs at full speed, on Lambda as here.
pub const PERIOD: Duration = Duration::from_millis(20);
/// The shortest running slice in signals mode.
const MIN_SIGNAL_RUN: Duration = Duration::from_millis(2);
/// Linux refuses CFS quotas under 1 ms; the period grows for tiny shares to keep the ratio.
const MIN_QUOTA_US: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How an environment's CPU and memory are limited.
pub enum Mode {
    /// cgroup v1: `cpu.cfs_quota_us`, `memory.limit_in_bytes`.
    CgroupV1,
    /// cgroup v2: `cpu.max`, `memory.max`.
    CgroupV2,
    /// SIGSTOP/SIGCONT duty cycling for CPU, `ulimit -v` (RLIMIT_AS) for memory.
    Signals,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::CgroupV1 => "cgroup v1 (cpu quota, memory limit)",
            Mode::CgroupV2 => "cgroup v2 (cpu.max, memory.max)",
            Mode::Signals => "signals (SIGSTOP/SIGCONT duty cycle, RLIMIT_AS via ulimit -v)",
        })
    }
}

/// How this host enforces limits, found once at start-up.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The mode in use.
    pub mode: Mode,
    /// The host's cores.
    pub host_cores: usize,
    cpu_root: Option<PathBuf>,
    memory_root: Option<PathBuf>,
}

/// vCPUs Lambda gives `memory_mb`, capped at 6 and at the host's cores.
pub fn vcpus(memory_mb: u32, host_cores: usize) -> f64 {
    (f64::from(memory_mb) / MB_PER_VCPU)
        .min(MAX_VCPUS)
        .min(host_cores as f64)
}

/// CFS (period, quota) in microseconds for `vcpus`.
pub fn cfs_quota(vcpus: f64) -> (u64, u64) {
    let mut period = PERIOD.as_micros() as u64;
    if vcpus * (period as f64) < MIN_QUOTA_US as f64 {
        period = (MIN_QUOTA_US as f64 / vcpus).ceil() as u64;
    }
    let quota = ((period as f64) * vcpus).round() as u64;
    (period, quota.max(MIN_QUOTA_US))
}

fn own_cgroup(controller: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_string())
    })
}

/// A directory under `mount` where we may create child cgroups: our own cgroup, else the root.
fn writable_root(mount: &Path, own: Option<String>, probe_file: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(own) = own {
        candidates.push(mount.join(own.trim_start_matches('/')));
    }
    candidates.push(mount.to_path_buf());
    // One name per probe: two emulators of one process may detect at once, and a shared name
    // let one remove the other's probe before it was read (both then fell back to signals).
    static PROBES: AtomicU64 = AtomicU64::new(0);
    candidates.into_iter().find(|base| {
        let probe = base.join(format!(
            "powertune-probe-{}-{}",
            std::process::id(),
            PROBES.fetch_add(1, Ordering::Relaxed)
        ));
        let ok = std::fs::create_dir(&probe).is_ok() && probe.join(probe_file).exists();
        let _ = std::fs::remove_dir(&probe);
        ok
    })
}

/// Removes the cgroups under `root` that environments of processes no longer running left:
/// a process killed outright (SIGKILL, a crash) drops nothing, and its empty cgroups would stay
/// until the machine restarts. They are named `powertune-<pid>-<n>`; one whose process still
/// runs, or that still has members, stays.
fn remove_stale_cgroups(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("powertune-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            // rmdir(2) refuses a cgroup with members: nothing running is touched.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

impl Limits {
    /// Finds the best mode this process can use. `POWERTUNE_LIMITS=signals` forces the fallback.
    pub fn detect() -> Limits {
        let host_cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let signals = Limits {
            mode: Mode::Signals,
            host_cores,
            cpu_root: None,
            memory_root: None,
        };
        if std::env::var("POWERTUNE_LIMITS").as_deref() == Ok("signals") {
            return signals;
        }
        let v1_cpu = writable_root(
            Path::new("/sys/fs/cgroup/cpu"),
            own_cgroup("cpu"),
            "cpu.cfs_quota_us",
        );
        let v1_memory = writable_root(
            Path::new("/sys/fs/cgroup/memory"),
            own_cgroup("memory"),
            "memory.limit_in_bytes",
        );
        if let (Some(cpu), Some(memory)) = (v1_cpu, v1_memory) {
            remove_stale_cgroups(&cpu);
            remove_stale_cgroups(&memory);
            return Limits {
                mode: Mode::CgroupV1,
                host_cores,
                cpu_root: Some(cpu),
                memory_root: Some(memory),
            };
        }
        if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            if let Some(root) =
                writable_root(Path::new("/sys/fs/cgroup"), own_cgroup(""), "cpu.max")
            {
                remove_stale_cgroups(&root);
                return Limits {
                    mode: Mode::CgroupV2,
                    host_cores,
                    cpu_root: Some(root.clone()),
                    memory_root: Some(root),
                };
            }
        }
        signals
    }

    /// Sets up the limits of one environment, with `vcpus` to start with (its Init phase may
    /// get more than its memory's share: [`crate::InitCpu`]).
    pub fn for_environment(
        &self,
        id: &str,
        memory_mb: u32,
        vcpus: f64,
    ) -> std::io::Result<EnvironmentLimits> {
        let vcpus = vcpus.min(self.host_cores as f64);
        let memory_bytes = u64::from(memory_mb) * 1024 * 1024;
        let (period, quota) = cfs_quota(vcpus);
        let mut dirs = Vec::new();
        match self.mode {
            Mode::CgroupV1 => {
                let cpu = self
                    .cpu_root
                    .as_ref()
                    .map(|r| r.join(format!("powertune-{id}")))
                    .unwrap_or_default();
                let memory = self
                    .memory_root
                    .as_ref()
                    .map(|r| r.join(format!("powertune-{id}")))
                    .unwrap_or_default();
                std::fs::create_dir_all(&cpu)?;
                std::fs::write(cpu.join("cpu.cfs_period_us"), period.to_string())?;
                std::fs::write(cpu.join("cpu.cfs_quota_us"), quota.to_string())?;
                std::fs::create_dir_all(&memory)?;
                std::fs::write(
                    memory.join("memory.limit_in_bytes"),
                    memory_bytes.to_string(),
                )?;
                // No swap: going over the limit must mean the OOM killer, as on Lambda.
                let _ = std::fs::write(
                    memory.join("memory.memsw.limit_in_bytes"),
                    memory_bytes.to_string(),
                );
                dirs.push(cpu);
                dirs.push(memory);
            }
            Mode::CgroupV2 => {
                let dir = self
                    .cpu_root
                    .as_ref()
                    .map(|r| r.join(format!("powertune-{id}")))
                    .unwrap_or_default();
                std::fs::create_dir_all(&dir)?;
                std::fs::write(dir.join("cpu.max"), format!("{quota} {period}"))?;
                std::fs::write(dir.join("memory.max"), memory_bytes.to_string())?;
                let _ = std::fs::write(dir.join("memory.swap.max"), "0");
                dirs.push(dir);
            }
            Mode::Signals => {}
        }
        Ok(EnvironmentLimits {
            mode: self.mode,
            vcpus: Arc::new(AtomicU64::new(vcpus.to_bits())),
            memory_bytes,
            dirs,
        })
    }
}

/// The limits of one environment; its cgroups are removed when it is dropped.
#[derive(Debug)]
pub struct EnvironmentLimits {
    /// The mode in use.
    pub mode: Mode,
    /// The vCPUs it gets now (an f64's bits), shared with the signals mode's duty cycle.
    vcpus: Arc<AtomicU64>,
    /// The memory it gets, bytes.
    pub memory_bytes: u64,
    dirs: Vec<PathBuf>,
}

impl EnvironmentLimits {
    /// The vCPUs it gets now.
    #[cfg(test)]
    pub fn vcpus(&self) -> f64 {
        f64::from_bits(self.vcpus.load(Ordering::Relaxed))
    }

    /// Gives it `vcpus` from now on (its memory's share once its boosted Init is over).
    pub fn set_vcpus(&self, vcpus: f64) -> std::io::Result<()> {
        self.vcpus.store(vcpus.to_bits(), Ordering::Relaxed);
        let (period, quota) = cfs_quota(vcpus);
        match self.mode {
            Mode::CgroupV1 => {
                let cpu = &self.dirs[0];
                // The period first: the kernel refuses a quota that would exceed what the
                // parent allows over the old period.
                std::fs::write(cpu.join("cpu.cfs_period_us"), period.to_string())?;
                std::fs::write(cpu.join("cpu.cfs_quota_us"), quota.to_string())
            }
            Mode::CgroupV2 => {
                std::fs::write(self.dirs[0].join("cpu.max"), format!("{quota} {period}"))
            }
            Mode::Signals => Ok(()),
        }
    }

    /// The shared share the signals mode's duty cycle reads each period.
    pub fn shared_vcpus(&self) -> Arc<AtomicU64> {
        self.vcpus.clone()
    }

    /// The shell script that puts itself under the limits and then `exec`s the runtime (its
    /// arguments), so the runtime never runs unlimited. Without `address_space_limit` the
    /// signals mode leaves memory to the runtime's own limit (V8's heap limits for Node.js).
    pub fn launcher(&self, address_space_limit: bool) -> String {
        match self.mode {
            Mode::CgroupV1 | Mode::CgroupV2 => {
                let joins: Vec<String> = self
                    .dirs
                    .iter()
                    .map(|d| format!("echo $$ > '{}/cgroup.procs'", d.display()))
                    .collect();
                format!("{} && exec \"$@\"", joins.join(" && "))
            }
            Mode::Signals if address_space_limit => {
                format!("ulimit -v {} && exec \"$@\"", self.memory_bytes / 1024)
            }
            Mode::Signals => "exec \"$@\"".into(),
        }
    }

    /// Whether the signals mode's duty cycle throttles it (cgroups do it otherwise).
    pub fn needs_duty_cycle(&self) -> bool {
        self.mode == Mode::Signals
    }

    /// Peak memory of the environment so far, MB: the larger of what its cgroup was charged and
    /// what its processes held resident. Lambda's Max Memory Used counts the environment's
    /// resident memory, its binaries and shared libraries included (about 15 to 20 MB for a
    /// small Rust function); a cgroup is charged only for the pages its processes brought in,
    /// so a binary already in the host's page cache is missing from its peak (1 MB for the
    /// cpu-bound example). Each process's resident peak is its `VmHWM`.
    pub fn max_memory_used_mb(&self, pid: Option<u32>) -> Option<u32> {
        let charged = match self.mode {
            Mode::CgroupV1 => read_u64(&self.dirs[1].join("memory.max_usage_in_bytes")),
            Mode::CgroupV2 => read_u64(&self.dirs[0].join("memory.peak")),
            Mode::Signals => None,
        };
        let mut pids = self.processes();
        pids.extend(pid);
        pids.sort_unstable();
        pids.dedup();
        let resident: Option<u64> = pids
            .into_iter()
            .filter_map(vm_hwm_bytes)
            .reduce(|a, b| a + b);
        let bytes = charged.max(resident)?;
        Some((bytes as f64 / 1048576.0).ceil() as u32)
    }

    /// The processes in the environment's cgroup (none in signals mode).
    fn processes(&self) -> Vec<u32> {
        self.dirs
            .first()
            .and_then(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
            .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Whether the kernel's OOM killer ended a process of this environment.
    pub fn oom_killed(&self) -> bool {
        let counter = |file: &Path| -> u64 {
            std::fs::read_to_string(file)
                .ok()
                .and_then(|t| {
                    t.lines()
                        .find(|l| l.starts_with("oom_kill "))
                        .and_then(|l| l[9..].trim().parse().ok())
                })
                .unwrap_or(0)
        };
        match self.mode {
            // Without swap, hitting the limit (failcnt) and dying is the OOM killer; older kernels
            // have no oom_kill counter.
            Mode::CgroupV1 => {
                counter(&self.dirs[1].join("memory.oom_control")) > 0
                    || read_u64(&self.dirs[1].join("memory.failcnt")).unwrap_or(0) > 0
            }
            Mode::CgroupV2 => counter(&self.dirs[0].join("memory.events")) > 0,
            Mode::Signals => false,
        }
    }
}

impl Drop for EnvironmentLimits {
    fn drop(&mut self) {
        // A process killed inside its quota exits at its share: at 128 MB, 7% of a vCPU to
        // free its memory, so sixteen of them took 94 ms to leave the cgroup instead of 10 ms,
        // and a busy host more than the wait below (1,397 cgroups were left on a test machine).
        // Without a quota they leave at once.
        match self.mode {
            Mode::CgroupV1 => {
                let _ = std::fs::write(self.dirs[0].join("cpu.cfs_quota_us"), "-1");
            }
            Mode::CgroupV2 => {
                let _ = std::fs::write(self.dirs[0].join("cpu.max"), "max");
            }
            Mode::Signals => {}
        }
        for d in &self.dirs {
            // Any process left is killed first: a cgroup with members cannot be removed.
            if let Ok(procs) = std::fs::read_to_string(d.join("cgroup.procs")) {
                for pid in procs.lines().filter_map(|p| p.trim().parse::<i32>().ok()) {
                    // SAFETY: kill(2) takes plain integers and touches no memory of ours; the
                    // pids are this cgroup's members, and 0 or negatives never appear in
                    // cgroup.procs.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
            }
            for _ in 0..250 {
                if std::fs::remove_dir(d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// The CPU duty cycle (run, stop) per period in signals mode for `vcpus`; `None` from one vCPU
/// up, where nothing needs stopping.
pub fn duty_cycle(vcpus: f64) -> Option<(Duration, Duration)> {
    if vcpus >= 1.0 || vcpus <= 0.0 {
        return None;
    }
    // Timers and signal delivery are only good to about a millisecond, so the running slice is
    // kept at 2 ms or more and the period grows for small shares.
    let period = PERIOD.max(MIN_SIGNAL_RUN.div_f64(vcpus));
    let run = period.mul_f64(vcpus);
    Some((run, period - run))
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn vm_hwm_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcpus_follow_lambda_and_the_host() {
        assert!((vcpus(1769, 8) - 1.0).abs() < 1e-12);
        assert!((vcpus(128, 8) - 128.0 / 1769.0).abs() < 1e-12);
        assert!((vcpus(10240, 64) - 10240.0 / 1769.0).abs() < 1e-12);
        assert_eq!(vcpus(20000, 64), 6.0);
        assert_eq!(vcpus(10240, 2), 2.0);
    }

    #[test]
    fn quotas_keep_the_share_and_the_kernels_minimum() {
        assert_eq!(cfs_quota(1.0), (20_000, 20_000));
        assert_eq!(cfs_quota(1.7), (20_000, 34_000));
        // Lambda's least memory still gets more than the kernel's 1 ms minimum per 20 ms ...
        assert_eq!(cfs_quota(128.0 / 1769.0), (20_000, 1447));
        // ... and a smaller share keeps its ratio with a longer period.
        let (period, quota) = cfs_quota(0.02);
        assert_eq!(quota, 1000);
        assert!((quota as f64 / period as f64 - 0.02).abs() < 0.001);
    }

    /// The limits of this machine, which must have cgroups (these tests are run as root).
    fn cgroup_limits() -> Limits {
        let limits = Limits::detect();
        assert!(
            matches!(limits.mode, Mode::CgroupV1 | Mode::CgroupV2),
            "this test needs cgroup limits (run as root)"
        );
        limits
    }

    #[test]
    #[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
    fn emulators_that_detect_at_once_all_find_the_cgroups() {
        let modes: Vec<Mode> = std::thread::scope(|scope| {
            let detecting: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| Limits::detect().mode))
                .collect();
            detecting.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(
            modes.iter().all(|m| *m != Mode::Signals),
            "some fell back to signals: {modes:?}"
        );
    }

    #[test]
    #[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
    fn a_dropped_environment_leaves_no_cgroup_even_when_its_processes_are_throttled() {
        let limits = cgroup_limits();
        let id = format!("{}-drop-test", std::process::id());
        let env = limits
            .for_environment(&id, 128, vcpus(128, limits.host_cores))
            .unwrap();
        let dirs = env.dirs.clone();
        // Sixty-four spinning processes at 128 MB's share.
        let script = "for i in $(seq 1 64); do (while :; do :; done) & done; wait";
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", &env.launcher(false), "sh", "/bin/sh", "-c", script])
            .spawn()
            .unwrap();
        // Forking them takes a while at 7% of a vCPU.
        let started = std::time::Instant::now();
        while env.processes().len() < 65 && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(env.processes().len() >= 65, "{:?}", env.processes());
        drop(env);
        let _ = child.wait();
        for d in &dirs {
            assert!(!d.exists(), "{} is left", d.display());
        }
    }

    #[test]
    #[ignore = "needs cgroup limits (root); cargo test -- --ignored, as .ci/run runs it"]
    fn cgroups_left_by_processes_no_longer_running_are_removed() {
        let limits = cgroup_limits();
        let root = limits.cpu_root.clone().unwrap();
        // A pid that does not run.
        let dead = (1u32..)
            .map(|n| std::process::id().wrapping_add(100_000 + n))
            .find(|pid| !Path::new(&format!("/proc/{pid}")).exists())
            .unwrap();
        let stale = root.join(format!("powertune-{dead}-3"));
        let ours = root.join(format!("powertune-{}-stale-test", std::process::id()));
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::create_dir_all(&ours).unwrap();
        let _ = Limits::detect();
        let (stale_left, ours_left) = (stale.exists(), ours.exists());
        let _ = std::fs::remove_dir(&stale);
        let _ = std::fs::remove_dir(&ours);
        assert!(!stale_left, "{} is left", stale.display());
        assert!(ours_left, "a running process's cgroup was removed");
    }

    #[test]
    fn signals_mode_cycles_only_below_one_vcpu() {
        assert_eq!(
            duty_cycle(0.25),
            Some((Duration::from_micros(5000), Duration::from_micros(15000)))
        );
        assert_eq!(duty_cycle(1.5), None);
        let l = EnvironmentLimits {
            mode: Mode::Signals,
            vcpus: Arc::new(AtomicU64::new(0.25f64.to_bits())),
            memory_bytes: 1 << 30,
            dirs: vec![],
        };
        assert!(l.launcher(true).starts_with("ulimit -v 1048576"));
        assert_eq!(l.launcher(false), "exec \"$@\"");
        // A boosted Init ends: the share drops to the memory's, which the cycle reads.
        l.set_vcpus(1.0).unwrap();
        assert_eq!(l.vcpus(), 1.0);
        assert_eq!(duty_cycle(l.vcpus()), None);
    }
}
