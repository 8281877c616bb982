// @azure/web-pubsub-client (unmodified) against webpubsubd: groups, events to an
// @azure/web-pubsub-express upstream, and automatic recovery after the socket is killed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { startUpstream, startServer, hubToml, startProxy, eventually, spreadUrl, releaseProcess } from "./harness.mjs";

const events = [];
let upstream, server, service;

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/eventhandler",
    handleConnect: (req, res) => { events.push(["connect", req.context.userId]); res.success(); },
    handleUserEvent: (req, res) => {
      events.push(["user", req.context.eventName, req.dataType, req.data]);
      if (req.context.eventName === "fail") return res.fail(400);
      if (req.dataType === "json") return res.success(JSON.stringify({ got: req.data }), "json");
      res.success(`re:${req.data}`, "text");
    },
    onConnected: (req) => events.push(["connected", req.context.userId]),
    onDisconnected: (req) => events.push(["disconnected", req.context.userId, req.reason]),
  });
  upstream = await startUpstream(handler.getMiddleware());
  server = await startServer(hubToml("chat", upstream.url("/eventhandler/{event}")));
  service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

function makeClient(userId, options = {}, rewrite = spreadUrl) {
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => rewrite((await service.getClientAccessToken({ userId, roles })).url),
  }, options);
  client.groupMessages = [];
  client.serverMessages = [];
  client.on("group-message", (e) => client.groupMessages.push(e.message));
  client.on("server-message", (e) => client.serverMessages.push(e.message));
  return client;
}

test("two clients chat through a group (reliable JSON protocol, the SDK default)", async () => {
  const a = makeClient("ann");
  const b = makeClient("ben");
  try {
    let connectedInfo;
    a.on("connected", (e) => { connectedInfo = e; });
    await a.start();
    await b.start();
    await eventually(() => connectedInfo, 5000, "connected event");
    assert.equal(connectedInfo.userId, "ann");
    assert.ok(connectedInfo.connectionId);
    await a.joinGroup("room");
    await b.joinGroup("room");
    const result = await a.sendToGroup("room", "hello ben", "text");
    assert.equal(result.isDuplicated, false);
    await b.sendToGroup("room", { n: 1 }, "json", { noEcho: true });
    await a.sendToGroup("room", new Uint8Array([1, 2, 3]).buffer, "binary");
    await eventually(() => b.groupMessages.length === 2 && a.groupMessages.length === 3, 5000, "messages");
    assert.equal(b.groupMessages[0].group, "room");
    assert.equal(b.groupMessages[0].fromUserId, "ann");
    assert.equal(b.groupMessages[0].dataType, "text");
    assert.equal(b.groupMessages[0].data, "hello ben");
    assert.equal(b.groupMessages[1].dataType, "binary");
    assert.deepEqual([...new Uint8Array(b.groupMessages[1].data)], [1, 2, 3]);
    assert.equal(b.groupMessages.filter((m) => m.dataType === "json").length, 0); // noEcho
    // One sender's messages keep their order; across senders on different cluster nodes there is
    // no order (ben's message crosses the bus, ann's own echo does not), so look ben's up by sender.
    const fromAnn = a.groupMessages.filter((m) => m.fromUserId === "ann");
    assert.deepEqual(fromAnn.map((m) => m.dataType), ["text", "binary"]);
    const fromBen = a.groupMessages.filter((m) => m.fromUserId === "ben");
    assert.equal(fromBen.length, 1);
    assert.deepEqual(fromBen[0].data, { n: 1 });
  } finally {
    a.stop();
    b.stop();
  }
});

test("sendEvent reaches the Express upstream and its reply comes back first", async () => {
  const c = makeClient("cid", { protocol: WebPubSubJsonProtocol() });
  await c.start();
  await c.sendEvent("calc", { x: 1 }, "json");
  // The reply (a server message) arrived before the ack resolved sendEvent.
  assert.equal(c.serverMessages.length, 1);
  assert.deepEqual(c.serverMessages[0].data, { got: { x: 1 } });
  await c.sendEvent("shout", "hey", "text");
  assert.equal(c.serverMessages[1].data, "re:hey");
  assert.equal(c.serverMessages[1].dataType, "text");
  // A failing event rejects the call; the connection stays usable.
  await assert.rejects(c.sendEvent("fail", "x", "text", { ackId: 777 }), (e) => e.name === "SendMessageError");
  await c.sendEvent("shout", "still here", "text");
  assert.equal(c.serverMessages.at(-1).data, "re:still here");
  const userEvents = events.filter((e) => e[0] === "user" && e[1] === "calc");
  assert.deepEqual(userEvents[0], ["user", "calc", "json", { x: 1 }]);
  c.stop();
});

test("a forbidden joinGroup rejects and does not disconnect", async () => {
  const d = new WebPubSubClient({
    getClientAccessUrl: async () => (await service.getClientAccessToken({ userId: "dan" })).url,
  }, { messageRetryOptions: { maxRetries: 0 } });
  await d.start();
  await assert.rejects(d.joinGroup("private"), (e) => e.errorDetail?.name === "Forbidden");
  await d.sendEvent("shout", "ok", "text");
  d.stop();
});

test("automatic recovery after the socket is killed: no message lost or duplicated", async () => {
  const proxy = await startProxy(server.port);
  const rewrite = (u) => u.replace(`:${server.port}/`, `:${proxy.port}/`); // node 0 via the proxy
  const sender = makeClient("sam");
  const receiver = makeClient("rita", {}, rewrite);
  let disconnects = 0;
  let connects = 0;
  receiver.on("disconnected", () => disconnects++);
  receiver.on("connected", () => connects++);
  await sender.start();
  await receiver.start();
  await receiver.joinGroup("stream");
  const total = 60;
  for (let i = 1; i <= total; i++) {
    await sender.sendToGroup("stream", `m${i}`, "text", { fireAndForget: i % 2 === 0 });
    if (i === 20 || i === 40) {
      proxy.kill(); // the receiver's socket dies under it
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await eventually(() => receiver.groupMessages.length >= total, 20000, "all messages after recovery");
  await new Promise((r) => setTimeout(r, 300));
  const received = receiver.groupMessages.map((m) => m.data);
  assert.deepEqual(received, Array.from({ length: total }, (_, i) => `m${i + 1}`));
  assert.equal(disconnects, 0, "recovered without a new connection");
  assert.equal(connects, 1);
  const ritaConnects = events.filter((e) => e[0] === "connect" && e[1] === "rita").length;
  assert.equal(ritaConnects, 1, "no upstream connect for a recovery");
  assert.equal(events.filter((e) => e[0] === "disconnected" && e[1] === "rita").length, 0);
  sender.stop();
  receiver.stop();
  await proxy.close();
});
