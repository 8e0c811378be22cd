"""A Python function that needs more memory than 128 MB gives it, and says so as Python does:
at 128 MB it asks for a buffer no machine has, and the runtime answers `MemoryError` (the
error type awslambdaric reports is the exception's class). Above 128 MB it returns at once.
powertune counts a `MemoryError` as the power value's failure, not the run's."""

import os


def handler(event, context):
    if os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") == "128":
        bytearray(10**14)
    return {"ok": True}
