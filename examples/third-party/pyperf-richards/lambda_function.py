# pyperformance's "richards" workload (PyPI: pyperformance, the CPython benchmark suite): its
# own benchmark module, loaded from the installed package and run once per invocation.
import importlib.util
import os

import pyperformance

_path = os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks", "bm_richards", "run_benchmark.py")
_spec = importlib.util.spec_from_file_location("bm_richards", _path)
bm_richards = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bm_richards)


def lambda_handler(event, context):
    iterations = int(event.get("iterations", 1))
    return {"ok": bool(bm_richards.Richards().run(iterations))}
