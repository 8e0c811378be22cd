// powertune's entry into Lambda's Node.js runtime interface client (aws-lambda-ric). The
// client's JavaScript loads and calls the handler as Lambda does (CommonJS and ES modules, async
// and callback handlers, the context, the error shapes). Its Runtime API client, a native addon
// (rapid-client.node: curl and aws-lambda-cpp compiled at install), is replaced by Node's http,
// so installing it compiles nothing. The addon's three calls are next(), done() and error();
// done() and error() return before their POST completes, and the one-socket agent keeps them
// in order before the next GET.
import { createRequire } from "node:module";
import http from "node:http";

const require = createRequire(import.meta.url);
const Module = require("node:module");

const [hostname, port] = (process.env.AWS_LAMBDA_RUNTIME_API ?? "").split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const invocation = "/2018-06-01/runtime/invocation/";

function call(method, path, body) {
  const headers =
    body === undefined
      ? {}
      : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path, method, agent, headers }, (response) => {
      let data = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (data += chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body: data }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

function lost(error) {
  console.error(`powertune: the Runtime API is gone: ${error.message}`);
  process.exit(1);
}

const rapidClient = {
  async next() {
    const r = await call("GET", `${invocation}next`);
    if (r.status !== 200) throw new Error(`GET next answered ${r.status}: ${r.body}`);
    return { bodyJson: r.body, headers: r.headers };
  },
  done(id, body) {
    call("POST", `${invocation}${id}/response`, body).catch(lost);
  },
  error(id, body) {
    call("POST", `${invocation}${id}/error`, body).catch(lost);
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
