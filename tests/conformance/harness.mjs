// Test harness: starts webpubsubd (the binary from the build) with a generated TOML config and an
// Express upstream built with the official @azure/web-pubsub-express, both on port 0, and stops
// both by PID at the end.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach } from "node:test";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import WebSocket from "ws";
import { loadContract, contractMiddleware, violations, tracker, assertNoViolations } from "./contract.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const serverBinary =
  process.env.WEBPUBSUBD ?? path.resolve(here, "../../build/bin/webpubsubd");

export const ACCESS_KEY = "conformance-access-key-0123456789abcdefghij";

// A test fails if an upstream request it caused breaks docs/asyncapi.yaml (contract.mjs).
afterEach(assertNoViolations);

// Lets the process exit once a file's tests and cleanup are done, even when the official SDKs
// leave timers behind (a client's reconnect or retry delay outlives stop(); under load a
// reconnect loop kept a test file alive for minutes). Call it last in the file's final
// `after` hook, once every server and upstream it started is stopped.
export function releaseProcess() {
  setTimeout(() => process.exit(), 1000).unref();
}

// Starts an Express app serving `handlers` (an array of middleware) on 127.0.0.1:0. Every request
// is checked against docs/asyncapi.yaml; close() throws if one broke it.
export async function startUpstream(...middleware) {
  const app = express();
  app.use(contractMiddleware(await loadContract(), (v) => violations.push(v), tracker));
  for (const m of middleware) app.use(m);
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: server.address().port,
    url: (p) => `http://127.0.0.1:${server.address().port}${p}`,
    close: async () => {
      await tracker.idle(2000);
      await new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
      assertNoViolations();
    },
  };
}

// Starts one webpubsubd process with `configText` as its whole configuration file.
async function startNode(dir, name, configText, extraArgs) {
  const config = path.join(dir, `${name}.toml`);
  fs.writeFileSync(config, configText);
  const child = spawn(serverBinary, ["--config", config, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const connectionString = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("Endpoint="));
      if (line) resolve(line.trim());
    });
    child.on("exit", (code) => reject(new Error(`webpubsubd exited with ${code}: ${stderr}`)));
  });
  const port = Number(/:(\d+);/.exec(connectionString)[1]);
  return {
    child, connectionString, port, stderr: () => stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

// A TCP port that was free a moment ago (the OS picks it; the listener is closed again).
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// Starts redis-server on 127.0.0.1 and a free TCP port (or `port`, to restart one on the same
// address), without persistence, DEBUG allowed from local connections (the slow-Redis test).
// Resolves once it answers PING; stop() ends it by PID.
export async function startRedis(dir, port) {
  const p = port ?? await freePort();
  const child = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "",
    "--appendonly", "no", "--enable-debug-command", "local", "--dir", dir],
  { stdio: ["ignore", "pipe", "pipe"] });
  const cli = ["-h", "127.0.0.1", "-p", String(p)];
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      return execFileSync("redis-cli", [...cli, "PING"], { stdio: ["ignore", "pipe", "ignore"] })
        .toString().trim() === "PONG";
    } catch {
      return false;
    }
  }, 10000, "redis-server to start");
  return {
    port: p, url: `redis://127.0.0.1:${p}`, cli, child,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, "exit");
    },
  };
}

// Clusters started by startServer, by the port of their first node (see spreadUrl).
const clusters = new Map();

// Starts webpubsubd with `toml` (listen and key are added). With WPS_CLUSTER=N (N > 1) in the
// environment it starts N nodes sharing a redis-server instead; the result describes the first
// node, and client URLs are spread over all nodes by openWebSocket/spreadUrl. Resolves to
// {connectionString, port, ports, stop()} once every node printed its connection string.
export async function startServer(toml = "", extraArgs = [], { nodes, clusterToml = "" } = {}) {
  const count = nodes ?? Number(process.env.WPS_CLUSTER ?? 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wps-conf-"));
  const base = `listen = "127.0.0.1:0"\naccess_keys = ["${ACCESS_KEY}"]\n`;
  let redis = null;
  const started = [];
  if (count > 1) {
    redis = await startRedis(dir);
    const cluster = `[cluster]\nredis = "${redis.url}"\n${clusterToml}\n`;
    for (let i = 0; i < count; i++) {
      started.push(await startNode(dir, `node${i}`, `${base}${cluster}${toml}\n`, extraArgs));
    }
  } else {
    started.push(await startNode(dir, "node0", `${base}${toml}\n`, extraArgs));
  }
  const first = started[0];
  const result = {
    connectionString: first.connectionString,
    port: first.port,
    ports: started.map((n) => n.port),
    nodes: started,
    redis,
    dir,
    stderr: () => started.map((n) => n.stderr()).join(""),
    async stop() {
      let code = 0;
      for (const n of started) {
        const c = await n.stop();
        if (c !== 0 && c !== null) code = c;
      }
      if (redis) await redis.stop();
      clusters.delete(first.port);
      fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  if (count > 1) clusters.set(first.port, { ports: result.ports, next: 0 });
  return result;
}

// In cluster mode, points a client URL of the first node at the next node in turn.
export function spreadUrl(url) {
  const u = new URL(url);
  const cluster = clusters.get(Number(u.port));
  if (!cluster) return url;
  u.port = String(cluster.ports[cluster.next++ % cluster.ports.length]);
  return u.toString();
}

// A TOML hub section routing every event of `hub` to `url` (a template).
export function hubToml(hub, url, { userEvents = "*", system = ["connect", "connected", "disconnected"] } = {}) {
  return `[hubs.${hub}]\n[[hubs.${hub}.event_handlers]]\nurl_template = "${url}"\n` +
    `user_event_pattern = "${userEvents}"\nsystem_events = ${JSON.stringify(system)}\n`;
}

// Opens a ws connection; resolves to the socket once open, rejects with {statusCode} on refusal.
// With `spread` (the default), cluster clients are spread over the nodes (spreadUrl).
export function openWebSocket(url, protocols, { spread = true } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(spread ? spreadUrl(url) : url, protocols);
    const inbox = [];
    const waiters = [];
    ws.on("message", (data, isBinary) => {
      const m = { data: isBinary ? Buffer.from(data) : data.toString(), isBinary };
      const w = waiters.shift();
      if (w) w(m); else inbox.push(m);
    });
    ws.nextMessage = (timeoutMs = 5000) => new Promise((res, rej) => {
      if (inbox.length) return res(inbox.shift());
      const waiter = (m) => { clearTimeout(t); res(m); };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1); // a late message goes to the next reader
        rej(new Error("timed out waiting for a message"));
      }, timeoutMs);
      waiters.push(waiter);
    });
    ws.closed = new Promise((res) => ws.on("close", (code, reason) => res({ code, reason: reason.toString() })));
    ws.on("open", () => resolve(ws));
    ws.on("unexpected-response", (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.on("error", (e) => reject(e));
  });
}

// Polls `predicate` until it is true (or fails after `timeoutMs`).
export async function eventually(predicate, timeoutMs = 5000, what = "condition") {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export { startProxy } from "./tcp-proxy.mjs";
