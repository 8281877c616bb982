// Cross-check: one scripted client scenario against webpubsubd, once with an upstream built on
// @azure/web-pubsub-express (+ @azure/web-pubsub) and once with the C++ SDK upstream
// (tests/sdk/scenario_upstream.cc, path in SDK_SCENARIO_UPSTREAM). Both must give the same
// client-visible transcript, and that transcript must be the expected one.
// Run by CTest (sdk_crosscheck); not picked up by the directory-wide conformance run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import crypto from "node:crypto";
// 1.1.0: the generation with onGroupJoined/onGroupLeft (group presence events).
import { WebPubSubEventHandler } from "web-pubsub-express-1.1";
import { startUpstream, startServer, hubToml, openWebSocket, ACCESS_KEY } from "../harness.mjs";
import { SYNTHETIC_HEADER } from "../contract.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const cppUpstream =
  process.env.SDK_SCENARIO_UPSTREAM ?? path.resolve(here, "../../../build/bin/sdk-scenario-upstream");
const HUB = "scenario";

// The Express twin of tests/sdk/scenario_upstream.cc.
async function startExpressUpstream() {
  let service;
  const notify = (text) =>
    service.group("watch").sendToAll(text, { contentType: "text/plain" }).catch((e) => console.error(e));
  const handler = new WebPubSubEventHandler(HUB, {
    path: "/eventhandler",
    handleConnect: (req, res) => {
      if (req.queries?.deny) return res.fail(Number(req.queries.deny[0]), "denied");
      res.setState("counter", 1);
      const answer = {};
      if (req.queries?.nick) answer.userId = req.queries.nick[0];
      if (req.queries?.room) answer.groups = [req.queries.room[0]];
      res.success(answer);
    },
    onConnected: (req) => notify(`connected:${req.context.userId ?? ""}:${req.context.states.counter ?? 0}`),
    onDisconnected: (req) =>
      notify(`disconnected:${req.context.userId ?? ""}:${req.reason ?? ""}:${req.context.states.counter ?? 0}`),
    onGroupJoined: (req) => notify(`joined:${req.context.userId ?? ""}:${req.group}:${req.context.states.counter ?? 0}`),
    onGroupLeft: (req) => notify(`left:${req.context.userId ?? ""}:${req.group}:${req.context.states.counter ?? 0}`),
    handleUserEvent: async (req, res) => {
      const counter = req.context.states.counter ?? 0;
      res.setState("counter", counter + 1);
      if (req.dataType === "binary") return res.success(req.data, "binary");
      if (req.data === "json") return res.success(JSON.stringify({ hello: "world" }), "json");
      if (req.data === "nothing") return res.success();
      if (req.data === "fail") return res.fail(400, "scenario failure");
      if (typeof req.data === "string" && req.data.startsWith("broadcast:")) {
        await service.group("watch").sendToAll(req.data.slice(10), { contentType: "text/plain" });
        return res.success("sent", "text");
      }
      res.success(`echo:${req.data}:${counter}`, "text");
    },
  });
  const upstream = await startUpstream(handler.getMiddleware());
  return {
    port: upstream.port,
    setConnectionString: (cs) => {
      service = new WebPubSubServiceClient(cs, HUB, { allowInsecureConnection: true });
    },
    stop: () => upstream.close(),
  };
}

async function startCppUpstream() {
  const child = spawn(cppUpstream, [], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`sdk-scenario-upstream exited with ${code}`)));
  });
  return {
    port,
    setConnectionString: (cs) => child.stdin.write(cs + "\n"),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

// Group presence requests crafted as client-protocols-1.1 §2.2 shows them, signed with the
// server's key, posted straight to the upstream (independent of the server's presence events).
function presenceRequest(kind, body, { user = "user1", counter = 7, drop = [], set = {} } = {}) {
  const connectionId = "conn1";
  const headers = {
    "Content-Type": "application/json",
    "WebHook-Request-Origin": "pubsub.example.com",
    "ce-specversion": "1.0",
    "ce-awpsversion": "1.0",
    "ce-type": `azure.webpubsub.gp.${kind}`,
    "ce-source": `/hubs/${HUB}/client/${connectionId}`,
    "ce-id": "7",
    "ce-time": "2026-01-01T00:00:00Z",
    "ce-signature": "sha256=" + crypto.createHmac("sha256", ACCESS_KEY).update(connectionId).digest("hex"),
    "ce-hub": HUB,
    "ce-connectionId": connectionId,
    "ce-eventName": kind,
    "ce-connectionState": Buffer.from(JSON.stringify({ counter })).toString("base64"),
  };
  if (user) headers["ce-userId"] = user;
  for (const name of drop) delete headers[name];
  Object.assign(headers, set);
  return { headers, body };
}

// Posts the presence requests; what the upstream answered, and what it reported (a notice to
// group "watch", read by `watch`) for the accepted ones.
async function presenceTranscript(port, watch) {
  const cases = [
    ["joined", presenceRequest("joined", '{"group":"room-1"}'), true],
    ["left, anonymous", presenceRequest("left", '{"group":"room-1"}', { user: null, counter: 2 }), true],
    ["no ce-eventName", presenceRequest("joined", '{"group":"no-name","x":1}', { drop: ["ce-eventName"] }), true],
    ["hub in another case", presenceRequest("left", '{"group":"g2"}', { set: { "ce-hub": HUB.toUpperCase() } }), true],
    ["no origin", presenceRequest("joined", '{"group":"x"}', { drop: ["WebHook-Request-Origin"] }), false],
    ["no ce-hub", presenceRequest("joined", '{"group":"x"}', { drop: ["ce-hub"] }), false],
    ["other hub", presenceRequest("joined", '{"group":"x"}', { set: { "ce-hub": "other" } }), false],
    ["no ce-awpsversion", presenceRequest("joined", '{"group":"x"}', { drop: ["ce-awpsversion"] }), false],
    ["bad body", presenceRequest("joined", "not json"), false],
    ["after the bad body", presenceRequest("left", '{"group":"last"}'), true],
  ];
  const t = [];
  for (const [name, req, notifies] of cases) {
    const res = await fetch(`http://127.0.0.1:${port}/eventhandler/${req.headers["ce-eventName"] ?? "joined"}`,
      { method: "POST", headers: { ...req.headers, [SYNTHETIC_HEADER]: "1" }, body: req.body });
    const body = await res.text();
    t.push(["presence", name, res.status, res.status === 200 ? body : "", notifies ? await watch() : "-"]);
  }
  return t;
}

const show = (m) => (m.isBinary ? `binary:${[...m.data].join(",")}` : m.data);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The scenario. Returns the transcript of everything the clients saw.
async function scenario(start) {
  const upstream = await start();
  const server = await startServer(hubToml(HUB, `http://127.0.0.1:${upstream.port}/eventhandler/{event}`));
  upstream.setConnectionString(server.connectionString);
  const service = new WebPubSubServiceClient(server.connectionString, HUB, { allowInsecureConnection: true });
  const url = async (userId) => (await service.getClientAccessToken({ userId })).url;
  const t = [];
  try {
    // An observer in group "watch" sees the upstream's notices.
    const observer = await openWebSocket((await url("obs")) + "&nick=observer&room=watch", "json.webpubsub.azure.v1");
    const watch = async () => {
      for (;;) {
        const m = JSON.parse((await observer.nextMessage()).data);
        if (m.type === "message") return `${m.from}/${m.group ?? ""}/${m.dataType}:${m.data}`;
      }
    };
    t.push(["observer", await watch()]);

    for (const status of [401, 403]) {
      const refused = await openWebSocket((await url("x")) + `&deny=${status}`).then(() => 0, (e) => e.statusCode);
      t.push(["deny", status, refused]);
    }

    const alice = await openWebSocket((await url("alice")) + "&nick=alicia");
    t.push(["observer", await watch()]);
    alice.send("hi");
    t.push(["alice", show(await alice.nextMessage())]);
    alice.send(Buffer.from([0, 1, 255]));
    t.push(["alice", show(await alice.nextMessage())]);
    alice.send("json");
    t.push(["alice", show(await alice.nextMessage())]);
    alice.send("nothing");
    alice.send("again");
    t.push(["alice", show(await alice.nextMessage())]);
    alice.send("broadcast:news");
    t.push(["alice", show(await alice.nextMessage())]);
    t.push(["observer", await watch()]);

    const bob = await openWebSocket(await url("bob"), "json.webpubsub.azure.v1");
    const bobNext = async () => {
      for (;;) {
        const m = JSON.parse((await bob.nextMessage()).data);
        if (m.type === "system") continue;
        delete m.sequenceId;
        return m;
      }
    };
    t.push(["observer", await watch()]);
    bob.send(JSON.stringify({ type: "event", event: "echo", dataType: "text", data: "yo", ackId: 1 }));
    t.push(["bob", await bobNext(), await bobNext()]);
    bob.send(JSON.stringify({ type: "event", event: "echo", dataType: "text", data: "fail", ackId: 2 }));
    t.push(["bob", await bobNext()]);
    bob.send(JSON.stringify({ type: "event", event: "echo", dataType: "text", data: "json", ackId: 3 }));
    t.push(["bob", await bobNext(), await bobNext()]);

    alice.close(1000, "leaving");
    t.push(["alice-closed", (await alice.closed).code]);
    t.push(["observer", await watch()]);

    const carol = await openWebSocket(await url("carol"));
    t.push(["observer", await watch()]);
    carol.send("fail");
    t.push(["carol-closed", (await carol.closed).code]);
    t.push(["observer", await watch()]);

    t.push(...(await presenceTranscript(upstream.port, watch)));

    bob.close(1000);
    await bob.closed;
    observer.close(1000);
    await observer.closed;
    await sleep(100);
  } finally {
    assert.equal(await server.stop(), 0);
    await upstream.stop();
  }
  return t;
}

test("the C++ SDK upstream and the Express upstream give clients the same results", async () => {
  const express = await scenario(startExpressUpstream);
  const cpp = await scenario(startCppUpstream);
  assert.deepEqual(cpp, express);

  // And the shared transcript is the expected one.
  const lines = express.map((e) => JSON.stringify(e));
  assert.deepEqual(express[0], ["observer", "group/watch/text:connected:observer:1"]);
  assert.deepEqual(express[1], ["deny", 401, 401]);
  assert.deepEqual(express[2], ["deny", 403, 403]);
  assert.deepEqual(express[3], ["observer", "group/watch/text:connected:alicia:1"]);
  assert.deepEqual(express.slice(4, 9), [
    ["alice", "echo:hi:1"],
    ["alice", "binary:0,1,255"],
    ["alice", '{"hello":"world"}'],
    ["alice", "echo:again:5"],
    ["alice", "sent"],
  ]);
  assert.deepEqual(express[9], ["observer", "group/watch/text:news"]);
  assert.deepEqual(express[10], ["observer", "group/watch/text:connected:bob:1"]);
  assert.deepEqual(express[11], ["bob",
    { type: "message", from: "server", dataType: "text", data: "echo:yo:1" },
    { type: "ack", ackId: 1, success: true }]);
  assert.equal(express[12][1].success, false);
  assert.equal(express[12][1].error.name, "InternalServerError");
  assert.deepEqual(express[13][1], { type: "message", from: "server", dataType: "json", data: { hello: "world" } });
  assert.deepEqual(express[14], ["alice-closed", 1000]);
  assert.deepEqual(express[15], ["observer", "group/watch/text:disconnected:alicia:leaving:7"]);
  assert.equal(express[16][1], "group/watch/text:connected:carol:1");
  assert.deepEqual(express[17], ["carol-closed", 1011]);
  assert.match(express[18][1], /^group\/watch\/text:disconnected:carol:.+:1$/);
  assert.deepEqual(express.slice(19), [
    ["presence", "joined", 200, "", "group/watch/text:joined:user1:room-1:7"],
    ["presence", "left, anonymous", 200, "", "group/watch/text:left::room-1:2"],
    ["presence", "no ce-eventName", 200, "", "group/watch/text:joined:user1:no-name:7"],
    ["presence", "hub in another case", 200, "", "group/watch/text:left:user1:g2:7"],
    ["presence", "no origin", 404, "", "-"],
    ["presence", "no ce-hub", 404, "", "-"],
    ["presence", "other hub", 404, "", "-"],
    ["presence", "no ce-awpsversion", 404, "", "-"],
    ["presence", "bad body", 200, "", "-"],
    ["presence", "after the bad body", 200, "", "group/watch/text:left:user1:last:7"],
  ]);
  assert.equal(express.length, 29, lines.join("\n"));
});
