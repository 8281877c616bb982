// Group streaming (client-protocols-1.1.md §3) with the official SDK 1.1.0
// (openGroupStream / onGroupStream), raw json frames for what the SDK cannot send (a repeated
// start, an unknown stream id), and a 1.0.4 subscriber that must not be broken. With
// WPS_CLUSTER=3 the clients are spread over the nodes (fragments cross the cluster bus).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import * as Client10 from "@azure/web-pubsub-client";
import * as Client11 from "web-pubsub-client-1.1";
import { startUpstream, startServer, hubToml, openWebSocket, eventually, spreadUrl, startProxy, releaseProcess } from "./harness.mjs";

let upstream, server, service;

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/eventhandler",
    handleConnect: (req, res) => res.success(),
  });
  upstream = await startUpstream(handler.getMiddleware());
  // The default reliable buffer (10000 messages) carries the 1,000-fragment burst.
  server = await startServer(hubToml("chat", upstream.url("/eventhandler/{event}")));
  service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

const ALL_ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

function client11(userId, { roles = ALL_ROLES, rewrite = spreadUrl, json = false } = {}) {
  const options = json ? { protocol: Client11.WebPubSubJsonProtocol() } : {};
  return new Client11.WebPubSubClient({
    getClientAccessUrl: async () => rewrite((await service.getClientAccessToken({ userId, roles })).url),
  }, options);
}

// Subscribes `client` to group streams: streams[streamId] = {data: [...], done, error}.
function collect(client) {
  const streams = {};
  client.onGroupStream(async (stream) => {
    const s = (streams[stream.streamId] = { data: [], done: false, error: undefined });
    try {
      for await (const m of stream) s.data.push(m.data);
    } catch (e) {
      s.error = e;
    }
    s.done = true;
  });
  return streams;
}

async function rawJson(userId, roles = ALL_ROLES) {
  const { url } = await service.getClientAccessToken({ userId, roles });
  const ws = await openWebSocket(url, ["json.webpubsub.azure.v1"]);
  assert.equal(JSON.parse((await ws.nextMessage()).data).event, "connected");
  ws.request = async (frame) => {
    ws.send(JSON.stringify(frame));
    return JSON.parse((await ws.nextMessage()).data);
  };
  return ws;
}

const fragments = (n) => Array.from({ length: n }, (_, i) => `f${i + 1}`);

test("1,000 fragments arrive complete and in order at 3 subscribers, one losing its socket", async () => {
  const proxy = await startProxy(server.port);
  const viaProxy = (u) => u.replace(`:${server.port}/`, `:${proxy.port}/`);
  const pub = client11("pub");
  const subs = [client11("s-json", { json: true }), client11("s-reliable"),
    client11("s-dropped", { rewrite: viaProxy })];
  const got = subs.map(collect);
  try {
    for (const c of [pub, ...subs]) await c.start();
    for (const c of subs) await c.joinGroup("big");
    const stream = await pub.openGroupStream("big", { noEcho: true, streamId: "big-1" });
    for (let i = 1; i <= 1000; i++) {
      await stream.write(`f${i}`, "text");
      if (i === 400) proxy.kill(); // s-dropped's socket dies mid-stream
    }
    await stream.end();
    await eventually(() => got.every((g) => g["big-1"]?.done), 30000, "every subscriber saw the end")
      .catch((e) => { // say how far each subscriber got
        const seen = got.map((g) => [g["big-1"]?.data.length, g["big-1"]?.done]);
        throw new Error(`${e.message}: ${JSON.stringify(seen)}`);
      });
    for (const g of got) {
      assert.equal(g["big-1"].error, undefined);
      assert.deepEqual(g["big-1"].data, fragments(1000));
    }
  } finally {
    for (const c of [pub, ...subs]) c.stop();
    await proxy.close();
  }
});

test("a publisher's stream survives a dropped socket (connected after recovery, §3.7)", async () => {
  const proxy = await startProxy(server.port);
  const viaProxy = (u) => u.replace(`:${server.port}/`, `:${proxy.port}/`);
  const pub = client11("pub-dropped", { rewrite: viaProxy });
  const sub = client11("sub");
  const got = collect(sub);
  try {
    await pub.start();
    await sub.start();
    await sub.joinGroup("survive");
    const stream = await pub.openGroupStream("survive", { streamId: "sv" });
    for (let i = 1; i <= 200; i++) {
      await stream.write(`f${i}`, "text");
      if (i === 100) proxy.kill();
    }
    await stream.end();
    await eventually(() => got.sv?.done, 20000, "the end after the publisher's recovery");
    assert.equal(got.sv.error, undefined);
    assert.deepEqual(got.sv.data, fragments(200));
  } finally {
    pub.stop();
    sub.stop();
    await proxy.close();
  }
});

test("idle timeout ends the stream for subscribers with IdleTimeout and frees the id", async () => {
  const pub = client11("idler");
  const sub = client11("watcher");
  const got = collect(sub);
  try {
    await pub.start();
    await sub.start();
    await sub.joinGroup("idle");
    const stream = await pub.openGroupStream("idle", { streamId: "idle-1", idleTimeoutInMs: 1000 });
    await stream.write("only", "text");
    await eventually(() => got["idle-1"]?.done, 5000, "the idle timeout");
    assert.deepEqual(got["idle-1"].data, ["only"]);
    assert.equal(got["idle-1"].error?.name, "IdleTimeout");
    // streamClosed reached the publisher: the id can be opened again.
    await eventually(async () => {
      try {
        await (await pub.openGroupStream("idle", { streamId: "idle-1" })).end();
        return true;
      } catch {
        return false;
      }
    }, 3000, "the id to be free again");
  } finally {
    pub.stop();
    sub.stop();
  }
});

test("abort reaches subscribers as UserError with the client's message and code", async () => {
  const pub = client11("aborter");
  const sub = client11("watcher2");
  const got = collect(sub);
  try {
    await pub.start();
    await sub.start();
    await sub.joinGroup("abort");
    const stream = await pub.openGroupStream("abort", { streamId: "ab" });
    await stream.write("a", "text");
    await stream.abort({ message: "db failed", userErrorCode: "E42" });
    await eventually(() => got.ab?.done, 5000, "the abort");
    assert.deepEqual(got.ab.data, ["a"]);
    assert.equal(got.ab.error?.name, "UserError");
    assert.equal(got.ab.error?.message, "db failed");
    assert.equal(got.ab.error?.userErrorCode, "E42");
  } finally {
    pub.stop();
    sub.stop();
  }
});

test("a stream to a group the client may not send to is refused with Forbidden", async () => {
  const pub = client11("nobody", { roles: ["webpubsub.joinLeaveGroup"] });
  try {
    await pub.start();
    await assert.rejects(pub.openGroupStream("closed-room", { streamId: "no" }), (e) => {
      assert.equal(e.name, "Forbidden");
      return true;
    });
  } finally {
    pub.stop();
  }
});

test("raw frames: a repeated start, a conflicting start and an unknown stream id", async () => {
  const ws = await rawJson("raw");
  try {
    const start = { type: "sendToGroup", group: "raw", noEcho: true, stream: { streamId: "r" } };
    assert.deepEqual(await ws.request(start), { type: "streamAck", streamId: "r", expectedSequenceId: 1 });
    // No fragment yet, same group: the lost start ack is sent again.
    assert.deepEqual(await ws.request(start), { type: "streamAck", streamId: "r", expectedSequenceId: 1 });
    ws.send(JSON.stringify({ type: "streamData", streamId: "r", streamSequenceId: 1, dataType: "text", data: "x" }));
    // A duplicate fragment is re-acked at once (the first ack may be batched before it).
    let answer = await ws.request({ type: "streamData", streamId: "r", streamSequenceId: 1, dataType: "text", data: "x" });
    assert.deepEqual(answer, { type: "streamAck", streamId: "r", expectedSequenceId: 2 });
    answer = await ws.request({ type: "streamData", streamId: "r", streamSequenceId: 5, dataType: "text", data: "x" });
    assert.equal(answer.type, "streamNack");
    assert.equal(answer.name, "InvalidSequenceId");
    assert.equal(answer.expectedSequenceId, 2);
    answer = await ws.request(start); // a fragment went out: the old stream ends
    assert.equal(answer.type, "streamClosed");
    assert.equal(answer.error.name, "BadRequest");
    answer = await ws.request({ type: "streamData", streamId: "nope", streamSequenceId: 1, dataType: "text", data: "x" });
    assert.deepEqual(answer.error.name, "StreamNotFound");
    answer = await ws.request({ type: "streamEnd", streamId: "nope2" });
    assert.deepEqual(answer, { type: "streamClosed", streamId: "nope2", error: answer.error });
    assert.equal(answer.error.name, "StreamNotFound");
  } finally {
    ws.close();
  }
});

test("a 1.0.4 subscriber sees the fragments as group messages and stays connected", async () => {
  const pub = client11("pub-old");
  const old = new Client10.WebPubSubClient({
    getClientAccessUrl: async () => spreadUrl((await service.getClientAccessToken({ userId: "old", roles: ALL_ROLES })).url),
  });
  const messages = [];
  let disconnects = 0;
  old.on("group-message", (e) => messages.push(e.message.data));
  old.on("disconnected", () => disconnects++);
  try {
    await pub.start();
    await old.start();
    await old.joinGroup("old");
    const stream = await pub.openGroupStream("old", { streamId: "o" });
    for (const f of fragments(20)) await stream.write(f, "text");
    await stream.end();
    // The terminal message is an empty text message for 1.0.x clients (§3.6).
    await eventually(() => messages.length >= 21, 5000, "every fragment and the terminal message");
    assert.deepEqual(messages, [...fragments(20), ""]);
    await old.sendToGroup("old", "still here", "text");
    await eventually(() => messages.length === 22, 5000, "a normal message afterwards");
    assert.equal(disconnects, 0);
  } finally {
    pub.stop();
    old.stop();
  }
});
