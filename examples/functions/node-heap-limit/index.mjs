// A Node.js function whose heap outgrows its limit at 128 MB, as one holding too much in memory
// does: V8 aborts the process ("FATAL ERROR: ... JavaScript heap out of memory", in the log) and
// Lambda reports Runtime.ExitError. Run it with NODE_OPTIONS=--max-old-space-size=24 so the
// limit is reached in a moment on any machine. Above 128 MB it returns at once. powertune counts
// the heap's exhaustion as the power value's failure, not the run's.

export const handler = async () => {
  if (process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE === "128") {
    const hold = [];
    for (;;) hold.push(new Array(100000).fill(hold.length));
  }
  return { ok: true };
};
