// TLS: webpubsubd with [tls] serves https and wss to the official SDKs, which trust the test CA
// only through NODE_EXTRA_CA_CERTS (never allowInsecureConnection; they run in a child node,
// tls-child.mjs); expired and wrong-host certificates are refused by the SDK; an https upstream
// is verified against upstream.tls_ca_file (or not, with tls_insecure_skip_verify);
// --tls-self-signed end to end; the TLS handshake respects handshake_timeout_seconds; a
// json.reliable client over wss recovers across workers; SIGHUP replaces the certificate for
// new handshakes while open connections keep working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import WebSocket from "ws";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { startServer, hubToml, openWebSocket, eventually, serverBinary, releaseProcess, ACCESS_KEY } from "./harness.mjs";
import { loadContract, contractMiddleware, violations, tracker, assertNoViolations } from "./contract.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const certTool = process.env.TLS_TEST_CERTS ?? path.join(path.dirname(serverBinary), "tls-test-certs");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wps-tls-"));
const events = [];
let upstream;
let certs;

// A fresh CA and certificate in dir/name (ca.pem, cert.pem, key.pem).
function makeCerts(name, ...args) {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  execFileSync(certTool, [d, ...args]);
  return { dir: d, ca: path.join(d, "ca.pem"), cert: path.join(d, "cert.pem"), key: path.join(d, "key.pem") };
}

const tlsToml = (c) => `[tls]\ncert_file = "${c.cert}"\nkey_file = "${c.key}"\n`;

// Runs tls-child.mjs SCENARIO in a new node process trusting `ca` (none: the system CAs only).
async function runChild(scenario, connectionString, ca) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (ca) env.NODE_EXTRA_CA_CERTS = ca;
  const child = spawn(process.execPath, [path.join(here, "tls-child.mjs"), scenario, connectionString],
    { env, cwd: here, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { err += d; });
  const [code] = await once(child, "exit");
  const line = out.trim().split("\n").pop();
  const result = line ? JSON.parse(line) : {};
  assert.equal(code, 0, `tls-child ${scenario}: ${line} ${err}`);
  return result;
}

// An @azure/web-pubsub-express upstream served over https with `c`'s certificate.
async function startHttpsUpstream(c) {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/eventhandler",
    handleConnect: (req, res) => { events.push(["connect", req.context.userId]); res.success(); },
    onConnected: (req) => events.push(["connected", req.context.userId]),
  });
  const app = express();
  app.use(contractMiddleware(await loadContract(), (v) => violations.push(v), tracker));
  app.use(handler.getMiddleware());
  const server = https.createServer({ cert: fs.readFileSync(c.cert), key: fs.readFileSync(c.key) }, app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: (p) => `https://127.0.0.1:${server.address().port}${p}`,
    close: async () => {
      await tracker.idle(2000);
      await new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
      assertNoViolations();
    },
  };
}

before(async () => {
  certs = {
    server: makeCerts("server"),
    expired: makeCerts("expired", "--expired"),
    otherHost: makeCerts("other-host", "--host", "pubsub.example.test"),
    upstream: makeCerts("upstream", "--host", "127.0.0.1"),
  };
  upstream = await startHttpsUpstream(certs.upstream);
});

after(async () => {
  await upstream.close();
  fs.rmSync(dir, { recursive: true, force: true });
  releaseProcess();
});

const chatHub = () => hubToml("chat", upstream.url("/eventhandler/{event}"));
const upstreamCa = () => `[upstream]\ntls_ca_file = "${certs.upstream.ca}"\n`;

test("the service client and both client generations over https/wss, CA from NODE_EXTRA_CA_CERTS", async () => {
  const server = await startServer(`${chatHub()}${upstreamCa()}${tlsToml(certs.server)}`);
  try {
    assert.match(server.connectionString, /^Endpoint=https:\/\/127\.0\.0\.1:\d+;/);
    events.length = 0;
    const r = await runChild("sdk", server.connectionString, certs.server.ca);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.tokenUrl, `wss://127.0.0.1:${server.port}/client/hubs/chat`);
    assert.deepEqual(r["client-1.0"], ["broadcast to client-1.0", "hello from client-1.0"]);
    assert.deepEqual(r["client-1.1"], ["broadcast to client-1.1", "hello from client-1.1"]);
    assert.equal(r.userExists, true);
    // Every connect went to the https upstream, verified against upstream.tls_ca_file.
    assert.deepEqual(events.filter((e) => e[0] === "connect").map((e) => e[1]).sort(),
      ["client-1.0-a", "client-1.0-b", "client-1.1-a", "client-1.1-b"]);
    // Without the CA the SDK refuses the server (and plain http is not served at all).
    const untrusted = await runChild("refused", server.connectionString, null);
    assert.match(untrusted.rest.code, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    assert.notEqual(untrusted.ws.code, "connected");
    await assert.rejects(fetch(`http://127.0.0.1:${server.port}/api/health`));
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("an expired certificate and a wrong host name are refused by the SDKs", async () => {
  for (const [c, code] of [[certs.expired, "CERT_HAS_EXPIRED"], [certs.otherHost, "ERR_TLS_CERT_ALTNAME_INVALID"]]) {
    const server = await startServer(tlsToml(c));
    try {
      const r = await runChild("refused", server.connectionString, c.ca);
      assert.equal(r.rest.code, code, JSON.stringify(r));
      assert.notEqual(r.ws.code, "connected", JSON.stringify(r));
      assert.match(JSON.stringify(r.ws), new RegExp(`${code}|certificate|stopped|Failed|closed`, "i"));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  }
});

// A plain listener whose hub's handler is the https upstream; resolves to the handshake outcome.
async function connectThroughUpstream(upstreamKeys) {
  const server = await startServer(`${chatHub()}[upstream]\nretry_delays_ms = [100]\n${upstreamKeys}`);
  try {
    const service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
    const { url } = await service.getClientAccessToken({ userId: "up" });
    events.length = 0;
    try {
      const ws = await openWebSocket(url);
      ws.close();
      return { opened: true, events: events.slice(), stderr: server.stderr() };
    } catch (e) {
      return { opened: false, status: e.statusCode, events: events.slice(), stderr: server.stderr() };
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
}

test("an https upstream: verified against tls_ca_file, refused without it, tls_insecure_skip_verify warns", async () => {
  const verified = await connectThroughUpstream(`tls_ca_file = "${certs.upstream.ca}"\n`);
  assert.equal(verified.opened, true);
  assert.deepEqual(verified.events[0], ["connect", "up"]);
  const unverified = await connectThroughUpstream("");
  assert.equal(unverified.opened, false);
  assert.equal(unverified.events.length, 0); // the handshake with the upstream failed
  const insecure = await connectThroughUpstream("tls_insecure_skip_verify = true\n");
  assert.equal(insecure.opened, true);
  assert.match(insecure.stderr, /tls_insecure_skip_verify = true: certificates of https event handlers are NOT verified/);
});

test("--tls-self-signed: https connection string, the printed CA works with NODE_EXTRA_CA_CERTS", async () => {
  const server = await startServer(`${chatHub()}${upstreamCa()}`, ["--tls-self-signed"]);
  let caDir;
  try {
    assert.match(server.connectionString, /^Endpoint=https:\/\/127\.0\.0\.1:\d+;/);
    const m = /NODE_EXTRA_CA_CERTS=(\S+)/.exec(server.stderr());
    assert.ok(m, server.stderr());
    caDir = path.dirname(m[1]);
    const r = await runChild("sdk", server.connectionString, m[1]);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r["client-1.1"], ["broadcast to client-1.1", "hello from client-1.1"]);
  } finally {
    assert.equal(await server.stop(), 0);
    if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
  }
});

test("a TCP client that never finishes the TLS handshake is closed after handshake_timeout_seconds", async () => {
  const server = await startServer(`${tlsToml(certs.server)}[limits]\nhandshake_timeout_seconds = 1\n`);
  try {
    const started = Date.now();
    const silent = net.connect(server.port, "127.0.0.1");
    // Completes the TLS handshake, then sends no request: the same deadline applies.
    const tlsModule = await import("node:tls");
    const idle = tlsModule.connect({ port: server.port, host: "127.0.0.1", ca: fs.readFileSync(certs.server.ca) });
    const partial = net.connect(server.port, "127.0.0.1");
    partial.on("connect", () => partial.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))); // a ClientHello's start
    const closed = (s) => new Promise((r) => { s.on("error", () => {}); s.on("close", () => r(Date.now() - started)); });
    const [a, b, c] = await Promise.all([closed(silent), closed(partial), closed(idle)]);
    for (const ms of [a, b, c]) {
      assert.ok(ms >= 900 && ms < 4000, `closed after ${ms} ms`);
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("a json.reliable client over wss recovers after its socket is killed (two workers)", async () => {
  // Accepts go round-robin: the receiver's first connection and the second recovery land on
  // worker 0 and 1 (the sender's connection and the first recovery in between): the session
  // moves across workers once, its TLS session rebuilt on the other worker.
  const server = await startServer(`workers = 2\nlog_level = "debug"\n${chatHub()}${upstreamCa()}${tlsToml(certs.server)}`);
  try {
    const r = await runChild("recover", server.connectionString, certs.server.ca);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.got.length, r.sent, JSON.stringify(r.got));
    assert.equal(r.inOrder, true, JSON.stringify(r.got));
    assert.match(server.stderr(), /recovery: moving connection \S+ to worker \d \(TLS\)/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

// The certificate a new TLS handshake with 127.0.0.1:port presents (SHA-256 fingerprint).
async function presentedCertificate(port, ca) {
  const tls = await import("node:tls");
  const socket = tls.connect({ port, host: "127.0.0.1", ca, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  const cert = socket.getPeerCertificate();
  socket.destroy();
  return cert.fingerprint256;
}

test("SIGHUP reloads the certificate for new handshakes; an open wss connection keeps working", async () => {
  const live = makeCerts("live");
  const next = makeCerts("next");
  const server = await startServer(tlsToml(live));
  const ca = [fs.readFileSync(live.ca), fs.readFileSync(next.ca)];
  const fingerprint = (file) => new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256;
  try {
    const before = fingerprint(live.cert);
    assert.equal(await presentedCertificate(server.port, ca), before);
    const service = new WebPubSubServiceClient(server.connectionString, "chat");
    const { url } = await service.getClientAccessToken({ userId: "stays" });
    const ws = new WebSocket(url, "json.webpubsub.azure.v1", { ca });
    await once(ws, "open");
    // The files are replaced in place, then the server is told.
    fs.copyFileSync(next.cert, live.cert);
    fs.copyFileSync(next.key, live.key);
    server.nodes[0].child.kill("SIGHUP");
    await eventually(() => /reloaded the TLS certificate/.test(server.stderr()), 5000, "the reload");
    assert.equal(await presentedCertificate(server.port, ca), fingerprint(next.cert));
    assert.notEqual(fingerprint(next.cert), before);
    // The connection opened before the reload still works (ping/pong through its TLS session).
    ws.ping("still here");
    const [payload] = await once(ws, "pong");
    assert.equal(payload.toString(), "still here");
    // A broken pair is refused and the current one stays.
    fs.writeFileSync(live.key, "not a key\n");
    server.nodes[0].child.kill("SIGHUP");
    await eventually(() => /TLS reload failed, the previous certificate stays in use: tls\.key_file/.test(server.stderr()), 5000, "the failed reload");
    assert.equal(await presentedCertificate(server.port, ca), fingerprint(next.cert));
    ws.close();
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

// GET `url` over https trusting `ca`; resolves to {status, body} (body: the first `maxBytes`).
function httpsGet(url, ca, maxBytes = 1 << 20) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
        if (body.length >= maxBytes) { resolve({ status: res.statusCode, body }); req.destroy(); }
      });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
  });
}

test("the live trace over https: token --trace prints an https URL, page and event stream use TLS", async () => {
  const toml = tlsToml(certs.server);
  const server = await startServer(toml);
  const file = path.join(dir, "trace.toml");
  fs.writeFileSync(file, toml);
  const ca = fs.readFileSync(certs.server.ca);
  try {
    const pageUrl = execFileSync(serverBinary, ["token", "--trace", "--config", file, "--access-key",
      ACCESS_KEY, "--listen", `127.0.0.1:${server.port}`]).toString().trim();
    assert.match(pageUrl, new RegExp(`^https://127\\.0\\.0\\.1:${server.port}/trace\\?access_token=`));
    const page = await httpsGet(pageUrl, ca);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    const eventsUrl = pageUrl.replace("/trace?", "/trace/events?");
    // The stream greets its viewer with a `connected` trace event.
    const first = await httpsGet(eventsUrl, ca, 1);
    assert.equal(first.status, 200);
    const unauthorised = await httpsGet(`https://127.0.0.1:${server.port}/trace`, ca);
    assert.equal(unauthorised.status, 401);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

// A json.webpubsub.azure.v1 client over wss trusting `ca`; `inbox` collects its group messages.
async function wssClient(server, ca, userId) {
  const service = new WebPubSubServiceClient(server.connectionString, "chat");
  const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
  const { url } = await service.getClientAccessToken({ userId, roles });
  const ws = new WebSocket(url, "json.webpubsub.azure.v1", { ca, maxPayload: 4 << 20 });
  const inbox = [];
  const acks = [];
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === "message" && m.from === "group") inbox.push(m.data);
    if (m.type === "ack") acks.push(m);
  });
  await once(ws, "open");
  return { ws, inbox, acks };
}

test("wss carries large messages and bursts in order, also to a client that stops reading for a while", async () => {
  const server = await startServer(tlsToml(certs.server));
  const ca = fs.readFileSync(certs.server.ca);
  try {
    const receiver = await wssClient(server, ca, "receiver");
    const sender = await wssClient(server, ca, "sender");
    receiver.ws.send(JSON.stringify({ type: "joinGroup", group: "g", ackId: 1 }));
    await eventually(() => receiver.acks.length === 1, 5000, "the join ack");
    // Many records per message and many messages per record, both directions.
    const big = "x".repeat(700 * 1024);
    const burst = [];
    for (let i = 0; i < 300; i++) burst.push(i === 150 ? big : `m${i}`);
    for (const data of burst) sender.ws.send(JSON.stringify({ type: "sendToGroup", group: "g", data, noEcho: true }));
    await eventually(() => receiver.inbox.length === burst.length, 20000, "the burst");
    assert.deepEqual(receiver.inbox, burst);
    // The receiver stops reading: the server's TLS writes wait for the socket, then resume.
    receiver.inbox.length = 0;
    receiver.ws._socket.pause();
    const slow = [];
    for (let i = 0; i < 3000; i++) slow.push(`s${i}-${"y".repeat(4000)}`);
    for (const data of slow) sender.ws.send(JSON.stringify({ type: "sendToGroup", group: "g", data, noEcho: true }));
    await new Promise((r) => setTimeout(r, 500));
    receiver.ws._socket.resume();
    await eventually(() => receiver.inbox.length === slow.length, 20000, "the delivery after the pause");
    assert.deepEqual(receiver.inbox, slow);
    receiver.ws.close();
    sender.ws.close();
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("check-config loads the [tls] files: a key that does not match the certificate is an error", () => {
  const config = path.join(dir, "mismatch.toml");
  fs.writeFileSync(config, `access_keys = ["conformance-access-key-0123456789abcdefghij"]\n` +
    `[tls]\ncert_file = "${certs.server.cert}"\nkey_file = "${certs.expired.key}"\n`);
  let failed;
  try {
    execFileSync(serverBinary, ["check-config", config], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    failed = e;
  }
  assert.ok(failed, "check-config accepted a key of another certificate");
  assert.equal(failed.status, 1);
  assert.match(failed.stderr.toString(), /configuration error: tls\.key_file: .* does not match the certificate of tls\.cert_file/);
  const good = path.join(dir, "good.toml");
  fs.writeFileSync(good, `access_keys = ["conformance-access-key-0123456789abcdefghij"]\n${tlsToml(certs.server)}`);
  assert.match(execFileSync(serverBinary, ["check-config", good]).toString(), /OK/);
});
