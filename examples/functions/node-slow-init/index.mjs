// A Node.js function whose Init is slow at small memory sizes, as a large framework or SDK
// set-up is: the wait stands in for it, so the Init takes the same time on any machine.
// At 128 MB the wait is SLOW_INIT_MS (default 12 s), longer than Lambda's 10 s Init limit:
// Lambda then redoes the Init inside the first invocation, under the function's timeout. Above
// 128 MB it is 200 ms. The handler parses and sums a JSON document. Payload: {"items": N}.

const memory = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 128);
const initMs = memory <= 128 ? Number(process.env.SLOW_INIT_MS ?? 12000) : 200;
await new Promise((resolve) => setTimeout(resolve, initMs));
const initializedAt = Date.now();

export const handler = async (event) => {
  const items = Number(event?.items ?? 2000);
  const document = JSON.stringify(Array.from({ length: items }, (_, i) => ({ id: i, value: i * 7 })));
  const total = JSON.parse(document).reduce((sum, item) => sum + item.value, 0);
  return { total, initMs, initializedAt };
};
