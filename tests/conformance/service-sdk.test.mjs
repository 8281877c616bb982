// Every public method of @azure/web-pubsub's WebPubSubServiceClient (unmodified) against
// webpubsubd, with simple, json and reliable-json clients connected; asserts what each client
// receives and what each call returns.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebPubSubServiceClient, odata } from "@azure/web-pubsub";
import { startServer, openWebSocket, eventually, releaseProcess } from "./harness.mjs";

let server, service;

before(async () => {
  server = await startServer();
  service = new WebPubSubServiceClient(server.connectionString, "Svc", { allowInsecureConnection: true });
});

after(async () => {
  assert.equal(await server.stop(), 0);
  releaseProcess();
});

// Opens a client of `kind` ("simple" | "json" | "reliable") and resolves when it is connected.
async function client(kind, userId, { roles = [], groups = [] } = {}) {
  const { url } = await service.getClientAccessToken({ userId, roles, groups });
  const protocol = { simple: undefined, json: "json.webpubsub.azure.v1", reliable: "json.reliable.webpubsub.azure.v1" }[kind];
  const ws = await openWebSocket(url, protocol);
  ws.kind = kind;
  if (kind !== "simple") {
    const connected = JSON.parse((await ws.nextMessage()).data);
    assert.equal(connected.event, "connected");
    ws.connectionId = connected.connectionId;
  }
  return ws;
}

// Reads the next message; for PubSub clients returns the parsed JSON.
async function receive(ws, timeoutMs = 3000) {
  const m = await ws.nextMessage(timeoutMs);
  return ws.kind === "simple" ? m : JSON.parse(m.data);
}

async function nothingArrives(ws, ms = 200) {
  await assert.rejects(ws.nextMessage(ms), /timed out/);
}

// The connection id of a simple client, found through a group it was told to join.
async function simpleConnectionId(userId) {
  let id;
  const members = service.group(`who-${userId}`);
  await service.addConnectionsToGroups([`who-${userId}`], odata`userId eq ${userId}`);
  for await (const m of await members.listConnections()) id = m.connectionId;
  await service.removeConnectionsFromGroups([`who-${userId}`], odata`userId eq ${userId}`);
  return id;
}

test("sendToAll: json, text and binary reach every client kind in its format", async () => {
  const s = await client("simple", "s1");
  const j = await client("json", "j1");
  const r = await client("reliable", "r1");
  await service.sendToAll("hi there"); // a plain string is sent as JSON
  let m = await receive(s);
  assert.equal(m.isBinary, false);
  assert.equal(m.data, '"hi there"');
  assert.deepEqual(await receive(j), { type: "message", from: "server", dataType: "json", data: "hi there" });
  const rm = await receive(r);
  assert.equal(rm.sequenceId, 1);
  assert.equal(rm.data, "hi there");
  await service.sendToAll("plain", { contentType: "text/plain" });
  assert.equal((await receive(s)).data, "plain");
  assert.deepEqual(await receive(j), { type: "message", from: "server", dataType: "text", data: "plain" });
  assert.equal((await receive(r)).sequenceId, 2);
  await service.sendToAll(new Uint8Array([0, 1, 255]).buffer);
  m = await receive(s);
  assert.equal(m.isBinary, true);
  assert.deepEqual([...m.data], [0, 1, 255]);
  assert.deepEqual(await receive(j), { type: "message", from: "server", dataType: "binary", data: "AAH/" });
  await service.sendToAll({ a: 1 }, { excludedConnections: [j.connectionId] });
  assert.equal((await receive(r)).dataType, "binary");
  assert.equal((await receive(s)).data, '{"a":1}');
  assert.deepEqual((await receive(r)).data, { a: 1 });
  await nothingArrives(j);
  await service.sendToAll("only r1", { contentType: "text/plain", filter: odata`userId eq ${"r1"}` });
  assert.equal((await receive(r)).data, "only r1");
  await nothingArrives(s);
  await nothingArrives(j);
  for (const ws of [s, j, r]) ws.close(1000);
});

test("sendToUser, sendToConnection and the exists checks", async () => {
  const a = await client("json", "alice");
  const a2 = await client("simple", "alice");
  const b = await client("json", "bob");
  assert.equal(await service.userExists("alice"), true);
  assert.equal(await service.userExists("nobody"), false);
  assert.equal(await service.connectionExists(a.connectionId), true);
  assert.equal(await service.connectionExists("not-a-connection"), false);
  await service.sendToUser("alice", "for alice", { contentType: "text/plain" });
  assert.equal((await receive(a)).data, "for alice");
  assert.equal((await receive(a2)).data, "for alice");
  await nothingArrives(b);
  await service.sendToConnection(b.connectionId, { to: "bob" });
  assert.deepEqual((await receive(b)).data, { to: "bob" });
  await service.sendToConnection("missing-connection", "ignored"); // 202 even when missing
  await service.sendToUser("nobody", "ignored");
  for (const ws of [a, a2, b]) ws.close(1000);
});

test("groups: add/remove connection and user, send, exists, list with paging", async () => {
  const c1 = await client("json", "u1");
  const c2 = await client("reliable", "u2");
  const c3 = await client("simple", "u3");
  const g = service.group("room 1/ä"); // needs escaping in the URL
  assert.equal(await service.groupExists("room 1/ä"), false);
  await g.addConnection(c1.connectionId);
  await g.addUser("u2");
  await g.addUser("u3");
  await assert.rejects(g.addConnection("no-such-connection"), (e) => e.statusCode === 404);
  await assert.rejects(g.addUser("no-such-user"), (e) => e.statusCode === 404);
  assert.equal(await service.groupExists("room 1/ä"), true);
  await g.sendToAll("to the room", { contentType: "text/plain" });
  const m1 = await receive(c1);
  assert.deepEqual(m1, { type: "message", from: "group", group: "room 1/ä", fromUserId: null, dataType: "text", data: "to the room" });
  const m2 = await receive(c2);
  assert.equal(m2.group, "room 1/ä");
  assert.equal(m2.sequenceId, 1);
  assert.equal((await receive(c3)).data, "to the room");
  await g.sendToAll({ x: 1 }, { excludedConnections: [c1.connectionId], filter: "userId ne 'u3'" });
  assert.deepEqual((await receive(c2)).data, { x: 1 });
  await nothingArrives(c1);
  await nothingArrives(c3);

  const members = [];
  for await (const m of await g.listConnections({ maxPageSize: 2 })) members.push(m);
  assert.equal(members.length, 3);
  assert.deepEqual(new Set(members.map((m) => m.userId)), new Set(["u1", "u2", "u3"]));
  const pages = [];
  for await (const page of (await g.listConnections({ maxPageSize: 1 })).byPage()) pages.push(page.length);
  assert.deepEqual(pages, [1, 1, 1]);
  const topTwo = [];
  for await (const m of await g.listConnections({ maxPageSize: 1, top: 2 })) topTwo.push(m);
  assert.equal(topTwo.length, 2);

  await g.removeConnection(c1.connectionId);
  await g.removeUser("u2");
  await g.removeConnection("no-such-connection"); // idempotent
  await g.sendToAll("after removal", { contentType: "text/plain" });
  assert.equal((await receive(c3)).data, "after removal");
  await nothingArrives(c1);
  await nothingArrives(c2);
  await service.removeUserFromAllGroups("u3");
  assert.equal(await service.groupExists("room 1/ä"), false);
  for (const ws of [c1, c2, c3]) ws.close(1000);
});

test("addConnectionsToGroups / removeConnectionsFromGroups with filters", async () => {
  const l1 = await client("json", "listener-1");
  const l2 = await client("json", "listener-2");
  const o = await client("json", "other");
  await service.addConnectionsToGroups(["news", "sports"], "startswith(userId, 'listener-')");
  await service.group("news").sendToAll("n", { contentType: "text/plain" });
  assert.equal((await receive(l1)).data, "n");
  assert.equal((await receive(l2)).data, "n");
  await nothingArrives(o);
  await service.removeConnectionsFromGroups(["news"], odata`userId eq ${"listener-2"}`);
  await service.group("news").sendToAll("n2", { contentType: "text/plain" });
  assert.equal((await receive(l1)).data, "n2");
  await nothingArrives(l2);
  await service.removeConnectionFromAllGroups(l1.connectionId);
  assert.equal(await service.groupExists("news"), false);
  assert.equal(await service.groupExists("sports"), true);
  await assert.rejects(service.addConnectionsToGroups(["x"], "userId lt 1"), (e) => {
    assert.equal(e.statusCode, 400);
    assert.match(e.message, /Invalid syntax for 'userId lt 1'/);
    return true;
  });
  await assert.rejects(service.sendToAll("x", { filter: "bad(" }), (e) => e.statusCode === 400);
  for (const ws of [l1, l2, o]) ws.close(1000);
});

test("grantPermission / revokePermission / hasPermission act on live connections", async () => {
  const c = await client("json", "perm");
  const has = () => service.hasPermission(c.connectionId, "joinLeaveGroup", { targetName: "vip" });
  assert.equal(await has(), false);
  c.send(JSON.stringify({ type: "joinGroup", group: "vip", ackId: 1 }));
  assert.equal((await receive(c)).error.name, "Forbidden");
  await service.grantPermission(c.connectionId, "joinLeaveGroup", { targetName: "vip" });
  assert.equal(await has(), true);
  c.send(JSON.stringify({ type: "joinGroup", group: "vip", ackId: 2 }));
  assert.equal((await receive(c)).success, true);
  await service.revokePermission(c.connectionId, "joinLeaveGroup", { targetName: "vip" });
  assert.equal(await has(), false);
  c.send(JSON.stringify({ type: "leaveGroup", group: "vip", ackId: 3 }));
  assert.equal((await receive(c)).error.name, "Forbidden");
  assert.equal(await service.hasPermission("missing", "sendToGroup", { targetName: "vip" }), false);
  await assert.rejects(service.grantPermission("missing", "sendToGroup", { targetName: "vip" }),
    (e) => e.statusCode === 404);
  await service.revokePermission("missing", "sendToGroup", { targetName: "vip" }); // 204
  c.close(1000);
});

test("closeConnection, closeUserConnections, group and hub closeAllConnections", async () => {
  const j = await client("json", "closer");
  await service.closeConnection(j.connectionId, { reason: "kicked out" });
  const sys = await receive(j);
  assert.deepEqual(sys, { type: "system", event: "disconnected", message: "Application server closed the connection. Reason: kicked out" });
  const closed = await j.closed;
  assert.equal(closed.code, 1000);
  assert.equal(closed.reason, "");
  assert.equal(await service.connectionExists(j.connectionId), false);

  const s = await client("simple", "sam");
  await service.closeUserConnections("sam");
  assert.equal((await s.closed).code, 1000);

  const g1 = await client("json", "g1", { groups: ["doomed"] });
  const g2 = await client("json", "g2", { groups: ["doomed"] });
  await service.group("doomed").closeAllConnections({ excluded: [g2.connectionId], reason: "bye" });
  assert.equal((await receive(g1)).message, "Application server closed the connection. Reason: bye");
  await g1.closed;
  assert.equal(await service.connectionExists(g2.connectionId), true);

  const keep = await client("json", "keep");
  const gone = await client("reliable", "gone");
  await service.closeAllConnections({ excluded: [keep.connectionId, g2.connectionId] });
  await gone.closed;
  assert.equal(await service.connectionExists(keep.connectionId), true);
  await service.closeConnection("missing"); // 204
  await service.closeAllConnections();
  await keep.closed;
  await g2.closed;
});

test("authentication: a wrong key is refused with 401", async () => {
  const wrong = server.connectionString.replace(/AccessKey=[^;]+/, "AccessKey=this-is-the-wrong-key-0123456789abcdef");
  const bad = new WebPubSubServiceClient(wrong, "svc", { allowInsecureConnection: true });
  await assert.rejects(bad.sendToAll("x"), (e) => e.statusCode === 401);
  await assert.rejects(bad.connectionExists("x"), (e) => e.statusCode === 401);
});

test("REST bodies over the limit get 413", async () => {
  const big = "x".repeat(1024 * 1024 + 1);
  await assert.rejects(service.sendToAll(big, { contentType: "text/plain" }), (e) => e.statusCode === 413);
  await service.sendToAll("y".repeat(1024 * 1024 - 16), { contentType: "text/plain" }); // just under
});

test("`webpubsubd token` prints a client URL that connects", async () => {
  const { execFileSync } = await import("node:child_process");
  const { serverBinary, ACCESS_KEY } = await import("./harness.mjs");
  const url = execFileSync(serverBinary, ["token", "--access-key", ACCESS_KEY, "--listen",
    `127.0.0.1:${server.port}`, "--hub", "svc", "--user", "tok", "--role", "webpubsub.joinLeaveGroup"]).toString().trim();
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/client\/hubs\/svc\?access_token=/);
  const ws = await openWebSocket(url, "json.webpubsub.azure.v1");
  const connected = JSON.parse((await ws.nextMessage()).data);
  assert.equal(connected.userId, "tok");
  ws.send(JSON.stringify({ type: "joinGroup", group: "any", ackId: 1 }));
  // A broadcast of an earlier test to this hub may still cross the cluster bus: skip to the ack.
  let ack;
  do ack = JSON.parse((await ws.nextMessage()).data); while (ack.type !== "ack");
  assert.equal(ack.ackId, 1);
  assert.equal(ack.success, true);
  ws.close(1000);
});
