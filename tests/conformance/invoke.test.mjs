// invoke / invokeResponse / cancelInvocation (client-protocols-1.1.md §1) with the official SDKs:
// both client generations (@azure/web-pubsub-client 1.0.4 and 1.1.0) against both Express
// generations (1.0.6 and 1.1.0, handleUserEvent + res.success/res.fail) as the upstream, and a raw
// upstream that answers every status / Content-Type / body combination of a table. Also the
// rejection of group-state requests (§4), which no SDK API sends: raw frames.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler as Express10 } from "@azure/web-pubsub-express";
import { WebPubSubEventHandler as Express11 } from "web-pubsub-express-1.1";
import * as Client10 from "@azure/web-pubsub-client";
import * as Client11 from "web-pubsub-client-1.1";
import { startUpstream, startServer, hubToml, openWebSocket, eventually, spreadUrl, startProxy, releaseProcess } from "./harness.mjs";

const MAX_PENDING = 4; // limits.max_pending_invocations of the server under test

// "slow" calls wait here until the test answers them: their text data → answer(text).
const held = new Map();
// Every raw upstream request: [event, body text].
const rawRequests = [];

// The Express handler of both generations: one behaviour per event name.
function handleUserEvent(req, res) {
  const name = req.context.eventName;
  const bytes = (d) => [...new Uint8Array(d)];
  switch (name) {
    case "echo":
      return res.success(JSON.stringify({
        dataType: req.dataType, data: req.dataType === "binary" ? bytes(req.data) : req.data,
      }), "json");
    case "text": return res.success("hello", "text");
    case "binary": return res.success(Buffer.from([1, 2, 3]), "binary");
    case "empty": return res.success();
    case "setstate": res.setState("n", req.data); return res.success();
    case "getstate": return res.success(JSON.stringify(req.context.states), "json");
    case "slow": held.set(String(req.data), (text) => res.success(text, "text")); return undefined;
    default: {
      const status = /^fail(\d+)$/.exec(name);
      return res.fail(status ? Number(status[1]) : 500, "upstream detail, never forwarded");
    }
  }
}

// Answers of the raw upstream, one row per (status, Content-Type, body).
const STATUSES = [200, 201, 204, 299, 302, 400, 401, 403, 404, 500];
const TYPES = [undefined, "text/plain", "text/plain; charset=utf-8", "application/json",
  "application/json; charset=utf-8", "application/octet-stream", "application/x-protobuf",
  "text/html", "application/xml"];
const BODIES = [Buffer.alloc(0), Buffer.from("hello"), Buffer.from('{"a":[1,2]}'),
  Buffer.from("{bad"), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from("null")];
const ROWS = STATUSES.flatMap((s) => TYPES.flatMap((t) => BODIES.map((b) => [s, t, b])));

// What the service must make of a row (spec §1.4): {error} or {dataType, data}.
function expected([status, type, body]) {
  if (status < 200 || status >= 300) {
    return { error: { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound" }[status] ??
      "InternalServerError" };
  }
  if (status === 204 || body.length === 0) return {};
  const media = type?.split(";")[0].trim();
  if (!media || media === "application/octet-stream") return { dataType: "binary", data: [...body] };
  if (media === "application/x-protobuf") return { dataType: "protobuf", data: [...body] };
  if (media === "text/plain") {
    const text = new TextDecoder("utf-8", { fatal: true });
    try { return { dataType: "text", data: text.decode(body) }; } catch { return { error: "InternalServerError" }; }
  }
  if (media === "application/json") {
    let value;
    try { value = JSON.parse(body.toString()); } catch { return { error: "InternalServerError" }; }
    return value === null ? {} : { dataType: "json", data: value };
  }
  return { error: "InternalServerError" };
}

// The raw upstream: /raw/fuzz answers row N (the body), /raw/hang never answers, /raw/slow waits
// in `held`.
function rawUpstream(req, res, next) {
  if (!req.path.startsWith("/raw/")) return next();
  if (req.method === "OPTIONS") {
    res.writeHead(200, { "WebHook-Allowed-Origin": "*" });
    return res.end();
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const event = req.path.slice("/raw/".length);
    const text = Buffer.concat(chunks).toString();
    rawRequests.push([event, text]);
    if (event === "fuzz") {
      const [status, type, body] = ROWS[Number(text)];
      res.writeHead(status, type ? { "Content-Type": type } : {});
      return res.end(body);
    }
    if (event === "slow") {
      held.set(text, (answer) => { res.writeHead(200, { "Content-Type": "text/plain" }); res.end(answer); });
    }
    return undefined; // hang: never answered (the event's budget runs out)
  });
  return undefined;
}

let upstream, server;

before(async () => {
  const express10 = new Express10("inv10", { path: "/eventhandler10", handleUserEvent });
  const express11 = new Express11("inv11", { path: "/eventhandler11", handleUserEvent });
  upstream = await startUpstream(rawUpstream, express10.getMiddleware(), express11.getMiddleware());
  server = await startServer(
    `[upstream]\nretry_delays_ms = [10, 10]\n[limits]\nmax_pending_invocations = ${MAX_PENDING}\n` +
    hubToml("inv10", upstream.url("/eventhandler10/{event}")) +
    hubToml("inv11", upstream.url("/eventhandler11/{event}")) +
    hubToml("raw", upstream.url("/raw/{event}"), { system: [] }) + "timeout_seconds = 2\n",
    [], { nodes: 1 });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

async function clientUrl(hub) {
  const service = new WebPubSubServiceClient(server.connectionString, hub, { allowInsecureConnection: true });
  return spreadUrl((await service.getClientAccessToken({ userId: "invoker" })).url);
}

// An SDK client of generation `sdk` on `hub`: json.reliable (the SDK default) or "json".
function makeClient(sdk, hub, protocol = "json.reliable") {
  const options = protocol === "json" ? { protocol: sdk.WebPubSubJsonProtocol() } : {};
  return new sdk.WebPubSubClient({ getClientAccessUrl: () => clientUrl(hub) }, options);
}

// The InvocationError of a rejected call (fails when the call resolved or threw something else).
async function invocationError(promise) {
  try {
    const result = await promise;
    assert.fail(`resolved with ${JSON.stringify(result)}`);
  } catch (e) {
    assert.equal(e.name, "InvocationError", e.stack);
    return e;
  }
}

function release(key, answer) {
  held.get(key)(answer);
  held.delete(key);
}

const CLIENTS = [["client 1.0.4", Client10], ["client 1.1.0", Client11]];
const EXPRESS = [["express 1.0.6", "inv10"], ["express 1.1.0", "inv11"]];

for (const [clientName, sdk] of CLIENTS) {
  for (const [expressName, hub] of EXPRESS) {
    for (const protocol of ["json.reliable", "json"]) {
      test(`${clientName} (${protocol}) → ${expressName}: every answer kind`, async () => {
        const c = makeClient(sdk, hub, protocol);
        await c.start();
        try {
          const json = await c.invokeEvent("echo", { a: 1 }, "json");
          assert.equal(json.dataType, "json");
          assert.deepEqual(json.data, { dataType: "json", data: { a: 1 } });
          assert.deepEqual((await c.invokeEvent("echo", "hi", "text")).data, { dataType: "text", data: "hi" });
          assert.deepEqual((await c.invokeEvent("echo", new Uint8Array([1, 2]).buffer, "binary")).data,
            { dataType: "binary", data: [1, 2] });
          // No data: posted as text/plain with an empty body, which Express reads as "".
          assert.deepEqual((await c.invokeEvent("echo", null, "text")).data, { dataType: "text", data: "" });
          const text = await c.invokeEvent("text", "x", "text");
          assert.deepEqual([text.dataType, text.data], ["text", "hello"]);
          const binary = await c.invokeEvent("binary", "x", "text");
          assert.equal(binary.dataType, "binary");
          assert.deepEqual([...new Uint8Array(binary.data)], [1, 2, 3]);
          const empty = await c.invokeEvent("empty", "x", "text");
          assert.deepEqual([empty.dataType, empty.data], [undefined, undefined]);
          for (const [status, name] of [[400, "BadRequest"], [401, "Unauthorized"], [403, "Forbidden"],
            [404, "NotFound"], [500, "InternalServerError"]]) {
            const e = await invocationError(c.invokeEvent(`fail${status}`, "x", "text"));
            assert.equal(e.errorDetail.name, name);
            assert.equal(e.message, e.errorDetail.message);
            assert.doesNotMatch(e.message, /upstream detail/);
          }
          // ce-connectionState of a 2xx answer is the connection's state from then on.
          await c.invokeEvent("setstate", "v1", "text");
          assert.deepEqual((await c.invokeEvent("getstate", "x", "text")).data, { n: "v1" });
        } finally {
          c.stop();
        }
      });
    }
  }

  test(`${clientName}: invocations run concurrently and do not block a sendEvent`, async () => {
    const c = makeClient(sdk, "inv11");
    await c.start();
    try {
      const keys = ["a", "b", "c"].map((k) => `${clientName}-concurrent-${k}`);
      const calls = keys.map((k) => c.invokeEvent("slow", k, "text"));
      await eventually(() => keys.every((k) => held.has(k)), 5000, "three pending invocations");
      const sent = await c.sendEvent("echo", "meanwhile", "text"); // acked while all three wait
      assert.equal(sent.isDuplicated, false);
      for (const k of [...keys].reverse()) release(k, `re:${k}`);
      const results = await Promise.all(calls);
      assert.deepEqual(results.map((r) => r.data), keys.map((k) => `re:${k}`));
    } finally {
      c.stop();
    }
  });

  test(`${clientName}: abortSignal cancels; the late answer is dropped by the service`, async () => {
    const c = makeClient(sdk, "inv11");
    await c.start();
    try {
      const first = `${clientName}-abort-1`;
      const second = `${clientName}-abort-2`;
      const ac = new AbortController();
      const aborted = c.invokeEvent("slow", first, "text", { abortSignal: ac.signal, invocationId: "same" });
      await eventually(() => held.has(first), 5000, "the first call upstream");
      ac.abort();
      const e = await invocationError(aborted);
      assert.match(e.message, /cancelled/);
      // The SDK sent cancelInvocation; the id is free again at the service: a new call with it.
      const again = c.invokeEvent("slow", second, "text", { invocationId: "same" });
      await eventually(() => held.has(second), 5000, "the second call upstream");
      release(first, "late"); // would resolve `again` if the service had not dropped it
      await new Promise((r) => setTimeout(r, 200)); // quiet period: nothing must arrive in it
      release(second, "fresh");
      assert.equal((await again).data, "fresh");
    } finally {
      c.stop();
    }
  });

  test(`${clientName}: over limits.max_pending_invocations → TooManyRequests`, async () => {
    const c = makeClient(sdk, "inv11");
    await c.start();
    try {
      const keys = Array.from({ length: MAX_PENDING }, (_, i) => `${clientName}-limit-${i}`);
      const calls = keys.map((k) => c.invokeEvent("slow", k, "text"));
      await eventually(() => keys.every((k) => held.has(k)), 5000, "pending invocations");
      const e = await invocationError(c.invokeEvent("slow", "one too many", "text"));
      assert.equal(e.errorDetail.name, "TooManyRequests");
      for (const k of keys) release(k, "ok");
      assert.deepEqual((await Promise.all(calls)).map((r) => r.data), keys.map(() => "ok"));
      assert.equal((await c.invokeEvent("text", "x", "text")).data, "hello"); // room again
    } finally {
      c.stop();
    }
  });

  test(`${clientName} (json.reliable): a dropped socket rejects the pending call, the session recovers`, async () => {
    const proxy = await startProxy(server.port);
    const c = new sdk.WebPubSubClient({
      getClientAccessUrl: async () => (await clientUrl("inv11")).replace(`:${server.port}/`, `:${proxy.port}/`),
    });
    let disconnects = 0;
    c.on("disconnected", () => disconnects++);
    await c.start();
    try {
      const key = `${clientName}-recovery`;
      const pending = c.invokeEvent("slow", key, "text");
      await eventually(() => held.has(key), 5000, "the call upstream");
      proxy.kill();
      const e = await invocationError(pending); // the SDK rejects pending calls on a transport loss
      assert.match(e.message, /disconnected/);
      // The service let the call finish; its answer goes to the recovered transport (or nowhere),
      // where the SDK ignores it as unknown. The recovered session keeps working.
      release(key, "late");
      await eventually(() => proxy.connections() > 0, 10000, "the recovered socket");
      assert.equal((await c.invokeEvent("text", "x", "text")).data, "hello");
      assert.equal(disconnects, 0, "recovered, not reconnected");
    } finally {
      c.stop();
      await proxy.close();
    }
  });

  test(`${clientName}: never hangs or crashes on any upstream answer (${ROWS.length} rows)`, async () => {
    const c = makeClient(sdk, "raw", "json");
    await c.start();
    try {
      for (let i = 0; i < ROWS.length; i++) {
        const want = expected(ROWS[i]);
        const what = `row ${i}: ${ROWS[i][0]} ${ROWS[i][1]} ${JSON.stringify(ROWS[i][2].toString())}`;
        let timer;
        const settled = await Promise.race([
          c.invokeEvent("fuzz", String(i), "text").then((r) => ({ r }), (e) => ({ e })),
          new Promise((r) => { timer = setTimeout(() => r({ hung: true }), 5000); }),
        ]);
        clearTimeout(timer);
        assert.ok(!settled.hung, `${what}: the call hangs`);
        if (want.error) {
          assert.equal(settled.e?.name, "InvocationError", `${what}: ${settled.e ?? "resolved"}`);
          assert.equal(settled.e.errorDetail.name, want.error, what);
          assert.equal(typeof settled.e.errorDetail.message, "string", what);
          continue;
        }
        assert.ok(settled.r, `${what}: ${settled.e}`);
        assert.equal(settled.r.dataType, want.dataType, what);
        const data = settled.r.data instanceof ArrayBuffer ? [...new Uint8Array(settled.r.data)] : settled.r.data;
        assert.deepEqual(data, want.data, what);
      }
      // The event's budget (timeout_seconds = 2 on this hub) spent → Timeout.
      const e = await invocationError(c.invokeEvent("hang", "x", "text"));
      assert.equal(e.errorDetail.name, "Timeout");
    } finally {
      c.stop();
    }
  });
}

// Raw frames: what the SDK cannot show (a dropped late answer, nothing sent for a cancel).
async function rawClient(hub, protocol = "json.webpubsub.azure.v1") {
  const ws = await openWebSocket(await clientUrl(hub), protocol);
  const connected = JSON.parse((await ws.nextMessage()).data);
  assert.equal(connected.event, "connected");
  return ws;
}

test("raw: cancelInvocation sends nothing and the late answer never arrives", async () => {
  const ws = await rawClient("raw");
  try {
    ws.send(JSON.stringify({ type: "invoke", invocationId: "r1", target: "event", event: "slow",
      dataType: "text", data: "raw-cancel" }));
    await eventually(() => held.has("raw-cancel"), 5000, "the call upstream");
    ws.send(JSON.stringify({ type: "cancelInvocation", invocationId: "r1" }));
    ws.send(JSON.stringify({ type: "cancelInvocation", invocationId: "unknown" }));
    ws.send(JSON.stringify({ type: "ping" }));
    assert.deepEqual(JSON.parse((await ws.nextMessage()).data), { type: "pong" });
    release("raw-cancel", "late");
    await new Promise((r) => setTimeout(r, 200)); // quiet period: nothing must arrive in it
    ws.send(JSON.stringify({ type: "ping" }));
    assert.deepEqual(JSON.parse((await ws.nextMessage()).data), { type: "pong" }); // no invokeResponse
  } finally {
    ws.close();
    await ws.closed;
  }
});

test("raw: invalid invokes are refused as the spec's table says", async () => {
  const ws = await rawClient("raw");
  try {
    ws.send(JSON.stringify({ type: "invoke", invocationId: "t", target: "group", event: "fuzz" }));
    ws.send(JSON.stringify({ type: "invoke", invocationId: "n", event: "not valid" }));
    for (const id of ["t", "n"]) {
      const r = JSON.parse((await ws.nextMessage()).data);
      assert.equal(r.type, "invokeResponse");
      assert.equal(r.invocationId, id);
      assert.equal(r.success, false);
      assert.equal(r.error.name, "BadRequest");
    }
    ws.send(JSON.stringify({ type: "invoke", invocationId: "x".repeat(257), event: "fuzz" }));
    const closed = await ws.closed;
    assert.equal(closed.code, 1007);
  } finally {
    ws.close();
    await ws.closed;
  }
});

// Group state (spec §4): every request acked with BadRequest; the connection stays usable.
for (const protocol of ["json.webpubsub.azure.v1", "json.reliable.webpubsub.azure.v1"]) {
  test(`raw (${protocol}): group-state requests are acked BadRequest`, async () => {
    const ws = await rawClient("raw", protocol);
    try {
      const requests = [
        { type: "setGroupState", group: "room", state: { status: "typing" }, ackId: 42 },
        { type: "setGroupState", group: "room", ackId: 43 },
        { type: "subscribeGroupState", group: "room", ackId: 44 },
        { type: "unsubscribeGroupState", group: "room", ackId: 45 },
      ];
      for (const r of requests) ws.send(JSON.stringify(r));
      for (const r of requests) {
        const ack = JSON.parse((await ws.nextMessage()).data);
        assert.deepEqual(ack, { type: "ack", ackId: r.ackId, success: false,
          error: { name: "BadRequest", message: "Group state is not supported by this server." } });
      }
      ws.send(JSON.stringify({ type: "subscribeGroupState", group: "room" })); // no ackId: no answer
      ws.send(JSON.stringify({ type: "ping" }));
      assert.deepEqual(JSON.parse((await ws.nextMessage()).data), { type: "pong" });
    } finally {
      ws.close();
      await ws.closed;
    }
  });
}
