#!/usr/bin/env python3
"""What thinning an LMI load to the state machine's 200 samples does to the decision.

A state machine's Executor returns at most 200 durations and 200 latencies per configuration
(evenly spaced order statistics; the counts stay exact), so that the loads fit a 256 KB state. This script takes a
local LMI run saved with --json (every sample kept), thins its loads as the Executor does, and
has `powertune analyze` decide on both; it prints each configuration's throughput interval and
percentiles side by side, and whether the recommendation is the same.

    scripts/lmi-thinning.py SAVED.json [--binary POWERTUNE] [--keep 200] [-- ANALYZE FLAGS]
"""
import argparse
import copy
import json
import subprocess
import sys
import tempfile


def thin(values, keep):
    """As Load::thinned: evenly spaced order statistics (the smallest, the largest, the quantiles
    between them)."""
    if len(values) <= keep:
        return values
    ordered = sorted(values)
    last = len(ordered) - 1
    return [ordered[round(i * last / (keep - 1))] for i in range(keep)]


def analyze(binary, path, flags):
    out = subprocess.run([binary, "analyze", path, "--output", "json", *flags], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["managedInstances"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("saved")
    p.add_argument("--binary", default="powertune")
    p.add_argument("--keep", type=int, default=200)
    argv = sys.argv[1:]
    flags = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    a = p.parse_args(argv)
    a.flags = flags
    saved = json.load(open(a.saved))
    thinned = copy.deepcopy(saved)
    for entry in thinned["measured"]["loads"]:
        load = entry["load"]
        load["durationsMs"] = thin(load["durationsMs"], a.keep)
        load["latenciesMs"] = [round(x, 3) for x in thin(load["latenciesMs"], a.keep)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(thinned, f)
    full, kept = analyze(a.binary, a.saved, a.flags), analyze(a.binary, f.name, a.flags)
    print(f"{'configuration':<34} {'samples':>8} {'interval (all)':>18} {'interval (kept)':>18} "
          f"{'p50 all/kept':>16} {'p99 all/kept':>16}")
    for r, t, entry in zip(full["rows"], kept["rows"], saved["measured"]["loads"]):
        c = r["configuration"]
        name = f"{c['memoryMb']} MB {c['gibPerVcpu']} GiB/vCPU c{c['concurrency']}"
        iv = lambda row: (f"{row['throughputInterval']['low']:.1f}-{row['throughputInterval']['high']:.1f}"
                          if row.get("throughputInterval") else "-")
        print(f"{name:<34} {len(entry['load']['durationsMs']):>8} {iv(r):>18} {iv(t):>18} "
              f"{r['durationP50Ms']:>7.2f}/{t['durationP50Ms']:<7.2f} {r['durationP99Ms']:>7.2f}/{t['durationP99Ms']:<7.2f}")
    same = full["recommended"] == kept["recommended"]
    print(f"recommended: all samples row {full['recommended']}, kept row {kept['recommended']}: "
          f"{'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
