// The operator's metrics after real traffic (docs/metrics.md): the blocking-event latency and its
// stages, the connection-level gauges (per hub and protocol, groups, detached reliable sessions,
// outbound queued bytes) and the refusal / close / limit-hit counters, read from GET /metrics
// while clients and an upstream built with @azure/web-pubsub-express 1.1.0 run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "web-pubsub-express-1.1";
import { startUpstream, startServer, hubToml, openWebSocket, eventually, releaseProcess } from "./harness.mjs";

let upstream, server, chat, lobby;
const opened = [];

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/up",
    handleConnect: (req, res) => res.success(),
    handleUserEvent: (req, res) => {
      if (req.context.eventName === "slow") setTimeout(() => res.success("done", "text"), 200);
      else res.success();
    },
  });
  upstream = await startUpstream(handler.getMiddleware());
  // "chat" is configured; "lobby" is not (it gets a dynamic hub label).
  server = await startServer(hubToml("chat", upstream.url("/up/{event}")), [], { nodes: 1 });
  const options = { allowInsecureConnection: true };
  chat = new WebPubSubServiceClient(server.connectionString, "chat", options);
  lobby = new WebPubSubServiceClient(server.connectionString, "lobby", options);
});

after(async () => {
  for (const ws of opened) ws.terminate();
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

async function scrape() {
  return (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
}

// The value of the sample `series` (name with its labels, as rendered), or NaN.
async function sample(series) {
  const line = (await scrape()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

async function client(service, protocol, roles = []) {
  const { url } = await service.getClientAccessToken({ userId: "u", roles });
  const ws = await openWebSocket(url, protocol);
  opened.push(ws);
  if (protocol) assert.equal(JSON.parse((await ws.nextMessage()).data).event, "connected");
  return ws;
}

async function request(ws, message) {
  ws.send(JSON.stringify(message));
  for (;;) {
    const m = JSON.parse((await ws.nextMessage()).data);
    if (m.type === "ack" && m.ackId === message.ackId) return m;
  }
}

test("blocking user events: the latency from the client's frame to its answer", async () => {
  const ws = await client(chat, "json.webpubsub.azure.v1");
  const ack = await request(ws, { type: "event", event: "slow", dataType: "text", data: "x", ackId: 1 });
  assert.equal(ack.success, true);
  const series = 'webpubsubd_blocking_event_duration_seconds';
  assert.equal(await sample(`${series}_count{kind="event"}`), 1);
  assert.ok(await sample(`${series}_sum{kind="event"}`) >= 0.2);
  assert.equal(await sample(`${series}_bucket{kind="event",le="0.1"}`), 0);
  assert.equal(await sample(`${series}_bucket{kind="event",le="+Inf"}`), 1);
  ws.close(1000);
  await ws.closed;
});

test("blocking user events: the stages of that latency", async () => {
  const ws = await client(chat, "json.webpubsub.azure.v1");
  const stage = (name, what) => sample(`webpubsubd_blocking_stage_${name}_duration_seconds_${what}{kind="event"}`);
  const before = {};
  for (const name of ["request", "upstream", "reply"]) before[name] = await stage(name, "count");
  const upstreamSumBefore = await stage("upstream", "sum");
  const ack = await request(ws, { type: "event", event: "slow", dataType: "text", data: "x", ackId: 1 });
  assert.equal(ack.success, true);
  assert.equal(await stage("request", "count"), before.request + 1);
  assert.equal(await stage("upstream", "count"), before.upstream + 1);
  // The handler answers after 200 ms: that time is the upstream stage's.
  assert.ok((await stage("upstream", "sum")) - upstreamSumBefore >= 0.2);
  // The reply stage ends when the ack has been written to the socket, which may be observed just
  // after the client read it.
  await eventually(async () => (await stage("reply", "count")) === before.reply + 1, 5000, "reply stage");
  ws.close(1000);
  await ws.closed;
});

test("connections by hub and protocol, groups and detached reliable sessions", async () => {
  const json = await client(chat, "json.webpubsub.azure.v1", ["webpubsub.joinLeaveGroup"]);
  await client(lobby, undefined);
  const reliable = await client(chat, "json.reliable.webpubsub.azure.v1");
  const level = (hub, protocol) => sample(`webpubsubd_hub_connections{hub="${hub}",protocol="${protocol}"}`);
  await eventually(async () => (await level("chat", "json")) === 1, 5000, "chat json");
  assert.equal(await level("lobby", "simple"), 1);
  assert.equal(await level("chat", "json.reliable"), 1);
  assert.equal(await level("_other", "json"), 0);
  // The first test's client may still be leaving (its session ends with its socket).
  await eventually(async () => (await sample("webpubsubd_connections")) === 3, 5000, "3 connections");
  assert.equal((await request(json, { type: "joinGroup", group: "a", ackId: 1 })).success, true);
  assert.equal((await request(json, { type: "joinGroup", group: "b", ackId: 2 })).success, true);
  assert.equal(await sample("webpubsubd_groups"), 2);
  assert.equal((await request(json, { type: "leaveGroup", group: "a", ackId: 3 })).success, true);
  assert.equal(await sample("webpubsubd_groups"), 1);
  assert.equal(await sample("webpubsubd_detached_sessions"), 0);
  reliable.terminate();  // no close frame: the session waits for its recovery
  await eventually(async () => (await sample("webpubsubd_detached_sessions")) === 1, 5000, "detached");
  assert.equal(await level("chat", "json.reliable"), 1);  // still a connection
});

test("outbound queued bytes: what a client that does not read leaves queued", async () => {
  const ws = await client(lobby, undefined);
  ws._socket.pause();  // stops reading: the kernel buffers fill, then the server's queue
  const payload = "x".repeat(64 * 1024);
  for (let i = 0; i < 240; i++) await lobby.sendToAll(payload, { contentType: "text/plain" });
  await eventually(async () => (await sample("webpubsubd_outbound_queued_bytes")) > 64 * 1024,
    5000, "queued bytes");
  ws._socket.resume();
  await eventually(async () => (await sample("webpubsubd_outbound_queued_bytes")) === 0,
    10000, "queue drained");
});

test("refusals and server-initiated closes are counted by reason", async () => {
  const refused = 'webpubsubd_handshakes_rejected_total{reason="unauthorized"}';
  const before = await sample(refused);
  const { url } = await chat.getClientAccessToken({ userId: "u" });
  await assert.rejects(openWebSocket(url.replace(/access_token=[^&]+/, "access_token=forged"),
    "json.webpubsub.azure.v1"), { statusCode: 401 });
  assert.equal(await sample(refused), before + 1);
  const closed = 'webpubsubd_connections_closed_total{reason="invalid_message",code="1007"}';
  assert.equal(await sample(closed), 0);
  const ws = await client(chat, "json.webpubsub.azure.v1");
  ws.send("not a protocol message");
  assert.equal((await ws.closed).code, 1007);
  assert.equal(await sample(closed), 1);
  assert.equal(await sample('webpubsubd_limit_hits_total{limit="max_connections"}'), 0);
});
