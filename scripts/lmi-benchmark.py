#!/usr/bin/env python3
"""What one Lambda Managed Instances environment holds in the emulator (issue 29's targets).

Runs `powertune tune --local ... --managed-instances` RUNS times on the example functions and
prints the medians (and ranges) of:

- CPU-bound (examples/functions/cpu-bound, Rust on lambda_runtime's run_concurrent):
  throughput at concurrency 2 x vCPUs over throughput at concurrency 1, for 1 vCPU (2048 MB at
  2 GiB/vCPU) and 2 vCPUs (4096 MB at 2 GiB/vCPU); ideal: the vCPUs (1 and 2), target within 15%;
- I/O-bound (examples/functions/io-bound, 100 ms on a timer): throughput at concurrency 16 over
  concurrency 1; target at least 8x;
- the README's LMI command's wall time (target under a minute).

Needs cgroup limits (root). Usage: scripts/lmi-benchmark.py [--runs N] [--binary PATH]
A frozen binary (--binary) keeps a long benchmark from picking up a rebuilt tree.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build():
    subprocess.run(["cargo", "build", "-q", "-p", "powertune"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "powertune")


def tune(binary, function, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [binary, "tune", "--local", os.path.join(ROOT, "examples/functions", function),
                   "--managed-instances", "--json", out.name, *args]
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
        if "Limits: cgroup" not in done.stderr:
            sys.exit("this benchmark needs cgroup limits: run it as root")
        with open(out.name) as f:
            return json.load(f), elapsed


def throughput(doc, memory, gib, concurrency):
    for row in doc["managedInstances"]["rows"]:
        c = row["configuration"]
        if (c["memoryMb"], c["gibPerVcpu"], c["concurrency"]) == (memory, gib, concurrency):
            return row["throughput"]
    sys.exit(f"no row {memory}/{gib}/{concurrency}")


def summary(values):
    return f"median {statistics.median(values):.2f} (range {min(values):.2f} to {max(values):.2f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary")
    a = parser.parse_args()
    binary = a.binary or build()
    one, two, io, wall = [], [], [], []
    common = ["--num", "5", "--power-values", "1769", "--memory-per-vcpu", "2", "--load-seconds", "2"]
    for run in range(a.runs):
        doc, _ = tune(binary, "cpu-bound", [*common, "--memory-sizes", "2048,4096", "--concurrencies", "1,2,4"])
        one.append(throughput(doc, 2048, 2.0, 2) / throughput(doc, 2048, 2.0, 1))
        two.append(throughput(doc, 4096, 2.0, 4) / throughput(doc, 4096, 2.0, 1))
        doc, _ = tune(binary, "io-bound", [*common, "--memory-sizes", "2048", "--concurrencies", "1,16"])
        io.append(throughput(doc, 2048, 2.0, 16) / throughput(doc, 2048, 2.0, 1))
        # The README's command (the defaults: 2048 and 4096 MB, 2 and 4 GiB/vCPU, 1 to 16).
        _, elapsed = tune(binary, "cpu-bound", ["--num", "10", "--power-values", "128,512,1024,1769,3008",
                                                "--monthly-invocations", "100000000"])
        wall.append(elapsed)
        print(f"run {run + 1}: 1 vCPU {one[-1]:.3f}, 2 vCPUs {two[-1]:.3f}, I/O x16 {io[-1]:.2f}, "
              f"README command {elapsed:.1f} s", flush=True)
    print(f"CPU-bound, 1 vCPU, concurrency 2 over 1: {summary(one)} (ideal 1)")
    print(f"CPU-bound, 2 vCPUs, concurrency 4 over 1: {summary(two)} (ideal 2)")
    print(f"I/O-bound, concurrency 16 over 1: {summary(io)} (target at least 8)")
    print(f"the README's LMI command: {summary(wall)} s")


if __name__ == "__main__":
    main()
