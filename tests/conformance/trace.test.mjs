// The live trace (docs/operations.md, Live trace): access with a trace token only, and the event
// stream itself read by a raw Server-Sent Events client while the official SDKs make traffic:
// web-pubsub-client 1.1.0 (a reliable JSON client), @azure/web-pubsub (REST) and
// web-pubsub-express 1.1.0 (the upstream). Payloads, tokens and keys stay out of it; refused
// handshakes show; a viewer that falls behind gets "skipped" rows instead of unbounded memory.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "web-pubsub-client-1.1";
import { WebPubSubEventHandler } from "web-pubsub-express-1.1";
import { startUpstream, startServer, hubToml, releaseProcess, openWebSocket, eventually, ACCESS_KEY }
  from "./harness.mjs";
import { traceUrl, openTraceStream } from "./trace-stream.mjs";

let upstream, server, service;

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/up",
    handleConnect: (req, res) => res.success(),
    handleUserEvent: (req, res) => res.success("pong", "text"),
  });
  upstream = await startUpstream(handler.getMiddleware());
  server = await startServer(hubToml("chat", upstream.url("/up/{event}")), [], { nodes: 1 });
  service = new WebPubSubServiceClient(server.connectionString, "chat",
    { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

const base = () => `http://127.0.0.1:${server.port}`;

test("the page and the stream need a token whose audience is the trace endpoint", async () => {
  const url = traceUrl(server.port);
  assert.match(url, new RegExp(`^${base()}/trace\\?access_token=`));
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  const html = await page.text();
  assert.match(html, /webpubsubd live trace/);
  assert.doesNotMatch(html, /<script src=|<link /, "no external resources");

  const clientToken = (await service.getClientAccessToken({ userId: "u" })).token;
  const wrongKey = traceUrl(server.port, "some-other-key-0123456789abcdefghijklmnop");
  for (const target of ["/trace", "/trace/events", `/trace?access_token=${clientToken}`,
    `/trace/events?access_token=${clientToken}`, new URL(wrongKey).pathname + new URL(wrongKey).search]) {
    const res = await fetch(base() + target);
    assert.equal(res.status, 401, target);
    assert.doesNotMatch(await res.text(), /eyJ/, "the answer never echoes a token");
  }
  assert.equal((await fetch(url, { method: "POST" })).status, 405);
});

test("each category appears while the official SDKs make traffic; no payload, token or key", async () => {
  const pageUrl = traceUrl(server.port);
  const trace = await openTraceStream(pageUrl);
  let clientUrl;
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      clientUrl = (await service.getClientAccessToken({
        userId: "ann", roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"],
      })).url;
      return clientUrl;
    },
  });
  try {
    await client.start();
    await client.joinGroup("room");
    await client.sendToGroup("room", "secret-group-payload", "text");
    await client.sendEvent("ping", "secret-event-payload", "text", { fireAndForget: false });
    assert.equal((await client.invokeEvent("echo", "secret-invoke-payload", "text")).data, "pong");
    await service.sendToAll("secret-rest-payload", { contentType: "text/plain" });

    const opened = await trace.waitFor({ category: "connectivity", event: "opened", userId: "ann" });
    assert.equal(opened.hub, "chat");
    assert.equal(opened.details.protocol, "json.reliable.webpubsub.azure.v1");
    const id = opened.connectionId;
    assert.ok(id);
    await trace.waitFor({ category: "messaging", event: "sendToGroup", connectionId: id,
      details: { to: "group", group: "room", dataType: "text" } });
    await trace.waitFor({ category: "messaging", event: "event", connectionId: id,
      details: { to: "upstream", event: "ping" } });
    await trace.waitFor({ category: "messaging", event: "invoke", connectionId: id,
      details: { to: "upstream", event: "echo" } });
    const connect = await trace.waitFor({ category: "upstream", event: "azure.webpubsub.sys.connect",
      connectionId: id, userId: "ann" });
    assert.match(connect.details.status, /^20[04]$/);
    assert.equal(connect.details.attempt, "1");
    assert.equal(connect.details.handler, upstream.url("/up/connect"));
    assert.match(connect.details.latency, /^\d+\.\d ms$/);
    const ping = await trace.waitFor({ category: "upstream", event: "azure.webpubsub.user.ping" });
    assert.equal(ping.details.eventName, "ping");
    assert.match(ping.details.status, /^20[04]$/);
    const rest = await trace.waitFor({ category: "rest", event: "SendToAll", hub: "chat" });
    assert.equal(rest.details.status, "202");
    assert.match(rest.details.request, /^POST \/api\/hubs\/chat\/:send$/);

    await service.closeConnection(id, { reason: "closed by the test" });
    const closed = await trace.waitFor({ category: "connectivity", event: "closed", connectionId: id });
    assert.match(closed.details.reason, /closed by the test/);
    await trace.waitFor({ category: "rest", event: "CloseConnection" });
    const disconnected = await trace.waitFor({ category: "upstream",
      event: "azure.webpubsub.sys.disconnected", connectionId: id });
    assert.match(disconnected.details.status, /^20[04]$/);

    const clientToken = new URL(clientUrl).searchParams.get("access_token");
    const traceToken = new URL(pageUrl).searchParams.get("access_token");
    for (const secret of [ACCESS_KEY, clientToken, traceToken, "secret-group-payload",
      "secret-event-payload", "secret-invoke-payload", "secret-rest-payload"]) {
      assert.ok(!trace.raw.includes(secret), `the stream never shows ${secret.slice(0, 12)}…`);
    }
    assert.ok(trace.events.every((e) => e.payload === undefined));
  } finally {
    await client.stop();
    trace.close();
  }
});

test("with trace.include_payloads = true the payloads appear, tokens still do not", async () => {
  const own = await startServer(`[trace]\ninclude_payloads = true\n`, [], { nodes: 1 });
  try {
    const ownService = new WebPubSubServiceClient(own.connectionString, "chat",
      { allowInsecureConnection: true });
    const trace = await openTraceStream(traceUrl(own.port));
    const token = (await ownService.getClientAccessToken({ userId: "bo" })).token;
    await ownService.sendToAll(`hello with ${token}`, { contentType: "text/plain" });
    const rest = await trace.waitFor({ category: "rest", event: "SendToAll" });
    assert.equal(rest.payload, "hello with [redacted]");
    assert.ok(!trace.raw.includes(token));
    trace.close();
  } finally {
    assert.equal(await own.stop(), 0);
  }
});

test("a refused handshake is a connectivity row with its status", async () => {
  const trace = await openTraceStream(traceUrl(server.port));
  try {
    await assert.rejects(openWebSocket(`ws://127.0.0.1:${server.port}/client/hubs/chat?access_token=eyJbad.eyJtoken.sig`,
      "json.webpubsub.azure.v1", { spread: false }), /401/);
    const refused = await trace.waitFor({ category: "connectivity", event: "refused", hub: "chat" });
    assert.equal(refused.details.status, "401");
    assert.ok(!trace.raw.includes("eyJbad.eyJtoken.sig"));
  } finally {
    trace.close();
  }
});

test("a viewer that falls behind gets one skipped row per gap, and every event is accounted for", async () => {
  // One worker, so the burst below is handled in one go before the viewer's wake-up runs.
  const own = await startServer(`workers = 1\n[trace]\nviewer_queue_events = 10\n`, [], { nodes: 1 });
  try {
    const ownService = new WebPubSubServiceClient(own.connectionString, "chat",
      { allowInsecureConnection: true });
    const trace = await openTraceStream(traceUrl(own.port));
    const { url } = await ownService.getClientAccessToken({ userId: "fast", roles: ["webpubsub.sendToGroup"] });
    const ws = await openWebSocket(url, "json.webpubsub.azure.v1", { spread: false });
    await ws.nextMessage();  // connected
    const burst = 500;
    ws._socket.cork();
    for (let i = 0; i < burst; i++) {
      ws.send(JSON.stringify({ type: "sendToGroup", group: "nobody", dataType: "text", data: `m${i}` }));
    }
    ws._socket.uncork();
    const counted = () => trace.events.filter((e) => e.event === "sendToGroup").length +
      trace.events.filter((e) => e.event === "skipped").reduce((n, e) => n + e.count, 0);
    await eventually(() => counted() >= burst, 10000, "every message shown or counted as skipped");
    assert.equal(counted(), burst);
    assert.ok(trace.events.some((e) => e.category === "trace" && e.event === "skipped" && e.count > 0));
    ws.terminate();
    trace.close();
  } finally {
    assert.equal(await own.stop(), 0);
  }
});
