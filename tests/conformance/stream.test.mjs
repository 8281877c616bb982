// Group streaming (client-protocols-1.1.md §3) with the official SDK 1.1.0
// (openGroupStream / onGroupStream), raw json frames for what the SDK cannot send (a repeated
// start, an unknown stream id, a gap), the cap on streams and a revoked send permission as the
// SDK publisher sees them, a raw protobuf publisher (§3.2: no SDK streams over protobuf)
// and a 1.0.4 subscriber that must not be broken. With
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

// --- Protobuf publishers (§3.2), hand-encoded: no released SDK streams over protobuf ---------

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const pbVarint = (field, n) => Buffer.concat([varint(field * 8), varint(n)]);
const pbBytes = (field, bytes) => {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return Buffer.concat([varint(field * 8 + 2), varint(b.length), b]);
};
// Fields of one protobuf message: {number: [value, ...]}, varints as Numbers, the rest Buffers.
function pbFields(buf) {
  const fields = {};
  let i = 0;
  const readVarint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < buf.length) {
    const tag = Number(readVarint());
    let value;
    if ((tag & 7) === 0) value = Number(readVarint());
    else if ((tag & 7) === 2) {
      const n = Number(readVarint());
      value = buf.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected wire type in ${buf.toString("hex")}`);
    (fields[tag >> 3] ??= []).push(value);
  }
  return fields;
}
// UpstreamMessage frames: send_to_group_message = 1 {group = 1, stream = 7 {stream_id = 1}},
// stream_data_message = 13 {stream_id = 1, stream_sequence_id = 2, data = 3 {text_data = 1}},
// stream_end_message = 14 {stream_id = 1}.
const pbStart = (group, id) => pbBytes(1, Buffer.concat([pbBytes(1, group), pbBytes(7, pbBytes(1, id))]));
const pbData = (id, seq, text) =>
  pbBytes(13, Buffer.concat([pbBytes(1, id), pbVarint(2, seq), pbBytes(3, pbBytes(1, text))]));
const pbEnd = (id) => pbBytes(14, pbBytes(1, id));

// DownstreamMessage → {kind, streamId, expected, error}: stream_ack_message = 6,
// stream_nack_message = 7, stream_closed_message = 8; others by field number.
function pbDownstream(buf) {
  const top = pbFields(buf);
  const field = Number(Object.keys(top)[0]);
  const kind = { 6: "streamAck", 7: "streamNack", 8: "streamClosed" }[field] ?? `field${field}`;
  if (!["streamAck", "streamNack", "streamClosed"].includes(kind)) return { kind };
  const m = pbFields(top[field][0]);
  const out = { kind, streamId: m[1]?.[0].toString() ?? "" };
  if (kind === "streamAck") out.expected = m[2]?.[0] ?? 0;
  if (kind === "streamNack") Object.assign(out, { name: m[2][0].toString(), expected: m[4]?.[0] ?? 0 });
  if (kind === "streamClosed" && m[2]) out.error = pbFields(m[2][0])[1][0].toString();
  return out;
}

test("a raw protobuf publisher streams to 1.1.0 SDK subscribers (json and json.reliable)", async () => {
  const { url } = await service.getClientAccessToken({ userId: "pb-pub", roles: ALL_ROLES });
  const ws = await openWebSocket(url, ["protobuf.webpubsub.azure.v1"]);
  const next = async () => pbDownstream((await ws.nextMessage()).data);
  const subs = [client11("pb-json", { json: true }), client11("pb-reliable")];
  const got = subs.map(collect);
  try {
    assert.equal((await next()).kind, "field3"); // the connected system message
    for (const c of subs) await c.start();
    for (const c of subs) await c.joinGroup("pb");
    ws.send(pbStart("pb", "p1"));
    assert.deepEqual(await next(), { kind: "streamAck", streamId: "p1", expected: 1 });
    for (let i = 1; i <= 50; i++) ws.send(pbData("p1", i, `f${i}`));
    ws.send(pbEnd("p1"));
    const answers = [];
    for (;;) { // batched acks, then streamClosed without error
      const a = await next();
      answers.push(a);
      if (a.kind === "streamClosed") break;
    }
    assert.deepEqual(answers.at(-1), { kind: "streamClosed", streamId: "p1" });
    const acks = answers.slice(0, -1).map((a) => a.expected);
    assert.ok(answers.slice(0, -1).every((a) => a.kind === "streamAck"), JSON.stringify(answers));
    assert.deepEqual(acks, [...acks].sort((x, y) => x - y)); // never decreasing
    assert.ok(acks.every((n) => n >= 2 && n <= 51), JSON.stringify(acks));
    await eventually(() => got.every((g) => g.p1?.done), 10000, "every subscriber saw the end");
    for (const g of got) {
      assert.equal(g.p1.error, undefined);
      assert.deepEqual(g.p1.data, fragments(50));
    }
  } finally {
    ws.close();
    for (const c of subs) c.stop();
  }
});

// --- Limits, revocation and gaps as the SDK (1.1.0 publisher) sees them ----------------------

test("a start beyond limits.max_streams_per_connection (100) is refused: openGroupStream rejects with BadRequest", async () => {
  const pub = client11("many");
  try {
    await pub.start();
    const open = [];
    for (let i = 0; i < 100; i++) open.push(await pub.openGroupStream("cap", { streamId: `c${i}` }));
    await assert.rejects(pub.openGroupStream("cap", { streamId: "c100" }), (e) => {
      assert.equal(e.name, "BadRequest");
      assert.match(e.message, /max_streams_per_connection/);
      return true;
    });
    // Ending one frees its slot once its streamClosed has arrived.
    await open[0].end();
    await eventually(async () => {
      try {
        await pub.openGroupStream("cap", { streamId: "c100" });
        return true;
      } catch (e) {
        assert.equal(e.name, "BadRequest");
        return false;
      }
    }, 3000, "a free slot");
  } finally {
    pub.stop();
  }
});

test("send permission revoked mid-stream (REST revokePermission): Forbidden for the publisher and the subscribers", async () => {
  const pub = client11("revoked", { roles: ["webpubsub.joinLeaveGroup"] });
  const sub = client11("revoke-watcher");
  const got = collect(sub);
  let connectionId;
  pub.on("connected", (e) => { connectionId = e.connectionId; });
  const errors = [];
  try {
    await pub.start();
    await sub.start();
    await sub.joinGroup("rv");
    await service.grantPermission(connectionId, "sendToGroup", { targetName: "rv" });
    const stream = await pub.openGroupStream("rv", { streamId: "rv-1" });
    stream.onError((e) => errors.push(e));
    await stream.write("before", "text");
    await eventually(() => got["rv-1"]?.data.length === 1, 5000, "the first fragment");
    await service.revokePermission(connectionId, "sendToGroup", { targetName: "rv" });
    // The next fragment is refused (in a cluster the revocation may need a moment to reach the
    // publisher's node, hence the loop; every fragment that still went out reaches subscribers).
    for (let i = 1; errors.length === 0 && i <= 50; i++) {
      await stream.write(`after-${i}`, "text").catch(() => {});
      await eventually(() => errors.length > 0 || got["rv-1"].data.length > i, 2000, "an answer");
    }
    assert.equal(errors.length, 1);
    assert.equal(errors[0].name, "Forbidden");
    assert.match(errors[0].message, /rv/);
    await assert.rejects(stream.write("too late", "text"), /completed/);
    await eventually(() => got["rv-1"].done, 5000, "the terminal message");
    assert.equal(got["rv-1"].data[0], "before");
    assert.equal(got["rv-1"].error?.name, "Forbidden");
  } finally {
    pub.stop();
    sub.stop();
  }
});

test("raw frames: a gap is nacked InvalidSequenceId with the expected id; filling it resumes the stream", async () => {
  const ws = await rawJson("gap");
  const sub = client11("gap-watcher");
  const got = collect(sub);
  // Reads answers until one of `type` arrives; returns it with the acks read before it.
  const until = async (type) => {
    const acks = [];
    for (;;) {
      const m = JSON.parse((await ws.nextMessage()).data);
      if (m.type === type) return { m, acks };
      assert.equal(m.type, "streamAck", JSON.stringify(m));
      acks.push(m.expectedSequenceId);
    }
  };
  const frag = (n) => JSON.stringify({ type: "streamData", streamId: "g1", streamSequenceId: n, dataType: "text", data: `f${n}` });
  try {
    await sub.start();
    await sub.joinGroup("gap");
    const start = { type: "sendToGroup", group: "gap", noEcho: true, stream: { streamId: "g1" } };
    assert.deepEqual(await ws.request(start), { type: "streamAck", streamId: "g1", expectedSequenceId: 1 });
    ws.send(frag(1));
    ws.send(frag(3)); // f2 is missing
    const { m: nack } = await until("streamNack");
    assert.deepEqual(nack, { type: "streamNack", streamId: "g1", expectedSequenceId: 2, name: "InvalidSequenceId", message: nack.message });
    ws.send(frag(2));
    ws.send(frag(3));
    ws.send(JSON.stringify({ type: "streamEnd", streamId: "g1" }));
    const { m: closed, acks } = await until("streamClosed");
    assert.deepEqual(closed, { type: "streamClosed", streamId: "g1" });
    assert.equal(acks.at(-1), 4); // every fragment accepted
    await eventually(() => got.g1?.done, 5000, "the end of the stream");
    assert.equal(got.g1.error, undefined);
    assert.deepEqual(got.g1.data, ["f1", "f2", "f3"]);
  } finally {
    ws.close();
    sub.stop();
  }
});

test("/metrics of the publisher's node counts its streams by end reason and their fragments", async () => {
  const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const value = (text, series) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    assert.ok(line, `${series} is exported`);
    return Number(line.slice(series.length + 1));
  };
  const series = ["webpubsubd_streams_started_total", "webpubsubd_stream_fragments_total",
    'webpubsubd_streams_ended_total{reason="completed"}', 'webpubsubd_streams_ended_total{reason="aborted"}'];
  const before = await scrape();
  const { url } = await service.getClientAccessToken({ userId: "metered", roles: ALL_ROLES });
  const ws = await openWebSocket(url, ["json.webpubsub.azure.v1"], { spread: false }); // node 1
  const until = async (type) => {
    for (;;) {
      const m = JSON.parse((await ws.nextMessage()).data);
      if (m.type === type) return m;
    }
  };
  try {
    assert.equal(JSON.parse((await ws.nextMessage()).data).event, "connected");
    for (const [id, error] of [["m1", undefined], ["m2", { message: "stop" }]]) {
      ws.send(JSON.stringify({ type: "sendToGroup", group: "metered", stream: { streamId: id } }));
      await until("streamAck");
      for (let n = 1; n <= 3; n++) {
        ws.send(JSON.stringify({ type: "streamData", streamId: id, streamSequenceId: n, dataType: "text", data: "x" }));
      }
      ws.send(JSON.stringify({ type: "streamEnd", streamId: id, error }));
      await until("streamClosed");
    }
    const after = await scrape();
    const delta = series.map((s) => value(after, s) - value(before, s));
    assert.deepEqual(delta, [2, 6, 1, 1]);
  } finally {
    ws.close();
  }
});
