# pyperformance's "float" workload (PyPI: pyperformance): creates, normalizes and maximizes
# many Point objects, so it allocates heavily and the garbage collector runs now and then.
import importlib.util
import os

import pyperformance

_path = os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks", "bm_float", "run_benchmark.py")
_spec = importlib.util.spec_from_file_location("bm_float", _path)
bm_float = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bm_float)


def lambda_handler(event, context):
    points = int(event.get("points", 20_000))
    result = bm_float.benchmark(points)
    return {"x": result.x}
