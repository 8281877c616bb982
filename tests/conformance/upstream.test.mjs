// The upstream channel with the official packages, unmodified: an upstream built with
// @azure/web-pubsub-express, tokens from @azure/web-pubsub, plain `ws` clients.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { startUpstream, startServer, hubToml, openWebSocket, eventually, releaseProcess } from "./harness.mjs";

const events = [];
let upstream, server, service;

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/eventhandler",
    handleConnect: (req, res) => {
      events.push({ kind: "connect", req });
      if (req.context.userId === "mallory") return res.fail(401, "not you");
      if (req.context.userId === "forbidden") return res.fail(400);
      res.setState("counter", 1);
      if (req.queries?.nick) return res.success({ userId: req.queries.nick[0] });
      res.success();
    },
    handleUserEvent: (req, res) => {
      events.push({ kind: "user", req, counter: req.context.states.counter });
      res.setState("counter", (req.context.states.counter ?? 0) + 1);
      if (req.dataType === "binary") return res.success(req.data, "binary");
      if (req.data === "json") return res.success(JSON.stringify({ hello: "world" }), "json");
      if (req.data === "nothing") return res.success();
      if (req.data === "fail") return res.fail(400, "upstream failure detail");
      res.success(`echo:${req.data}`, "text");
    },
    onConnected: (req) => events.push({ kind: "connected", req }),
    onDisconnected: (req) => events.push({ kind: "disconnected", req }),
  });
  upstream = await startUpstream(handler.getMiddleware());
  server = await startServer(hubToml("chat", upstream.url("/eventhandler/{event}")));
  service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
});

after(async () => {
  const code = await server.stop();
  await upstream.close();
  assert.equal(code, 0, "webpubsubd exits 0 on SIGTERM");
  releaseProcess();
});

const connectionEvents = (id, kind) =>
  events.filter((e) => e.kind === kind && e.req.context.connectionId === id);

test("connect approved: token identity, query and claims reach the Express handler", async () => {
  const { url } = await service.getClientAccessToken({ userId: "alice", roles: ["webpubsub.joinLeaveGroup"] });
  const ws = await openWebSocket(url + "&team=blue");
  const connect = events.filter((e) => e.kind === "connect").at(-1).req;
  assert.equal(connect.context.userId, "alice");
  assert.equal(connect.context.hub, "chat");
  assert.equal(connect.context.eventName, "connect");
  assert.deepEqual(connect.queries.team, ["blue"]);
  assert.deepEqual(connect.claims.role, ["webpubsub.joinLeaveGroup"]);
  assert.ok(connect.context.signature.startsWith("sha256="));
  const id = connect.context.connectionId;
  await eventually(() => connectionEvents(id, "connected").length === 1, 5000, "connected");
  const connected = connectionEvents(id, "connected")[0].req;
  assert.deepEqual(connected.context.states, { counter: 1 });
  ws.close(1000);
  await ws.closed;
});

test("connect answer overrides the user id", async () => {
  const { url } = await service.getClientAccessToken({ userId: "alice" });
  const ws = await openWebSocket(url + "&nick=zed");
  const id = events.filter((e) => e.kind === "connect").at(-1).req.context.connectionId;
  await eventually(() => connectionEvents(id, "connected").length === 1);
  assert.equal(connectionEvents(id, "connected")[0].req.context.userId, "zed");
  ws.close(1000);
  await ws.closed;
});

test("connect denied: the handshake fails with the handler's status and no disconnected follows", async () => {
  for (const [user, status] of [["mallory", 401], ["forbidden", 400]]) {
    const { url } = await service.getClientAccessToken({ userId: user });
    await assert.rejects(openWebSocket(url), (e) => e.statusCode === status);
  }
  await new Promise((r) => setTimeout(r, 200));
  const denied = events.filter((e) => e.kind === "disconnected" && ["mallory", "forbidden"].includes(e.req.context.userId));
  assert.equal(denied.length, 0);
});

test("message round trip: text, binary, json and empty answers; state carried between events", async () => {
  const { url } = await service.getClientAccessToken({ userId: "bob" });
  const ws = await openWebSocket(url);
  ws.send("hi");
  let m = await ws.nextMessage();
  assert.equal(m.isBinary, false);
  assert.equal(m.data, "echo:hi");
  ws.send(Buffer.from([0, 1, 2, 255]));
  m = await ws.nextMessage();
  assert.equal(m.isBinary, true);
  assert.deepEqual([...m.data], [0, 1, 2, 255]);
  ws.send("nothing"); // res.success() with no body: nothing is sent back
  ws.send("json");
  m = await ws.nextMessage();
  assert.equal(m.isBinary, false);
  assert.deepEqual(JSON.parse(m.data), { hello: "world" });
  const id = events.filter((e) => e.kind === "user" && e.req.context.userId === "bob")[0].req.context.connectionId;
  const userEvents = connectionEvents(id, "user");
  assert.equal(userEvents.length, 4);
  assert.equal(userEvents[0].req.dataType, "text");
  assert.equal(userEvents[1].req.dataType, "binary");
  assert.deepEqual(userEvents.map((e) => e.counter), [1, 2, 3, 4]);
  ws.close(1000, "done here");
  await ws.closed;
  await eventually(() => connectionEvents(id, "disconnected").length === 1, 5000, "disconnected");
  const disconnected = connectionEvents(id, "disconnected")[0].req;
  assert.equal(disconnected.reason, "done here");
  assert.equal(disconnected.context.states.counter, 5);
});

test("a failing user event closes the simple client with 1011, without the upstream's text", async () => {
  const { url } = await service.getClientAccessToken({ userId: "carol" });
  const ws = await openWebSocket(url);
  ws.send("fail");
  const { code, reason } = await ws.closed;
  assert.equal(code, 1011);
  assert.ok(!reason.includes("upstream failure detail"));
});

test("abuse protection with Express allowedEndpoints", async () => {
  // Express lists "host:port" values; our origin is the bare host and must still match.
  const okHandler = new WebPubSubEventHandler("guarded", {
    path: "/ok",
    allowedEndpoints: [`http://127.0.0.1:${server.port}`],
    handleConnect: (req, res) => res.success(),
  });
  const badHandler = new WebPubSubEventHandler("guarded2", {
    path: "/bad",
    allowedEndpoints: ["https://somewhere-else.example.com"],
    handleConnect: (req, res) => res.success(),
  });
  const up = await startUpstream(okHandler.getMiddleware(), badHandler.getMiddleware());
  const srv = await startServer(hubToml("guarded", up.url("/ok/{event}"), { system: ["connect"] }) +
    hubToml("guarded2", up.url("/bad/{event}"), { system: ["connect"] }));
  try {
    const good = new WebPubSubServiceClient(srv.connectionString, "guarded");
    const ws = await openWebSocket((await good.getClientAccessToken()).url);
    ws.close(1000);
    const bad = new WebPubSubServiceClient(srv.connectionString, "guarded2");
    await assert.rejects(openWebSocket((await bad.getClientAccessToken()).url), (e) => e.statusCode === 500);
  } finally {
    assert.equal(await srv.stop(), 0);
    await up.close();
  }
});
