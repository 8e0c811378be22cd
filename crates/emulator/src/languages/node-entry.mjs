// powertune's entry into Lambda's Node.js runtime interface client (aws-lambda-ric). The
// client's JavaScript loads and calls the handler as Lambda does (CommonJS and ES modules, async
// and callback handlers, the context, the error shapes). Its Runtime API client, a native addon
// (rapid-client.node: curl and aws-lambda-cpp compiled at install), is replaced by the few lines
// of HTTP/1.1 below over kept-alive sockets, so installing it compiles nothing. They are
// deliberately lean: at 128 MB a function gets 7% of a vCPU, and every millisecond of CPU this
// client spends is a millisecond Lambda's compiled client would not.
// The addon's three calls are next(), done() and error(); done() and error() return before
// their POST is answered, on a connection of their own.
import { createRequire } from "node:module";
import net from "node:net";
import { Worker, isMainThread, workerData } from "node:worker_threads";

const require = createRequire(import.meta.url);
const Module = require("node:module");

const [host, portText] = (process.env.AWS_LAMBDA_RUNTIME_API ?? "").split(":");
const port = Number(portText);
const invocation = "/2018-06-01/runtime/invocation/";

// One kept-alive connection per request in flight: a request takes an idle connection or opens
// one, so that several invocations at once (Lambda Managed Instances) each long-poll `next` on a
// connection of their own; on-demand Lambda's one-at-a-time loop keeps using one.
const idle = [];

function lost(error) {
  console.error(`powertune: the Runtime API is gone: ${error.message}`);
  process.exit(1);
}

class Connection {
  constructor() {
    // What has arrived and not been handed over yet: chunks, their total size, and the head
    // of the response being read (status, headers, where its body starts and how long it is).
    this.chunks = [];
    this.received = 0;
    this.head = null;
    this.waiting = null;
    this.socket = net.createConnection({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.answer();
    });
    this.socket.on("error", lost);
    this.socket.on("close", () => {
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (this.waiting !== null) lost(new Error("the connection closed"));
    });
  }

  // Hands the complete response to its request; a large body (an event of megabytes) is
  // joined once, when all of it is there. Then the connection is idle again.
  answer() {
    if (this.waiting === null || this.received === 0) return;
    if (this.head === null) {
      const buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
      this.chunks = [buffer];
      this.head = readHead(buffer);
      if (this.head === null) return;
    }
    const total = this.head.bodyStart + this.head.bodyLength;
    if (this.received < total) return;
    const buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
    const body = buffer.toString("utf8", this.head.bodyStart, total);
    this.chunks = [];
    this.received = 0;
    const { status, headers } = this.head;
    this.head = null;
    const resolve = this.waiting;
    this.waiting = null;
    // An idle socket must not keep the event loop alive: a callback handler's result is sent
    // when the loop empties (callbackWaitsForEmptyEventLoop), as Node's http agent would allow.
    this.socket.unref();
    idle.push(this);
    resolve({ status, headers, body });
  }

  send(request) {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.ref();
      this.socket.write(request);
    });
  }
}

// Reads the head of a response: null until all of it has arrived. The Runtime API (the
// emulator's hyper server) always sends Content-Length.
function readHead(buffer) {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buffer.toString("latin1", 0, end).split("\r\n");
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  return {
    status: Number(lines[0].split(" ")[1]),
    headers,
    bodyStart: end + 4,
    bodyLength: Number(headers["content-length"] ?? 0),
  };
}

function call(method, path, body) {
  const connection = idle.pop() ?? new Connection();
  const payload = body === undefined ? "" : body;
  const request =
    `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
    (body === undefined ? "" : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`) +
    "\r\n";
  return connection.send(request + payload);
}

const rapidClient = {
  async next() {
    const r = await call("GET", `${invocation}next`);
    if (r.status !== 200) throw new Error(`GET next answered ${r.status}: ${r.body}`);
    return { bodyJson: r.body, headers: r.headers };
  },
  done(id, body) {
    call("POST", `${invocation}${id}/response`, body);
  },
  error(id, body) {
    call("POST", `${invocation}${id}/error`, body);
  },
};

// Lambda Managed Instances: `AWS_LAMBDA_MAX_CONCURRENCY` requests at once, spread over worker
// threads ("Node.js runtime for Lambda Managed Instances": worker threads provide parallelism
// across vCPUs, and each runs several requests asynchronously; the function initializes once per
// worker thread). The emulator says how many workers (one per vCPU) in POWERTUNE_NODE_WORKERS.
// Each worker runs the client's loop once per request it may hold at once.
const concurrency = Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY ?? "0");
if (concurrency > 1 && isMainThread) {
  const workers = Math.max(1, Math.min(concurrency, Number(process.env.POWERTUNE_NODE_WORKERS ?? "1")));
  for (let w = 0; w < workers; w++) {
    const slots = Math.floor(concurrency / workers) + (w < concurrency % workers ? 1 : 0);
    const worker = new Worker(new URL(import.meta.url), { argv: process.argv.slice(2), workerData: { slots } });
    worker.on("exit", (code) => process.exit(code));
  }
} else {
  const loadNative = Module._extensions[".node"];
  Module._extensions[".node"] = (module, filename) => {
    if (filename.endsWith("rapid-client.node")) {
      module.exports = rapidClient;
      return;
    }
    return loadNative(module, filename);
  };

  const { run } = await import("./node_modules/aws-lambda-ric/dist/index.mjs");
  const slots = isMainThread ? 1 : workerData.slots;
  for (let i = 0; i < slots; i++) await run(process.cwd(), process.argv[2]);
}
