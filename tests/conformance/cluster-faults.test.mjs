// Cluster failure modes with real processes: 3 webpubsubd nodes sharing a redis-server.
// A node killed with SIGKILL, Redis stopped and restarted, and a slow Redis.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { startServer, startRedis, openWebSocket, eventually } from "./harness.mjs";

const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
const TTL = 3;

async function cluster() {
  const server = await startServer("", [], { nodes: 3, clusterToml: `presence_ttl_seconds = ${TTL}\nrequest_timeout_ms = 1500` });
  const services = server.nodes.map((n) => new WebPubSubServiceClient(n.connectionString, "hub", { allowInsecureConnection: true }));
  return { server, services };
}

// A json client connected to node `i` (URL rewritten to that node's port).
async function clientOn(server, services, i, userId, groups = []) {
  const { url } = await services[0].getClientAccessToken({ userId, roles, groups });
  const u = new URL(url);
  u.port = String(server.ports[i]);
  const ws = await openWebSocket(u.toString(), "json.webpubsub.azure.v1", { spread: false });
  ws.info = JSON.parse((await ws.nextMessage()).data);
  return ws;
}

async function health(port) {
  const res = await fetch(`http://127.0.0.1:${port}/api/health`);
  return res.status;
}

// The status of /api/health/ready and the bus state reported by /api/health (always 200).
async function busState(port) {
  const ready = await fetch(`http://127.0.0.1:${port}/api/health/ready`);
  const res = await fetch(`http://127.0.0.1:${port}/api/health`);
  assert.equal(res.status, 200);
  return { ready: ready.status, cluster: (await res.json()).cluster };
}

test("kill -9 one node: the others keep serving and its presence expires", async () => {
  const { server, services } = await cluster();
  try {
    const a = await clientOn(server, services, 0, "alice", ["room"]);
    const b = await clientOn(server, services, 1, "bob", ["room"]);
    await clientOn(server, services, 2, "victim", ["room", "victim-only"]);
    assert.equal(await services[0].userExists("victim"), true);
    assert.equal(await services[0].groupExists("victim-only"), true);
    server.nodes[2].child.kill("SIGKILL");
    // Within the presence TTL (plus the peer refresh), node 2's users and groups are gone.
    const start = Date.now();
    // Until node 2's liveness expires, queries that need it wait for it and fail with 503 (no
    // partial answers); the probe does not retry, so each attempt takes at most the timeout.
    const probe = new WebPubSubServiceClient(server.nodes[0].connectionString, "hub", { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    const victimGone = async () => {
      try {
        return !(await probe.userExists("victim"));
      } catch (e) {
        assert.equal(e.statusCode, 503, `unexpected error while node 2 expires: ${e.message}`);
        return false;
      }
    };
    await eventually(victimGone, (TTL + 6) * 1000, "victim to expire");
    assert.ok(Date.now() - start <= (TTL + 6) * 1000);
    assert.equal(await services[1].groupExists("victim-only"), false);
    // The surviving nodes still exchange messages.
    a.send(JSON.stringify({ type: "sendToGroup", group: "room", dataType: "text", data: "still here", ackId: 1 }));
    let m;
    do { m = JSON.parse((await b.nextMessage()).data); } while (m.type !== "message");
    assert.equal(m.data, "still here");
    await services[1].sendToUser("alice", "hi from node 1", { contentType: "text/plain" });
    do { m = JSON.parse((await a.nextMessage()).data); } while (m.type !== "message" || m.from !== "server");
    assert.equal(m.data, "hi from node 1");
    const members = [];
    for await (const x of await services[0].group("room").listConnections()) members.push(x.userId);
    assert.deepEqual(members.sort(), ["alice", "bob"]);
  } finally {
    await server.stop();
  }
});

test("Redis stopped and restarted: local service continues, degraded health, recovery without restart", async () => {
  const { server, services } = await cluster();
  try {
    const a1 = await clientOn(server, services, 0, "a1", ["local"]);
    const a2 = await clientOn(server, services, 0, "a2", ["local"]);
    const b = await clientOn(server, services, 1, "b1", ["local"]);
    assert.deepEqual(await busState(server.ports[0]), { ready: 200, cluster: "connected" });
    await server.redis.stop();
    // The node keeps serving its clients: /api/health stays 200 and reports the bus as degraded;
    // /api/health/ready answers 503.
    await eventually(async () => (await busState(server.ports[0])).cluster === "degraded", 5000, "degraded health");
    assert.deepEqual(await busState(server.ports[0]), { ready: 503, cluster: "degraded" });
    assert.equal(await health(server.ports[0]), 200);
    // Clients of one node still talk to each other.
    a1.send(JSON.stringify({ type: "sendToGroup", group: "local", dataType: "text", data: "no redis", ackId: 1 }));
    let m;
    do { m = JSON.parse((await a2.nextMessage()).data); } while (m.type !== "message");
    assert.equal(m.data, "no redis");
    // Redis comes back on the same address: nodes reconnect and cross-node traffic resumes.
    const again = await startRedis(server.dir, server.redis.port);
    try {
      await eventually(async () => (await busState(server.ports[0])).ready === 200 &&
        (await busState(server.ports[1])).ready === 200, 15000, "recovered health");
      assert.equal((await busState(server.ports[0])).cluster, "connected");
      await eventually(async () => await services[0].userExists("b1"), 10000, "peers rediscovered");
      a1.send(JSON.stringify({ type: "sendToGroup", group: "local", dataType: "text", data: "redis is back", ackId: 2 }));
      do { m = JSON.parse((await b.nextMessage()).data); } while (m.type !== "message" || m.data !== "redis is back");
      assert.equal(m.fromUserId, "a1");
    } finally {
      await again.stop();
    }
  } finally {
    await server.stop();
  }
});

test("a slow Redis does not delay clients of one node", async () => {
  const { server, services } = await cluster();
  try {
    const a = await clientOn(server, services, 0, "x1", ["g"]);
    const b = await clientOn(server, services, 0, "x2", ["g"]);
    const redisCli = (...args) => execFileSync("redis-cli", [...server.redis.cli, ...args]);
    const sleepStarted = Date.now();
    const sleeper = new Promise((resolve, reject) => {
      import("node:child_process").then(({ execFile }) =>
        execFile("redis-cli", [...server.redis.cli, "DEBUG", "SLEEP", "2"], (err, stdout) =>
          (err ? reject(err) : resolve(stdout.toString().trim()))));
    });
    await new Promise((r) => setTimeout(r, 100)); // Redis is now asleep
    const t0 = Date.now();
    a.send(JSON.stringify({ type: "sendToGroup", group: "g", dataType: "text", data: "fast", ackId: 1 }));
    let m;
    do { m = JSON.parse((await b.nextMessage()).data); } while (m.type !== "message");
    const elapsed = Date.now() - t0;
    assert.equal(m.data, "fast");
    assert.ok(elapsed < 1000, `delivery took ${elapsed} ms while Redis slept`);
    // Redis really slept (DEBUG is allowed): the delivery above happened during its sleep.
    assert.equal(await sleeper, "OK");
    assert.ok(Date.now() - sleepStarted >= 1900, "DEBUG SLEEP returned early");
    assert.equal(redisCli("PING").toString().trim(), "PONG");
  } finally {
    await server.stop();
  }
});
