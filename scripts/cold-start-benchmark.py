#!/usr/bin/env python3
"""The cold-start decision benchmark (issue 18): what does the cold-start rate do to the pick?

Tunes two emulated workloads locally (the embedded emulator, cgroup limits, INIT billed as
Lambda bills it since 2025-08-01), each run with its cold starts measured apart
(--cold-samples), and re-analyzes every saved run at cold-start rates 0, 0.05 and 0.3
(`powertune analyze --cold-start-rate`), so each rate is judged on the same measurements:

  heavy-init   examples/functions/python-heavy-init: a 3-million-step loop at import, a light
               handler (the init dominates a cold start)
  light-init   examples/functions/cpu-bound (Rust): a few ms of init, 2.5 million steps of CPU
               in the handler

and prints, per workload and rate: the pick (modal over the runs, and its share), its true
blended cost, and what the reference's method would have picked: the lowest average cost over
all invocations, trimmed (20% each end, so the one cold invocation in ten is dropped: in effect
the warm mean), which knows nothing of the rate. The true cost of a power value at rate r is
(1 - r) x its warm cost + r x its cold cost, each pooled over every run (weighted by count);
regret is the pick's true cost over the cheapest's.

usage: scripts/cold-start-benchmark.py [--runs 5] [--workloads heavy-init,light-init]
                                       [--binary PATH]
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
RATES = [0.0, 0.05, 0.3]

# name: (function directory, extra flags, power values)
WORKLOADS = {
    "heavy-init": ("python-heavy-init", ["--handler", "app.handler"], "256,512,1024,1769"),
    "light-init": ("cpu-bound", ["--payload", json.dumps({"iterations": 2_500_000})],
                   "128,512,1024,1769"),
}


def release_binary():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "powertune"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "powertune")


def run(command):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def tune(binary, workload, cold_samples, saved):
    function, flags, powers = WORKLOADS[workload]
    run([binary, "tune", "--local", os.path.join(ROOT, "examples", "functions", function),
         *flags, "--power-values", powers, "--num", "10", "--cold-samples", str(cold_samples),
         "--include-output-results", "--json", saved, "--output", "json"])
    with open(saved) as f:
        return json.load(f)


def pick_at(binary, saved, rate):
    return json.loads(run([binary, "analyze", saved, "--cold-start-rate", str(rate),
                           "--output", "json"]))["power"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-samples", type=int, default=5)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--binary", help="a powertune binary (default: a release build)")
    args = parser.parse_args()
    binary = args.binary or release_binary()
    started = time.time()
    print(f"Cold-start benchmark: {args.runs} runs per workload, num 10, "
          f"--cold-samples {args.cold_samples}, cost strategy.\n")
    for workload in args.workloads.split(","):
        picks = collections.defaultdict(list)  # rate -> [power]
        reference = []
        warm = collections.defaultdict(lambda: [0.0, 0])
        cold = collections.defaultdict(lambda: [0.0, 0])
        init = collections.defaultdict(list)
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                saved = os.path.join(tmp, f"run-{i}.json")
                doc = tune(binary, workload, args.cold_samples, saved)
                for s in doc["stats"]:
                    if s.get("warm"):
                        warm[s["value"]][0] += s["warm"]["cost"] * s["warm"]["count"]
                        warm[s["value"]][1] += s["warm"]["count"]
                    if s.get("cold"):
                        cold[s["value"]][0] += s["cold"]["cost"] * s["cold"]["count"]
                        cold[s["value"]][1] += s["cold"]["count"]
                        init[s["value"]].append(s["cold"]["initDuration"])
                reference.append(min(doc["stats"], key=lambda s: s["averagePrice"])["value"])
                for rate in RATES:
                    picks[rate].append(pick_at(binary, saved, rate))
                print(f"{workload}: run {i + 1}/{args.runs} ({time.time() - started:.0f} s)",
                      file=sys.stderr)
        w = {v: t / n for v, (t, n) in warm.items()}
        c = {v: t / n for v, (t, n) in cold.items()}
        print(f"### {workload}: {WORKLOADS[workload][0]}\n")
        print("| power | warm cost | cold cost (init ms, median) |")
        print("|---|---|---|")
        for v in sorted(w):
            print(f"| {v} MB | {w[v]:.3e} | {c[v]:.3e} ({statistics.median(init[v]):.0f}) |")
        print()
        print("| rate | cheapest (true) | powertune's pick | its regret | reference's pick "
              "| its regret |")
        print("|---|---|---|---|---|---|")
        for rate in RATES:
            true = {v: (1 - rate) * w[v] + rate * c[v] for v in w}
            best = min(true, key=true.get)

            def described(ps):
                counts = collections.Counter(ps)
                modal, n = counts.most_common(1)[0]
                regret = statistics.mean(100 * (true[p] / true[best] - 1) for p in ps)
                return f"{modal} MB ({n}/{len(ps)})", f"{regret:.1f}%"

            ours, ours_regret = described(picks[rate])
            ref, ref_regret = described(reference)
            print(f"| {rate:g} | {best} MB | {ours} | {ours_regret} | {ref} | {ref_regret} |")
        print()
    print(f"{time.time() - started:.0f} s in all.", file=sys.stderr)


if __name__ == "__main__":
    main()
