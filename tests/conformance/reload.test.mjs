// Reload without restart with the official SDKs (docs/operations.md, Reload): a
// @azure/web-pubsub-client client stays connected while POST /api/admin/reload (and SIGHUP)
// move its hub to another @azure/web-pubsub-express handler, rotate the access key and add a
// hub; the @azure/web-pubsub service client with the removed key gets 401; an invalid file
// changes nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import {
  ACCESS_KEY, startUpstream, startServer, hubToml, openWebSocket, eventually, releaseProcess,
  serverBinary,
} from "./harness.mjs";

const NEW_KEY = "conformance-rotated-key-0123456789abcdefghij";
const seen = { first: [], second: [] };
let first, second, server;

// An Express event handler of hub chat that answers user events with "<name>:<data>" and
// records the ce-signature and connection id of each.
function handlerNamed(name) {
  return new WebPubSubEventHandler("chat", {
    path: `/${name}`,
    handleUserEvent: (req, res) => {
      seen[name].push({ connectionId: req.context.connectionId, signature: req.context.signature });
      res.success(`${name}:${req.data}`, "text");
    },
  });
}

const configFile = () => path.join(server.dir, "node0.toml");
// The whole file as the harness writes it (listen and key first), with `key` and `toml`.
const writeConfig = (key, toml) =>
  fs.writeFileSync(configFile(), `listen = "127.0.0.1:0"\naccess_keys = ["${key}"]\n${toml}\n`);
const connectionString = (key) => `Endpoint=http://127.0.0.1:${server.port};AccessKey=${key};Version=1.0;`;

// An HS256 JWT for the admin endpoint signed with `key`.
function adminToken(key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({
    aud: `http://127.0.0.1:${server.port}/api/admin/reload`, iat: now, exp: now + 300,
  })}`;
  return `${unsigned}.${crypto.createHmac("sha256", key).update(unsigned).digest("base64url")}`;
}

const reload = (key) => fetch(`http://127.0.0.1:${server.port}/api/admin/reload`, {
  method: "POST", headers: { Authorization: `Bearer ${adminToken(key)}` },
});

const signatureWith = (key, connectionId) =>
  "sha256=" + crypto.createHmac("sha256", key).update(connectionId).digest("hex");

before(async () => {
  first = await startUpstream(handlerNamed("first").getMiddleware());
  second = await startUpstream(handlerNamed("second").getMiddleware());
  server = await startServer(hubToml("chat", first.url("/first")));
});

after(async () => {
  const code = await server.stop();
  await first.close();
  await second.close();
  assert.equal(code, 0);
  releaseProcess();
});

test("a client stays connected across a handler change, a key rotation, a new hub and an invalid file", async () => {
  const oldService = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => (await oldService.getClientAccessToken({ userId: "stays" })).url,
  }, { protocol: WebPubSubJsonProtocol(), autoReconnect: false });
  const replies = [];
  client.on("server-message", (e) => replies.push(e.message.data));
  let disconnected = false;
  client.on("disconnected", () => { disconnected = true; });
  await client.start();
  try {
    await client.sendEvent("say", "one", "text");
    await eventually(() => replies.includes("first:one"), 5000, "the first handler's reply");
    const connectionId = seen.first[0].connectionId;
    assert.equal(seen.first[0].signature, signatureWith(ACCESS_KEY, connectionId));

    // The new file: chat's handler moves, the key rotates, hub news is added.
    writeConfig(NEW_KEY, hubToml("chat", second.url("/second")) + "[hubs.news]\nanonymous_connect = \"allow\"\n");
    const res = await reload(ACCESS_KEY);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      changed: ["access_keys", "hubs.chat", "hubs.news"], restartRequired: [],
    });

    // The open connection's next event goes to the new handler, signed with the new key only.
    await client.sendEvent("say", "two", "text");
    await eventually(() => replies.includes("second:two"), 5000, "the second handler's reply");
    assert.equal(seen.second[0].connectionId, connectionId);
    assert.equal(seen.second[0].signature, signatureWith(NEW_KEY, connectionId));

    // The removed key: its REST calls and new client tokens are refused; the new key works.
    await assert.rejects(oldService.sendToAll("x", { contentType: "text/plain" }), (e) => e.statusCode === 401);
    const { url: staleUrl } = await oldService.getClientAccessToken({ userId: "late" });
    await assert.rejects(openWebSocket(staleUrl), (e) => e.statusCode === 401);
    const newService = new WebPubSubServiceClient(connectionString(NEW_KEY), "chat", { allowInsecureConnection: true });
    await newService.sendToAll("to everyone", { contentType: "text/plain" });
    await eventually(() => replies.includes("to everyone"), 5000, "the broadcast");
    const news = await openWebSocket(`ws://127.0.0.1:${server.port}/client/hubs/news`);
    news.close();

    // An invalid file: 400 with the start's message, and everything stays.
    fs.writeFileSync(configFile(), "access_keys = 42\n");
    const refused = await reload(NEW_KEY);
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get("x-ms-error-code"), "Error.Configuration.Invalid");
    assert.match((await refused.json()).message, /^configuration error: .*access_keys/);
    await client.sendEvent("say", "three", "text");
    await eventually(() => replies.includes("second:three"), 5000, "the reply after the refusal");

    // SIGHUP reads the file like the endpoint: the first handler again.
    writeConfig(NEW_KEY, hubToml("chat", first.url("/first")));
    server.nodes[0].child.kill("SIGHUP");
    await eventually(() => /configuration reloaded: hubs\.chat, hubs\.news changed/.test(server.stderr()), 5000, "the SIGHUP reload");
    await client.sendEvent("say", "four", "text");
    await eventually(() => replies.includes("first:four"), 5000, "the reply after SIGHUP");
    assert.equal(disconnected, false, "the client never lost its connection");
  } finally {
    client.stop();
  }
});

test("webpubsubd token --reload prints the endpoint's bearer token; one of another key is refused", async () => {
  const own = await startServer("");
  try {
    const url = `http://127.0.0.1:${own.port}/api/admin/reload`;
    const token = (key) => execFileSync(serverBinary, ["token", "--reload", "--access-key", key,
      "--listen", `127.0.0.1:${own.port}`]).toString().trim();
    const ok = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token(ACCESS_KEY)}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { changed: [], restartRequired: [] });
    const refused = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token(NEW_KEY)}` } });
    assert.equal(refused.status, 401);
  } finally {
    assert.equal(await own.stop(), 0);
  }
});
