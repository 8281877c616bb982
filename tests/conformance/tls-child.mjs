// The SDK side of tls.test.mjs, run in a child process: NODE_EXTRA_CA_CERTS (the test CA) is
// read only when node starts. Usage: node tls-child.mjs SCENARIO CONNECTION_STRING; prints one
// JSON line with what happened. No SDK is given allowInsecureConnection.
//   sdk      the service client (REST over https) and both client generations over wss
//   refused  what the service client and a client say about a certificate they must refuse
//   recover  a json.reliable client whose socket is killed twice recovers without loss
import net from "node:net";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { startProxy } from "./tcp-proxy.mjs";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubClient as WebPubSubClient11 } from "web-pubsub-client-1.1";

const [scenario, connectionString] = process.argv.slice(2);
const service = new WebPubSubServiceClient(connectionString, "chat");
const roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

async function eventually(predicate, what, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function makeClient(Client, userId, rewrite = (u) => u) {
  const client = new Client({
    getClientAccessUrl: async () => rewrite((await service.getClientAccessToken({ userId, roles })).url),
  });
  client.got = [];
  client.on("group-message", (e) => client.got.push(e.message.data));
  client.on("server-message", (e) => client.got.push(e.message.data));
  return client;
}

async function sdk() {
  const url = (await service.getClientAccessToken({ userId: "u" })).url;
  const out = { tokenUrl: url.split("?")[0] };
  for (const [name, Client] of [["client-1.0", WebPubSubClient], ["client-1.1", WebPubSubClient11]]) {
    const a = makeClient(Client, `${name}-a`);
    const b = makeClient(Client, `${name}-b`);
    await a.start();
    await b.start();
    await a.joinGroup("g");
    await b.sendToGroup("g", `hello from ${name}`, "text");
    await service.sendToAll(`broadcast to ${name}`, { contentType: "text/plain" });
    await eventually(() => a.got.length >= 2, `${name} messages`);
    out[name] = a.got.slice().sort();
    a.stop();
    b.stop();
  }
  out.userExists = await service.userExists("client-1.1-a");
  return out;
}

function describe(e) {
  return { code: e?.code ?? e?.cause?.code ?? null, message: String(e?.message ?? e) };
}

async function refused() {
  const out = {};
  try {
    await service.sendToAll("x", { contentType: "text/plain" });
    out.rest = { code: "none" };
  } catch (e) {
    out.rest = describe(e);
  }
  // The client gets a URL signed locally (no REST call), so only its WebSocket is refused.
  const url = (await service.getClientAccessToken({ userId: "u" })).url;
  const client = new WebPubSubClient(url);
  const errors = [];
  client.on("stopped", () => errors.push("stopped"));
  try {
    await Promise.race([client.start(), new Promise((_, rej) => setTimeout(() => rej(new Error("start timed out")), 15000))]);
    out.ws = { code: "connected" };
  } catch (e) {
    out.ws = describe(e);
  }
  client.stop();
  return out;
}

async function recover() {
  const port = Number(new URL(connectionString.split(";")[0].slice("Endpoint=".length)).port);
  const proxy = await startProxy(port);
  const receiver = makeClient(WebPubSubClient, "receiver", (u) => u.replace(`:${port}/`, `:${proxy.port}/`));
  const sender = makeClient(WebPubSubClient, "sender");
  let connections = 0;
  receiver.on("connected", () => connections++);
  await receiver.start();
  await receiver.joinGroup("g");
  await sender.start();
  const sent = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20; i++) {
      const m = `m${round}-${i}`;
      sent.push(m);
      await sender.sendToGroup("g", m, "text", { fireAndForget: true });
    }
    if (round < 2) proxy.kill(); // the receiver's socket dies under it; it recovers
  }
  await eventually(() => receiver.got.length >= sent.length, "every message after recovery", 20000);
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
  receiver.stop();
  sender.stop();
  proxy.close();
  return { sent: sent.length, got: receiver.got, inOrder: JSON.stringify(receiver.got) === JSON.stringify(sent), connections };
}

const scenarios = { sdk, refused, recover };
try {
  const result = await scenarios[scenario]();
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e?.stack ?? e) }) + "\n");
  process.exit(1);
}
