#!/usr/bin/env python3
"""The decision benchmark (issue 11): how stable, how good and how cheap is the recommendation?

Tunes emulated workloads with a known shape many times each, locally (the release CLI, the
embedded emulator, cgroup limits), in five modes:

  exact-10     num 10, --exact-ties (the reference's rule)
  ties-10      num 10, statistical ties (the default)
  ties-50      num 50
  ties-100     num 100
  adaptive     --adaptive, num 100 as the cap, minNum 5

and prints, per workload and mode: the modal pick and its share of the runs (stability), the
regret (the true cost of the pick over the cheapest true cost, %), and the invocations used.
A power value's true cost is the invocation-weighted mean of its average cost over every run
of the workload, in every mode. Runs of the modes are interleaved, so that a slow spell of the
machine falls on all of them alike. Run it on a quiet machine: it measures real durations.

usage: scripts/decision-benchmark.py [--runs 20] [--workloads cpu,io,mixed,threads,noisy]
                                     [--json results.json]
"""

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POWERS = "128,512,1024,1769,3008"

# name: (function, payload, emulator faults, what the answer should be)
WORKLOADS = {
    "cpu": ("cpu-bound", {"iterations": 5_000_000}, None,
            "single-threaded CPU: the same cost up to 1769 MB, dearer above"),
    "io": ("io-bound", {"waitMs": 20}, None,
           "waits 20 ms at any memory: cost grows with memory, 128 MB"),
    "mixed": ("cpu-bound", {"iterations": 2_500_000, "waitMs": 10}, None,
              "5 ms of CPU at 1 vCPU, then 10 ms of waiting"),
    "threads": ("cpu-bound-threads", {"iterations": 10_000_000}, None,
                "two threads: the same cost up to 2 vCPUs, so faster all the way to 3008 MB"),
    "noisy": ("cpu-bound", {"iterations": 5_000_000},
              {"durationNoise": {"sigma": 0.5}},
              "cpu, every duration times a log-normal factor (sigma 0.5)"),
}

MODES = {
    "exact-10": ["--num", "10", "--exact-ties"],
    "ties-10": ["--num", "10"],
    "ties-50": ["--num", "50"],
    "ties-100": ["--num", "100"],
    "adaptive": ["--num", "100", "--adaptive"],
}


def powertune():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "powertune"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "powertune")


def tune(binary, workload, mode, out):
    function, payload, faults, _ = WORKLOADS[workload]
    command = [binary, "tune", "--local", os.path.join(ROOT, "examples", "functions", function),
               "--power-values", POWERS, "--payload", json.dumps(payload),
               "--include-output-results", "--json", out, "--output", "json", *MODES[mode]]
    if faults:
        command += ["--emulator-faults", json.dumps(faults)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{workload} {mode} failed:\n{done.stderr}")
    with open(out) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--json", help="also write every run's pick and invocations here")
    args = parser.parse_args()
    binary = powertune()
    workloads = args.workloads.split(",")
    results = collections.defaultdict(list)  # (workload, mode) -> [document]
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for workload in workloads:
            for run in range(args.runs):
                for mode in MODES:
                    doc = tune(binary, workload, mode, os.path.join(tmp, "run.json"))
                    results[(workload, mode)].append(doc)
                print(f"{workload}: run {run + 1}/{args.runs} ({time.time() - started:.0f} s)",
                      file=sys.stderr)

    print(f"Decision benchmark: {args.runs} runs per workload and mode, power values {POWERS}, "
          f"cost strategy; {time.time() - started:.0f} s in all.\n")
    summary = {}
    for workload in workloads:
        # The true cost of a power value: every run's average, weighted by its invocations.
        weighted = collections.defaultdict(lambda: [0.0, 0])
        for mode in MODES:
            for doc in results[(workload, mode)]:
                for s in doc["stats"]:
                    n = s.get("invocations") or 1
                    weighted[s["value"]][0] += s["averagePrice"] * n
                    weighted[s["value"]][1] += n
        true_cost = {v: total / n for v, (total, n) in weighted.items()}
        cheapest = min(true_cost.values())
        print(f"### {workload}: {WORKLOADS[workload][3]}\n")
        print("True cost per invocation (all runs pooled): " + ", ".join(
            f"{v} MB {100 * (c / cheapest - 1):+.1f}%" for v, c in sorted(true_cost.items())))
        print()
        print("| mode | modal pick | stability | regret, mean (max) | invocations per run |")
        print("|---|---|---|---|---|")
        full = statistics.mean(
            sum(s.get("invocations", 0) for s in d["stats"]) for d in results[(workload, "ties-100")])
        for mode in MODES:
            docs = results[(workload, mode)]
            picks = collections.Counter(d["power"] for d in docs)
            modal, count = picks.most_common(1)[0]
            regrets = [100 * (true_cost[d["power"]] / cheapest - 1) for d in docs]
            used = statistics.mean(sum(s.get("invocations", 0) for s in d["stats"]) for d in docs)
            others = ", ".join(f"{p} MB x{n}" for p, n in picks.most_common()[1:])
            print(f"| {mode} | {modal} MB{' (' + others + ')' if others else ''} | "
                  f"{100 * count / len(docs):.0f}% | {statistics.mean(regrets):.1f}% "
                  f"({max(regrets):.1f}%) | {used:.0f} ({100 * used / full:.0f}% of ties-100) |")
            summary[f"{workload}/{mode}"] = {
                "picks": dict(picks), "stability": count / len(docs),
                "regret_mean": statistics.mean(regrets), "invocations": used,
            }
        print()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
