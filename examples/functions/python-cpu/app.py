"""A CPU-bound Python Lambda function: pure-Python arithmetic, one thread.

Its duration falls in proportion to the CPU share Lambda gives it (memory / 1769 MB of a vCPU)
up to one vCPU, and stays flat above: the cheapest memory is near 1769 MB or below.
Payload: {"iterations": N} (default 1000000).
"""

import time


def handler(event, context):
    iterations = int((event or {}).get("iterations", 1_000_000))
    started = time.perf_counter()
    total = 0
    for i in range(iterations):
        total = (total + i * i) % 1_000_003
    return {
        "iterations": iterations,
        "checksum": total,
        "memory": context.memory_limit_in_mb,
        "seconds": round(time.perf_counter() - started, 4),
    }
