// powertune's entry into Lambda's Node.js runtime interface client (aws-lambda-ric). The
// client's JavaScript loads and calls the handler as Lambda does (CommonJS and ES modules, async
// and callback handlers, the context, the error shapes). Its Runtime API client, a native addon
// (rapid-client.node: curl and aws-lambda-cpp compiled at install), is replaced by the few lines
// of HTTP/1.1 below over one kept-alive socket, so installing it compiles nothing. They are
// deliberately lean: at 128 MB a function gets 7% of a vCPU, and every millisecond of CPU this
// client spends is a millisecond Lambda's compiled client would not.
// The addon's three calls are next(), done() and error(); done() and error() return before
// their POST is answered, and the one socket keeps the requests and answers in order.
import { createRequire } from "node:module";
import net from "node:net";

const require = createRequire(import.meta.url);
const Module = require("node:module");

const [host, portText] = (process.env.AWS_LAMBDA_RUNTIME_API ?? "").split(":");
const port = Number(portText);
const invocation = "/2018-06-01/runtime/invocation/";

let socket = null;
// What has arrived and not been handed over yet: chunks, their total size, and the head of the
// response being read (status, headers, where its body starts and how long it is).
let chunks = [];
let received = 0;
let head = null;
const waiting = [];

function lost(error) {
  console.error(`powertune: the Runtime API is gone: ${error.message}`);
  process.exit(1);
}

function connect() {
  socket = net.createConnection({ host, port });
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    chunks.push(chunk);
    received += chunk.length;
    answer();
  });
  socket.on("error", lost);
  socket.on("close", () => {
    socket = null;
    if (waiting.length > 0) lost(new Error("the connection closed"));
  });
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

// Hands every complete response to the oldest waiting request; a large body (an event of
// megabytes) is joined once, when all of it is there.
function answer() {
  while (waiting.length > 0 && received > 0) {
    if (head === null) {
      const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      chunks = [buffer];
      head = readHead(buffer);
      if (head === null) return;
    }
    const total = head.bodyStart + head.bodyLength;
    if (received < total) return;
    const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
    const body = buffer.toString("utf8", head.bodyStart, total);
    const rest = buffer.subarray(total);
    chunks = rest.length > 0 ? [rest] : [];
    received = rest.length;
    const { status, headers } = head;
    head = null;
    waiting.shift()({ status, headers, body });
  }
  // An idle socket must not keep the event loop alive: a callback handler's result is sent
  // when the loop empties (callbackWaitsForEmptyEventLoop), as Node's http agent would allow.
  if (waiting.length === 0 && socket !== null) socket.unref();
}

function call(method, path, body) {
  if (socket === null) connect();
  const payload = body === undefined ? "" : body;
  const request =
    `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
    (body === undefined ? "" : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`) +
    "\r\n";
  return new Promise((resolve) => {
    waiting.push(resolve);
    socket.ref();
    socket.write(request + payload);
  });
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

const loadNative = Module._extensions[".node"];
Module._extensions[".node"] = (module, filename) => {
  if (filename.endsWith("rapid-client.node")) {
    module.exports = rapidClient;
    return;
  }
  return loadNative(module, filename);
};

const { run } = await import("./node_modules/aws-lambda-ric/dist/index.mjs");
await run(process.cwd(), process.argv[2]);
