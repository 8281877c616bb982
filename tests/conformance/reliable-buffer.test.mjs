// The reliable replay buffer's default size against the official clients' ack timing: both JS
// client generations acknowledge sequence ids once a second, so a reliable subscriber holds
// about a second's worth of messages unacknowledged. The default (`reliable.buffer_messages`,
// 10000) must carry a burst far above Azure's 1000 (docs/protocol-decisions.md, "Reliable
// buffer default"), and a client that never acknowledges is still closed when it is full.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import * as Client10 from "@azure/web-pubsub-client";
import * as Client11 from "web-pubsub-client-1.1";
import { startServer, hubToml, openWebSocket, eventually, releaseProcess } from "./harness.mjs";

let server, service;

before(async () => {
  // No [reliable] section: the defaults are what is tested. The hub has no event handler.
  server = await startServer(`[hubs.chat]\n`);
  service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  releaseProcess();
});

async function rawClient(userId, protocol) {
  const { url } = await service.getClientAccessToken({ userId, roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] });
  const ws = await openWebSocket(url, protocol);
  const connected = JSON.parse((await ws.nextMessage()).data);
  assert.equal(connected.event, "connected");
  return ws;
}

// A burst of group messages published by a raw client as fast as it can write them.
async function burst(ws, group, count) {
  ws.send(JSON.stringify({ type: "joinGroup", group, ackId: 1 }));
  assert.equal(JSON.parse((await ws.nextMessage()).data).type, "ack");
  for (let i = 1; i <= count; i++) {
    ws.send(JSON.stringify({ type: "sendToGroup", group, noEcho: true, dataType: "text", data: `m${i}` }));
  }
}

for (const [generation, sdk] of [["1.0.4", Client10], ["1.1.0", Client11]]) {
  test(`a ${generation} json.reliable subscriber takes a burst of 4,000 messages with the default buffer`, async () => {
    const group = `burst-${generation}`;
    const client = new sdk.WebPubSubClient({
      getClientAccessUrl: async () => (await service.getClientAccessToken({ userId: "sub", roles: ["webpubsub.joinLeaveGroup"] })).url,
    }, { protocol: sdk.WebPubSubJsonReliableProtocol(), autoReconnect: false });
    const got = [];
    let stopped = null;
    client.on("group-message", (e) => got.push(e.message.data));
    client.on("disconnected", (e) => { stopped = e.message ?? "disconnected"; });
    await client.start();
    await client.joinGroup(group);
    const publisher = await rawClient("pub", "json.webpubsub.azure.v1");
    await burst(publisher, group, 4000);
    await eventually(() => got.length === 4000 || stopped !== null, 20000, "the burst");
    assert.equal(stopped, null, "the subscriber was disconnected");
    assert.deepEqual(got, Array.from({ length: 4000 }, (_, i) => `m${i + 1}`));
    client.stop();
    publisher.close();
  });
}

test("a json.reliable client that never acknowledges is closed 1008 at its 10,001st unacknowledged message", async () => {
  const group = "never-acks";
  const sub = await rawClient("lazy", "json.reliable.webpubsub.azure.v1");
  sub.send(JSON.stringify({ type: "joinGroup", group, ackId: 1 }));
  assert.equal(JSON.parse((await sub.nextMessage()).data).type, "ack");
  const publisher = await rawClient("pub2", "json.webpubsub.azure.v1");
  let received = 0;
  let closed = null;
  let disconnected = null;
  sub.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === "message") received++;
    else if (m.type === "system" && m.event === "disconnected") disconnected = m.message;
  });
  sub.closed.then((c) => { closed = c; });
  await burst(publisher, group, 10000);
  await eventually(() => received === 10000 || closed !== null, 20000, "10,000 messages");
  assert.equal(closed, null, "closed before the buffer was full");
  publisher.send(JSON.stringify({ type: "sendToGroup", group, noEcho: true, dataType: "text", data: "one too many" }));
  const c = await sub.closed;
  assert.equal(c.code, 1008);
  assert.equal(c.reason, "The reliable message buffer is full.");
  assert.equal(received, 10000);
  assert.equal(disconnected, "The reliable message buffer is full.");
  publisher.close();
});
