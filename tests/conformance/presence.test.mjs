// Group presence events (client-protocols-1.1.md §2) with the official packages, unmodified:
// an upstream built with @azure/web-pubsub-express 1.1.0 (onGroupJoined / onGroupLeft), both
// client generations (@azure/web-pubsub-client 1.0.4 and 1.1.0), and @azure/web-pubsub 1.2.0
// for the REST sources. Every source of change, the group filters, the order relative to
// connected/disconnected; and @azure/web-pubsub-express 1.0.6 (404 to gp.*) next to it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler as ExpressHandler106 } from "@azure/web-pubsub-express";
import { WebPubSubEventHandler } from "web-pubsub-express-1.1";
import { WebPubSubClient as Client104 } from "@azure/web-pubsub-client";
import { WebPubSubClient as Client110 } from "web-pubsub-client-1.1";
import { startUpstream, startServer, hubToml, eventually, spreadUrl, startProxy, releaseProcess } from "./harness.mjs";

const presence = `group_presence_events = { event_names = ["joined", "left"], group_filters = ["room-*", "lobby"] }\n`;
// Per connection id: "connected", "joined:<group>", "left:<group>", "disconnected" in order.
const seen = new Map();
// Every ce-type that reached each upstream path (raw, before Express), with its status.
const raw = [];
let upstream, server, chat, old, plain;

function record(kind) {
  return (req) => {
    const id = req.context.connectionId;
    if (!seen.has(id)) seen.set(id, []);
    seen.get(id).push(req.group === undefined ? kind : `${kind}:${req.group}`);
  };
}

function rawRecorder(req, res, next) {
  if (req.method === "POST") {
    const entry = { path: req.path, type: req.headers["ce-type"], id: req.headers["ce-connectionid"] };
    raw.push(entry);
    res.on("finish", () => { entry.status = res.statusCode; });
  }
  next();
}

before(async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/presence",
    handleConnect: (req, res) => {
      if (req.context.userId === "greeted") return res.success({ groups: ["room-hello", "nowhere"] });
      res.success();
    },
    onConnected: record("connected"),
    onGroupJoined: record("joined"),
    onGroupLeft: record("left"),
    onDisconnected: record("disconnected"),
  });
  // Express 1.0.6 knows no gp.* types: it answers them 404.
  const oldHandler = new ExpressHandler106("old", { path: "/old", onConnected: record("connected") });
  const plainHandler = new ExpressHandler106("plain", { path: "/plain", onConnected: record("connected") });
  upstream = await startUpstream(rawRecorder, handler.getMiddleware(), oldHandler.getMiddleware(),
    plainHandler.getMiddleware());
  server = await startServer(
    hubToml("chat", upstream.url("/presence/{event}")) + presence +
    hubToml("old", upstream.url("/old/{event}")) + presence +
    hubToml("plain", upstream.url("/plain/{event}")) +
    // The SDKs' stop() closes without a status code: end the session then, not after the
    // recovery window, so that its left/disconnected events follow at once.
    "[reliable]\nclose_without_status_ends_session = true\n");
  const svc = (hub) => new WebPubSubServiceClient(server.connectionString, hub, { allowInsecureConnection: true });
  chat = svc("chat");
  old = svc("old");
  plain = svc("plain");
});

after(async () => {
  assert.equal(await server.stop(), 0);
  await upstream.close();
  releaseProcess();
});

const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

function makeClient(Client, service, userId, { groups, rewrite = spreadUrl } = {}) {
  const client = new Client({
    getClientAccessUrl: async () => rewrite((await service.getClientAccessToken({ userId, roles, groups })).url),
  });
  client.groupMessages = [];
  client.on("group-message", (e) => client.groupMessages.push(e.message.data));
  client.on("connected", (e) => { client.connectionId = e.connectionId; });
  return client;
}

const eventsOf = (id) => seen.get(id) ?? [];
const ended = (id) => eventsOf(id).includes("disconnected");

for (const [generation, Client] of [["1.0.4", Client104], ["1.1.0", Client110]]) {
  test(`client ${generation}: joinGroup/leaveGroup, initial groups and stop() in order`, async () => {
    const c = makeClient(Client, chat, `user-${generation}`, { groups: ["lobby"] });
    await c.start();
    await eventually(() => c.connectionId, 5000, "connected");
    const id = c.connectionId;
    await c.joinGroup("room-1");
    await c.joinGroup("room-1"); // already a member: no event
    await c.joinGroup("other"); // not taken by the group filters
    await c.leaveGroup("room-2"); // not a member: no event
    await c.leaveGroup("room-1");
    await c.joinGroup("room-2");
    c.stop();
    await eventually(() => ended(id), 5000, "disconnected");
    assert.deepEqual(eventsOf(id), ["connected", "joined:lobby", "joined:room-1", "left:room-1",
      "joined:room-2", "left:lobby", "left:room-2", "disconnected"]);
  });
}

test("connect answer groups join after connected; a refused join fires nothing", async () => {
  const { url } = await chat.getClientAccessToken({ userId: "greeted", roles: ["webpubsub.joinLeaveGroup.room-a"] });
  const c = new Client110({ getClientAccessUrl: async () => spreadUrl(url) });
  c.on("connected", (e) => { c.connectionId = e.connectionId; });
  await c.start();
  await eventually(() => c.connectionId, 5000, "connected");
  await assert.rejects(c.joinGroup("room-b"), (e) => e.errorDetail?.name === "Forbidden");
  await c.joinGroup("room-a");
  c.stop();
  await eventually(() => ended(c.connectionId), 5000, "disconnected");
  assert.deepEqual(eventsOf(c.connectionId), ["connected", "joined:room-hello", "joined:room-a",
    "left:room-a", "left:room-hello", "disconnected"]);
});

test("REST sources with @azure/web-pubsub 1.2.0: connection, user, filter, all groups, close", async () => {
  const a = makeClient(Client104, chat, "rest-alice");
  const b = makeClient(Client110, chat, "rest-bob");
  const b2 = makeClient(Client104, chat, "rest-bob");
  for (const c of [a, b, b2]) await c.start();
  await eventually(() => a.connectionId && b.connectionId && b2.connectionId, 5000, "connected");
  // Taken now: the SDK reconnects after the REST close below, with a new connection id.
  const [ida, idb, idb2] = [a.connectionId, b.connectionId, b2.connectionId];
  await chat.group("room-1").addConnection(ida);
  await chat.group("room-1").addConnection(ida); // no change
  await chat.group("room-2").addUser("rest-bob"); // both of bob's connections
  await chat.addConnectionsToGroups(["room-3", "lobby"], "userId eq 'rest-alice'");
  await chat.group("room-1").removeConnection(ida);
  await chat.group("room-2").removeUser("rest-bob");
  await chat.removeConnectionsFromGroups(["room-3"], "userId eq 'rest-alice'");
  await chat.group("room-4").addUser("rest-bob");
  await chat.removeConnectionFromAllGroups(ida);
  await chat.closeConnection(idb, { reason: "bye" });
  await eventually(() => ended(idb), 5000, "disconnected after the REST close");
  for (const c of [a, b, b2]) c.stop();
  for (const id of [ida, idb2]) await eventually(() => ended(id), 5000, "disconnected");
  assert.deepEqual(eventsOf(ida), ["connected", "joined:room-1", "joined:room-3",
    "joined:lobby", "left:room-1", "left:room-3", "left:lobby", "disconnected"]);
  for (const id of [idb, idb2]) {
    assert.deepEqual(eventsOf(id), ["connected", "joined:room-2", "left:room-2",
      "joined:room-4", "left:room-4", "disconnected"]);
  }
});

test("a recovered reliable transport drop fires nothing; the groups are kept", async () => {
  const proxy = await startProxy(server.port);
  const rewrite = (u) => u.replace(`:${server.port}/`, `:${proxy.port}/`);
  const c = makeClient(Client110, chat, "recovering", { rewrite });
  const sender = makeClient(Client104, chat, "sender");
  await c.start();
  await sender.start();
  await eventually(() => c.connectionId, 5000, "connected");
  await c.joinGroup("room-r");
  const id = c.connectionId;
  let disconnects = 0;
  c.on("disconnected", () => disconnects++);
  proxy.kill();
  await sender.sendToGroup("room-r", "after the drop", "text");
  await eventually(() => c.groupMessages.includes("after the drop"), 10000, "recovery");
  assert.equal(c.connectionId, id, "recovered, not reconnected");
  assert.equal(disconnects, 0);
  assert.deepEqual(eventsOf(id), ["connected", "joined:room-r"]);
  c.stop();
  sender.stop();
  await eventually(() => ended(id), 5000, "disconnected");
  assert.deepEqual(eventsOf(id), ["connected", "joined:room-r", "left:room-r", "disconnected"]);
  await proxy.close();
});

test("express 1.0.6: 404 to gp.* changes nothing for the client; without the option nothing is sent", async () => {
  for (const [service, path, enabled] of [[old, "/old", true], [plain, "/plain", false]]) {
    const c = makeClient(Client104, service, `user${path}`);
    await c.start();
    await eventually(() => c.connectionId, 5000, "connected");
    await c.joinGroup("room-1");
    await c.sendToGroup("room-1", "still fine", "text");
    await eventually(() => c.groupMessages.includes("still fine"), 5000, "group message");
    await c.leaveGroup("room-1");
    c.stop();
    const gp = () => raw.filter((r) => r.id === c.connectionId && r.type?.startsWith("azure.webpubsub.gp."));
    await eventually(() => raw.some((r) => r.id === c.connectionId && r.type === "azure.webpubsub.sys.disconnected"),
      5000, "disconnected posted");
    if (enabled) {
      assert.deepEqual(gp().map((r) => [r.path, r.type, r.status]), [
        [`${path}/joined`, "azure.webpubsub.gp.joined", 404],
        [`${path}/left`, "azure.webpubsub.gp.left", 404]]);
    } else {
      assert.deepEqual(gp(), []);
    }
    assert.deepEqual(eventsOf(c.connectionId), ["connected"]);
  }
});
