// The webpubsubd command line, run as a process: where the access keys come from (--access-key,
// --access-key-file, WEBPUBSUBD_ACCESS_KEYS, the config file), --no-print-key, and `token`
// refusing to sign without a key. Keys must never show up in the log (stderr). --data-dir: the
// start errors of the outbox (lock held, corrupt database) and what SIGTERM says of the events
// left undelivered.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { serverBinary, openWebSocket, eventually } from "./harness.mjs";

const FILE_KEY = "cli-file-key-0123456789abcdefghijklmnopqrstuv";
const ENV_KEY = "cli-env-key-0123456789abcdefghijklmnopqrstuvw";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wps-cli-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name, text) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

// The environment of the tests without WEBPUBSUBD_ACCESS_KEYS, plus `extra`.
function env(extra = {}) {
  const e = { ...process.env, ...extra };
  if (!("WEBPUBSUBD_ACCESS_KEYS" in extra)) delete e.WEBPUBSUBD_ACCESS_KEYS;
  return e;
}

// Starts webpubsubd with `args` (listen on port 0, debug log); resolves once it printed its
// connection string.
async function serve(args, extraEnv = {}) {
  const child = spawn(serverBinary, ["--listen", "127.0.0.1:0", "--log-level", "debug", ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: env(extraEnv) });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const line = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      const l = stdout.split("\n").find((x) => x.startsWith("Endpoint="));
      if (l) resolve(l.trim());
    });
    child.on("exit", (code) => reject(new Error(`webpubsubd exited with ${code}: ${stderr}`)));
  });
  const port = Number(/:(\d+);/.exec(line)[1]);
  return {
    line, port, stdout: () => stdout, stderr: () => stderr,
    async stop() {
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

function service(port, key) {
  return new WebPubSubServiceClient(`Endpoint=http://127.0.0.1:${port};AccessKey=${key};Version=1.0;`,
    "cli", { allowInsecureConnection: true });
}

function run(args, extraEnv = {}) {
  return spawnSync(serverBinary, args, { env: env(extraEnv), encoding: "utf8" });
}

// `webpubsubd token` with `keyArgs`/`extraEnv` against the server on `port`: its URL connects.
async function tokenConnects(keyArgs, port, extraEnv = {}) {
  const t = run(["token", ...keyArgs, "--listen", `127.0.0.1:${port}`, "--hub", "cli"], extraEnv);
  assert.equal(t.status, 0, t.stderr);
  const ws = await openWebSocket(t.stdout.trim(), "json.webpubsub.azure.v1", { spread: false });
  assert.equal(JSON.parse((await ws.nextMessage()).data).event, "connected");
  ws.close(1000);
}

test("`token` with a config file without access keys fails instead of signing with a throwaway key", () => {
  const config = writeFile("nokeys.toml", 'listen = "127.0.0.1:7000"\n');
  const r = run(["token", "--config", config, "--hub", "cli"]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /no access key/);
});

test("`token` without any key source fails", () => {
  const r = run(["token", "--hub", "cli"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no access key/);
});

test("--access-key-file: keys work for REST, --no-print-key hides the key, the log never shows it", async () => {
  const file = writeFile("keys", `# primary\n\n  ${FILE_KEY}  \n# old key\n`);
  // The file wins over the environment variable.
  const s = await serve(["--access-key-file", file, "--no-print-key"], { WEBPUBSUBD_ACCESS_KEYS: ENV_KEY });
  try {
    assert.equal(s.line, `Endpoint=http://127.0.0.1:${s.port};Version=1.0;`);
    assert.ok(!s.stdout().includes(FILE_KEY));
    await service(s.port, FILE_KEY).sendToAll("hello", { contentType: "text/plain" });
    await assert.rejects(service(s.port, ENV_KEY).sendToAll("x", { contentType: "text/plain" }),
      (e) => e.statusCode === 401);
    // `token` reads the same file; its URL connects.
    await tokenConnects(["--access-key-file", file], s.port);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  assert.ok(!s.stderr().includes(FILE_KEY), "the key appears in the log");
  assert.ok(!s.stderr().includes(ENV_KEY), "the key appears in the log");
});

test("WEBPUBSUBD_ACCESS_KEYS: comma-separated keys work; without --no-print-key the line has the key", async () => {
  const second = "cli-second-key-0123456789abcdefghijklmnopqrs";
  const s = await serve([], { WEBPUBSUBD_ACCESS_KEYS: ` ${ENV_KEY} , ${second},` });
  try {
    assert.equal(s.line, `Endpoint=http://127.0.0.1:${s.port};AccessKey=${ENV_KEY};Version=1.0;`);
    await service(s.port, ENV_KEY).sendToAll("a", { contentType: "text/plain" });
    await service(s.port, second).sendToAll("b", { contentType: "text/plain" });
    await tokenConnects([], s.port, { WEBPUBSUBD_ACCESS_KEYS: ENV_KEY });
  } finally {
    assert.equal(await s.stop(), 0);
  }
  assert.ok(!s.stderr().includes(ENV_KEY), "the key appears in the log");
});

test("--access-key wins over the file, the variable and the config file", async () => {
  const flagKey = "cli-flag-key-0123456789abcdefghijklmnopqrstuv";
  const config = writeFile("withkey.toml", `access_keys = ["cli-config-key-0123456789abcdefghijklmnopqrst"]\n`);
  const file = writeFile("keys2", `${FILE_KEY}\n`);
  const s = await serve(["--config", config, "--access-key", flagKey, "--access-key-file", file],
    { WEBPUBSUBD_ACCESS_KEYS: ENV_KEY });
  try {
    assert.match(s.line, new RegExp(`AccessKey=${flagKey};`));
    await assert.rejects(service(s.port, FILE_KEY).sendToAll("x", { contentType: "text/plain" }),
      (e) => e.statusCode === 401);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test("the variable wins over the config file's keys", async () => {
  const config = writeFile("withkey2.toml", `access_keys = ["cli-config-key-0123456789abcdefghijklmnopqrst"]\n`);
  const s = await serve(["--config", config], { WEBPUBSUBD_ACCESS_KEYS: ENV_KEY });
  try {
    assert.match(s.line, new RegExp(`AccessKey=${ENV_KEY};`));
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test("an unreadable key file, a key file without a key or an empty variable is a clear error", () => {
  const missing = run(["--listen", "127.0.0.1:0", "--access-key-file", path.join(dir, "absent")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--access-key-file: cannot read/);
  const onlyComments = writeFile("comments", "# nothing here\n\n");
  const empty = run(["--listen", "127.0.0.1:0", "--access-key-file", onlyComments]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /--access-key-file: no key/);
  const blankVar = run(["--listen", "127.0.0.1:0"], { WEBPUBSUBD_ACCESS_KEYS: " , " });
  assert.equal(blankVar.status, 1);
  assert.match(blankVar.stderr, /WEBPUBSUBD_ACCESS_KEYS: no key/);
});

test("--data-dir: a second webpubsubd on the same directory and a corrupt outbox database exit with status 3", async () => {
  const data = path.join(dir, "data");
  const first = await serve(["--access-key", FILE_KEY, "--data-dir", data]);
  try {
    const second = run(["--listen", "127.0.0.1:0", "--access-key", FILE_KEY, "--data-dir", data]);
    assert.equal(second.status, 3, second.stderr);
    assert.ok(second.stderr.includes(path.join(data, "LOCK")), second.stderr);
    assert.doesNotMatch(second.stderr, /configuration error/);
  } finally {
    assert.equal(await first.stop(), 0);
  }
  const bad = path.join(dir, "corrupt");
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, "outbox.db"), "x".repeat(8192));
  const corrupt = run(["--listen", "127.0.0.1:0", "--access-key", FILE_KEY, "--data-dir", bad]);
  assert.equal(corrupt.status, 3, corrupt.stderr);
  assert.ok(corrupt.stderr.includes(path.join(bad, "outbox.db")), corrupt.stderr);
  assert.equal(fs.readFileSync(path.join(bad, "outbox.db"), "utf8"), "x".repeat(8192));
});

// A handler nobody listens on: connected/disconnected stay pending until shutdown.drain_seconds.
async function serveWithDeadHandler(extraArgs) {
  const config = writeFile(`dead-${extraArgs.length}.toml`,
    '[hubs.cli]\n[[hubs.cli.event_handlers]]\nurl_template = "http://127.0.0.1:1/{event}"\n' +
    'system_events = ["connected", "disconnected"]\n[shutdown]\ndrain_seconds = 1\n');
  const server = await serve(["--config", config, "--access-key", FILE_KEY, ...extraArgs]);
  const t = run(["token", "--access-key", FILE_KEY, "--listen", `127.0.0.1:${server.port}`, "--hub", "cli"]);
  assert.equal(t.status, 0, t.stderr);
  const ws = await openWebSocket(t.stdout.trim(), "json.webpubsub.azure.v1", { spread: false });
  assert.equal(JSON.parse((await ws.nextMessage()).data).event, "connected");
  return server;
}

test("SIGTERM with undelivered events: lost without a data dir (WARN), kept with one (INFO)", async () => {
  const memory = await serveWithDeadHandler([]);
  assert.equal(await memory.stop(), 0);
  assert.match(memory.stderr(),
    /2 undelivered connected\/disconnected events were lost \(no delivery\.data_dir\)/);
  const data = path.join(dir, "kept");
  const durable = await serveWithDeadHandler(["--data-dir", data]);
  assert.equal(await durable.stop(), 0);
  assert.ok(durable.stderr().includes(
    `2 undelivered events stay in the outbox ${data} and are delivered after the next start`),
  durable.stderr());
});

test("--version prints the version and the commit the binary was built from", () => {
  const r = spawnSync(serverBinary, ["--version"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout.trim(), /^webpubsubd \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$/);
});

test("check-config validates a file without starting: OK, or the start's error naming the key", () => {
  const good = writeFile("check-good.toml",
    'listen = "127.0.0.1:9"\n[[hubs.chat.event_handlers]]\nurl_template = "http://127.0.0.1:1/{event}"\n');
  const ok = spawnSync(serverBinary, ["check-config", good], { encoding: "utf8", env: env() });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /check-good\.toml: OK \(listen 127\.0\.0\.1:9, .*1 event handlers\)/);
  const bad = writeFile("check-bad.toml",
    '[[hubs.chat.event_handlers]]\nurl_template = "ftp://x/{event}"\n');
  const no = spawnSync(serverBinary, ["check-config", bad], { encoding: "utf8", env: env() });
  assert.equal(no.status, 1);
  assert.match(no.stderr, /configuration error: .*url_template/);
  assert.equal(no.stdout, "");
  const missing = spawnSync(serverBinary, ["check-config", path.join(dir, "nope.toml")],
    { encoding: "utf8", env: env() });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.toml/);
});

test("--log-format json: every line is one JSON object; access lines for REST and handshakes, tokens redacted", async () => {
  const s = await serve(["--access-key", FILE_KEY, "--log-format", "json"]);
  const client = service(s.port, FILE_KEY);
  let token;
  try {
    await client.sendToAll("hello", { contentType: "text/plain" });
    token = (await client.getClientAccessToken({ userId: "ann" })).token;
    const ws = await openWebSocket(
      `ws://127.0.0.1:${s.port}/client/hubs/cli?access_token=${token}`, "json.webpubsub.azure.v1",
      { spread: false });
    const connectionId = JSON.parse((await ws.nextMessage()).data).connectionId;
    ws.close(1000);
    const refused = await new Promise((resolve, reject) => {
      const req = http.get(`http://127.0.0.1:${s.port}/client/hubs/cli?access_token=bad.token.here`,
        { headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      req.on("response", (res) => { res.resume(); resolve(res.statusCode); });
      req.on("upgrade", () => reject(new Error("upgraded with a bad token")));
      req.on("error", reject);
    });
    assert.equal(refused, 401);
    // A line is written once its answer is sent: wait for the last one.
    await eventually(() => s.stderr().includes('"status":401'), 5000, "the 401 access line");
    const lines = s.stderr().trim().split("\n").map((l) => JSON.parse(l));
    for (const l of lines) {
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof l.level, "string");
      assert.equal(typeof l.message, "string");
    }
    // The REST latency histogram counted the call under its operation.
    const metricsText = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
    assert.match(metricsText,
      /^webpubsubd_rest_request_duration_seconds_count\{operation="SendToAll"\} 1$/m);
    const rest = lines.find((l) => l.message === "http request" && l.method === "POST");
    assert.ok(rest, "no access line for the REST call");
    assert.match(rest.path, /^\/api\/hubs\/cli\/:send/);
    assert.equal(rest.status, 202);
    assert.equal(rest.remote, "127.0.0.1");
    assert.equal(typeof rest.duration_ms, "number");
    const hs = lines.filter((l) => l.message === "websocket handshake");
    const ok = hs.find((l) => l.status === 101);
    assert.equal(ok.hub, "cli");
    assert.equal(ok.connection_id, connectionId);
    assert.equal(ok.subprotocol, "json.webpubsub.azure.v1");
    assert.equal(ok.path, "/client/hubs/cli?access_token=***");
    assert.ok(hs.some((l) => l.status === 401 && l.path === "/client/hubs/cli?access_token=***"));
  } finally {
    assert.equal(await s.stop(), 0);
  }
  assert.ok(!s.stderr().includes(token), "a token appears in the log");
  assert.ok(!s.stderr().includes("bad.token.here"), "a token appears in the log");
  assert.ok(!s.stderr().includes(FILE_KEY), "the key appears in the log");
});

test("access_log = false turns the access lines off", async () => {
  const config = writeFile("noaccess.toml", "access_log = false\n");
  const s = await serve(["--config", config, "--access-key", FILE_KEY]);
  try {
    await service(s.port, FILE_KEY).sendToAll("hello", { contentType: "text/plain" });
  } finally {
    assert.equal(await s.stop(), 0);
  }
  assert.ok(s.stderr().includes("listening on"), s.stderr());
  assert.ok(!s.stderr().includes("http request"), s.stderr());
});
