// Message TTL (spec client-protocols-1.1 §5) with the official SDKs: @azure/web-pubsub 1.2.0
// sends with `messageTtlSeconds`; a reliable @azure/web-pubsub-client (1.0.4 and 1.1.0) whose
// socket dies and can only come back after the TTL passed never gets the expired messages, sees
// a gap in the sequence ids, and keeps receiving what follows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient as Client104 } from "@azure/web-pubsub-client";
import { WebPubSubClient as Client110 } from "web-pubsub-client-1.1";
import { startServer, eventually, releaseProcess, startProxy } from "./harness.mjs";

let server, service;

before(async () => {
  server = await startServer(`[hubs.chat]\n`, [], { nodes: 1 });
  service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  releaseProcess();
});

async function expiredTotal(port = server.port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("webpubsubd_messages_expired_total "));
  return Number(line.split(" ")[1]);
}

// The scenario: `service` (REST on the first node) sends; the client is attached to the node on
// `clientPort` through a proxy that can be cut (startProxy).
async function recoversAfterTheTtl(WebPubSubClient, version, { service, serverPort, clientPort }) {
  const gate = await startProxy(clientPort);
  const group = `ttl-${version}`;
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const { url } = await service.getClientAccessToken({ userId: "reader", roles: ["webpubsub.joinLeaveGroup"] });
      return url.replace(`:${serverPort}/`, `:${gate.port}/`);
    },
  });
  const got = [];
  let connects = 0;
  let disconnects = 0;
  client.on("group-message", (e) => got.push({ data: e.message.data, seq: e.message.sequenceId }));
  client.on("server-message", (e) => got.push({ data: e.message.data, seq: e.message.sequenceId }));
  client.on("connected", () => connects++);
  client.on("disconnected", () => disconnects++);
  try {
    await client.start();
    await client.joinGroup(group);
    const groupClient = service.group(group);
    await groupClient.sendToAll("before", { contentType: "text/plain", messageTtlSeconds: 0 });
    await eventually(() => got.length === 1, 5000, "the first message");
    const expiredBefore = await expiredTotal(clientPort);

    gate.cut(); // the client's socket dies; its recovery attempts fail while the gate is shut
    await groupClient.sendToAll("expires", { contentType: "text/plain", messageTtlSeconds: 1 });
    await groupClient.sendToAll("stays", { contentType: "text/plain", messageTtlSeconds: 0 });
    await service.sendToAll("hub-expires", { contentType: "text/plain", messageTtlSeconds: 1 });
    await service.sendToAll("hub-stays", { contentType: "text/plain", messageTtlSeconds: 300 });
    await new Promise((r) => setTimeout(r, 1500)); // the 1 s TTLs pass while it is detached
    gate.open();
    await eventually(() => got.length >= 3, 20000, "the replay after recovery");
    await groupClient.sendToAll("later", { contentType: "text/plain", messageTtlSeconds: 1 });
    await eventually(() => got.length >= 4, 5000, "a message after recovery");
    await new Promise((r) => setTimeout(r, 200));

    assert.deepEqual(got.map((m) => m.data), ["before", "stays", "hub-stays", "later"]);
    assert.deepEqual(got.map((m) => m.seq), [1, 3, 5, 6], "a gap where the expired ids were");
    assert.equal(disconnects, 0, "recovered, not reconnected");
    assert.equal(connects, 1);
    assert.equal(await expiredTotal(clientPort) - expiredBefore, 2, "counted where the receiver is");
  } finally {
    // Stopped (its close frame through the gate) before the gate goes, so that the server
    // ends the session instead of keeping it for recovery.
    const stopped = new Promise((r) => client.on("stopped", r));
    client.stop();
    await stopped;
    await gate.close();
  }
}

for (const [version, WebPubSubClient] of [["1.0.4", Client104], ["1.1.0", Client110]]) {
  test(`${version}: a reliable client that recovers after the TTL sees a gap, later messages arrive`, () =>
    recoversAfterTheTtl(WebPubSubClient, version, { service, serverPort: server.port, clientPort: server.port }));
}

test("cluster: the TTL travels over the bus (REST on node 0, the client on node 1)", async () => {
  const cluster = await startServer(`[hubs.chat]\n`, [], { nodes: 2 });
  try {
    const svc = new WebPubSubServiceClient(cluster.connectionString, "chat", { allowInsecureConnection: true });
    await recoversAfterTheTtl(Client110, "cluster", { service: svc, serverPort: cluster.port, clientPort: cluster.ports[1] });
  } finally {
    assert.equal(await cluster.stop(), 0);
  }
});

test("REST sends validate messageTtlSeconds (the SDK passes it as a query parameter)", async () => {
  await assert.rejects(service.sendToAll("x", { contentType: "text/plain", messageTtlSeconds: 301 }),
    (e) => e.statusCode === 400);
  await assert.rejects(service.sendToUser("u", "x", { contentType: "text/plain", messageTtlSeconds: -1 }),
    (e) => e.statusCode === 400);
  await service.sendToConnection("nobody", "x", { contentType: "text/plain", messageTtlSeconds: 300 });
});
