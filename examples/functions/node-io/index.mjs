// An I/O-bound Node.js Lambda function: it waits (as for a downstream call) and does almost
// no work, so its duration is the same at every memory size and the cheapest is the smallest.
// Payload: {"waitMs": N} (default 100).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const handler = async (event, context) => {
  const waitMs = Number(event?.waitMs ?? 100);
  await sleep(waitMs);
  return {
    waitedMs: waitMs,
    memory: context.memoryLimitInMB,
    requestId: context.awsRequestId,
  };
};
