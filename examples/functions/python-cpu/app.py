"""A CPU-bound Python Lambda function: pure-Python arithmetic, one thread.

Its duration falls in proportion to the CPU share Lambda gives it (memory / 1769 MB of a vCPU)
up to one vCPU, and stays flat above: the cheapest memory is near 1769 MB or below.
Payload: {"iterations": N} (default 1000000), or {"cpuMs": N}: the same arithmetic until the
process has used N ms of CPU time, whatever each iteration costs on this host (its duration is
then N ms over the CPU share it gets: what the emulator's limits tests measure).
"""

import time


def handler(event, context):
    event = event or {}
    started, cpu_started = time.perf_counter(), time.process_time()
    total, iterations = 0, 0
    if "cpuMs" in event:
        until = cpu_started + float(event["cpuMs"]) / 1000
        while time.process_time() < until:
            for i in range(1000):
                total = (total + i * i) % 1_000_003
            iterations += 1000
    else:
        iterations = int(event.get("iterations", 1_000_000))
        for i in range(iterations):
            total = (total + i * i) % 1_000_003
    return {
        "iterations": iterations,
        "checksum": total,
        "memory": context.memory_limit_in_mb,
        "seconds": round(time.perf_counter() - started, 4),
    }
