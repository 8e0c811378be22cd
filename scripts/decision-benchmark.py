#!/usr/bin/env python3
"""The decision benchmark (issues 11 and 26): how good is the recommendation on real functions?

Tunes functions many times each, locally (the release CLI, the embedded emulator, cgroup
limits), and measures the regret of each recommendation: the true cost of the power value
picked over the cheapest true cost, %. A power value's true cost is the mean cost of a warm
invocation (what a month of warm traffic pays per invocation), pooled over long runs of the
same function (num 200, every invocation kept), made before, between and after the others.

The targets are functions nobody here wrote, installed from the registries (examples/third-party:
jinja2, python-igraph, pyperformance's own workloads, mathjs, js-yaml, sharp, acorn), chosen
because their durations are heavy-tailed or bimodal, beside two of our own examples.

Per target, two kinds of runs:

  num10      num 10, the defaults (the reference's num). From the same runs, the reference's
             method: the best average, its averages taken over every invocation (cold start
             included) trimmed by discardTopBottom 0.2, as the reference computes them.
  adaptive   --adaptive, capped at num 100.

and prints, per target and method: the mean regret, its 95th percentile and maximum, the share
of runs within 5%, picks that another power value beats on both cost and duration by the run's
own averages (must be none), and, for powertune, how many of the runs whose pick had a regret
above the 3% margin said that something was undecided.

usage: scripts/decision-benchmark.py [--runs 10] [--adaptive-runs 10] [--truth-runs 2]
                                     [--targets a,b] [--json results.json] [--keep DIR]
"""

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POWERS = "128,256,512,1024,1769,3008"
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                     "powertune-targets")

# name: (directory, extra arguments, what it is)
TARGETS = {
    "jinja-template": ("examples/third-party/jinja-template", [],
                       "jinja2 renders a page of 1000 numbers; imports on first use"),
    "igraph-pagerank": ("examples/third-party/igraph-pagerank", [],
                        "python-igraph: PageRank of a 3000-vertex scale-free graph (C underneath)"),
    "node-mixed": ("examples/third-party/node-mixed", [],
                   "mathjs matrix product, js-yaml, zlib, sharp resize (issue 26's Node.js function)"),
    "pyperf-richards": ("examples/third-party/pyperf-richards", [],
                        "pyperformance's richards (object-oriented CPU work)"),
    "pyperf-float": ("examples/third-party/pyperf-float", [],
                     "pyperformance's float (allocation-heavy; the collector runs now and then)"),
    "node-acorn": ("examples/third-party/node-acorn", [],
                   "acorn parses its own source (a JIT warming up over many invocations)"),
    "python-first-import": ("examples/functions/python-first-import", ["--handler", "app.handler"],
                            "ours: imports on first use, 2 ms bursts of CPU (bimodal when throttled)"),
    "cpu-bound": ("examples/functions/cpu-bound", ["--payload", '{"iterations": 5000000}'],
                  "ours: single-threaded Rust CPU loop (about 9 ms at 1769 MB)"),
}

MARGIN = 3.0  # the decision's tie margin, %


def powertune():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "powertune"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "powertune")


def install(name):
    """The target's directory, with its packages installed (third-party targets are copied into
    the cache and their requirements installed there, once)."""
    source = os.path.join(ROOT, TARGETS[name][0])
    if not source.startswith(os.path.join(ROOT, "examples", "third-party")):
        return source
    dest = os.path.join(CACHE, name)
    stamp = os.path.join(dest, ".installed")
    wanted = "".join(open(os.path.join(source, f)).read() for f in sorted(os.listdir(source)))
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    if os.path.exists(os.path.join(source, "requirements.txt")):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--target", dest, "-r", os.path.join(source, "requirements.txt")], check=True)
    if os.path.exists(os.path.join(source, "package.json")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=dest, check=True)
    with open(stamp, "w") as f:
        f.write(wanted)
    return dest


def tune(binary, directory, extra, mode_args, out):
    command = [binary, "tune", "--local", directory, "--power-values", POWERS,
               "--include-output-results", "--json", out, "--output", "json", "--timeout", "60",
               *extra, *mode_args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    with open(out) as f:
        return json.load(f)


def tmean(values, discard=0.2):
    values = sorted(values)
    n = len(values)
    k = min(int(n * discard), (n - 1) // 2) if n else 0
    kept = values[k:n - k]
    return sum(kept) / len(kept)


def costs(s):
    samples = s["samples"]
    return [b * samples["pricePerMs"] for b in samples["billed"]]


def warm_costs(s):
    cold = set(s["samples"].get("cold", []))
    return [c for i, c in enumerate(costs(s)) if i not in cold]


def succeeded(s):
    return "error" not in s and s.get("averageDuration", 0) > 0 and s.get("samples")


def reference_pick(doc):
    """The reference's method on the same invocations: the lowest trimmed mean of every
    invocation's cost, cold start included; equal costs go to the faster."""
    candidates = []
    for s in doc["stats"]:
        if not succeeded(s):
            continue
        durations = s["samples"]["durations"]
        candidates.append((tmean(costs(s)), tmean(durations), s["value"]))
    return min(candidates)[2]


def dominated(doc):
    """Whether another power value beats the pick on both cost and duration by the averages the
    run shows."""
    stats = {s["value"]: s for s in doc["stats"] if succeeded(s)}
    p = stats[doc["power"]]
    for q in stats.values():
        c, d = q["averagePrice"], q["averageDuration"]
        if c <= p["averagePrice"] and d <= p["averageDuration"] and \
                (c < p["averagePrice"] or d < p["averageDuration"]):
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--adaptive-runs", type=int, default=10)
    parser.add_argument("--truth-runs", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--json", help="also write the summary here")
    parser.add_argument("--keep", help="keep every run's result document in this directory")
    parser.add_argument("--binary", help="use this powertune binary instead of building one (a "
                        "long run then does not pick up edits made while it runs)")
    args = parser.parse_args()
    binary = args.binary or powertune()
    targets = args.targets.split(",")
    started = time.time()
    keep = args.keep or tempfile.mkdtemp(prefix="powertune-decisions-")
    os.makedirs(keep, exist_ok=True)
    summary = {}
    print(f"Decision benchmark: power values {POWERS}, cost strategy; {args.runs} runs at num 10, "
          f"{args.adaptive_runs} adaptive (cap 100), truth from {args.truth_runs} runs of num 200 "
          f"per target.\n")
    for name in targets:
        directory = install(name)
        extra = TARGETS[name][1]
        plan = []  # interleaved: truth runs spread over the others
        others = [("num10", i) for i in range(args.runs)] + \
                 [("adaptive", i) for i in range(args.adaptive_runs)]
        others.sort(key=lambda x: (x[1], x[0]))
        step = max(1, len(others) // max(1, args.truth_runs - 1)) if args.truth_runs > 1 else len(others) + 1
        for k, item in enumerate(others):
            if k % step == 0 and len([p for p in plan if p[0] == "truth"]) < args.truth_runs:
                plan.append(("truth", len([p for p in plan if p[0] == "truth"])))
            plan.append(item)
        while len([p for p in plan if p[0] == "truth"]) < args.truth_runs:
            plan.append(("truth", len([p for p in plan if p[0] == "truth"])))
        modes = {"truth": ["--adaptive", "--min-num", "200", "--num", "200"],
                 "num10": ["--num", "10"],
                 "adaptive": ["--adaptive", "--num", "100"]}
        docs = collections.defaultdict(list)
        for mode, i in plan:
            out = os.path.join(keep, f"{name}-{mode}-{i}.json")
            if not os.path.exists(out):
                tune(binary, directory, extra, modes[mode], out)
            with open(out) as f:
                docs[mode].append(json.load(f))
            print(f"{name}: {mode} {i + 1} ({time.time() - started:.0f} s)", file=sys.stderr)

        pooled = collections.defaultdict(list)
        for doc in docs["truth"]:
            for s in doc["stats"]:
                if succeeded(s):
                    pooled[s["value"]].extend(warm_costs(s))
        truth = {v: statistics.mean(c) for v, c in pooled.items()}
        cheapest = min(truth.values())
        regret = lambda power: 100 * (truth[power] / cheapest - 1) if power in truth else float("inf")

        print(f"### {name}: {TARGETS[name][2]}\n")
        print("True cost per warm invocation: " + ", ".join(
            f"{v} MB {100 * (c / cheapest - 1):+.1f}%" for v, c in sorted(truth.items())) + "\n")
        print("| method | picks | regret mean | p95 | max | within 5% | dominated | over 3%, said undecided |")
        print("|---|---|---|---|---|---|---|---|")
        rows = {
            "reference (best average), num 10": [(reference_pick(d), d, False) for d in docs["num10"]],
            "powertune, num 10": [(d["power"], d, True) for d in docs["num10"]],
            "powertune --adaptive (cap 100)": [(d["power"], d, True) for d in docs["adaptive"]],
        }
        summary[name] = {}
        for method, picks in rows.items():
            if not picks:
                continue
            regrets = sorted(regret(p) for p, _, _ in picks)
            counts = collections.Counter(p for p, _, _ in picks)
            p95 = regrets[max(0, int(round(0.95 * len(regrets))) - 1)]
            within = sum(r <= 5.0 for r in regrets) / len(regrets)
            ours = picks[0][2]
            bad = sum(dominated(d) for _, d, o in picks if o) if ours else "-"
            wrong = [(p, d) for p, d, _ in picks if regret(p) > MARGIN]
            said = (f"{sum(bool(d.get('undecided')) for _, d in wrong)} of {len(wrong)}"
                    if ours else "-")
            print(f"| {method} | " + ", ".join(f"{p} x{n}" for p, n in counts.most_common()) +
                  f" | {statistics.mean(regrets):.1f}% | {p95:.1f}% | {regrets[-1]:.1f}% | "
                  f"{100 * within:.0f}% | {bad} | {said} |")
            invocations = statistics.mean(
                sum(s.get("invocations", 0) or 0 for s in d["stats"]) for _, d, _ in picks)
            summary[name][method] = {"regret_mean": statistics.mean(regrets), "regret_p95": p95,
                                     "regret_max": regrets[-1], "within_5": within,
                                     "dominated": bad, "said_undecided": said,
                                     "invocations": invocations, "picks": dict(counts)}
        print(f"\nInvocations per run: num 10: {summary[name]['powertune, num 10']['invocations']:.0f}; "
              f"adaptive: {summary[name].get('powertune --adaptive (cap 100)', {}).get('invocations', 0):.0f}\n")
    print(f"{time.time() - started:.0f} s in all; result documents in {keep}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
