// The demo chat's "who is in the room" (examples/chat): the C++ chat upstream gets group
// presence requests crafted as client-protocols-1.1 §2.2 shows them (signed with the server's
// key, posted straight to it, so the test does not depend on the server sending them) and
// broadcasts the room's member list through webpubsubd to a client in the room. Run by CTest
// (chat_presence).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { startServer, hubToml, openWebSocket, ACCESS_KEY } from "../harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const chatUpstream = process.env.CHAT_UPSTREAM ?? path.resolve(here, "../../../build/bin/chat-upstream");

async function startChatUpstream() {
  const child = spawn(chatUpstream, ["--port", "0", "--connection-string", "-"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`chat-upstream exited with ${code}`)));
  });
  return {
    url,
    ready: (cs) => child.stdin.write(cs + "\n"),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code;
    },
  };
}

// POSTs azure.webpubsub.gp.<kind> for `connectionId` of `user` about `group`; the status.
async function presence(upstreamUrl, kind, { connectionId, user, group, body }) {
  const res = await fetch(`${upstreamUrl}/eventhandler/${kind}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "WebHook-Request-Origin": "127.0.0.1",
      "ce-specversion": "1.0",
      "ce-awpsversion": "1.0",
      "ce-type": `azure.webpubsub.gp.${kind}`,
      "ce-source": `/hubs/chat/client/${connectionId}`,
      "ce-id": "3",
      "ce-time": new Date().toISOString(),
      "ce-signature": "sha256=" + crypto.createHmac("sha256", ACCESS_KEY).update(connectionId).digest("hex"),
      "ce-hub": "chat",
      "ce-connectionId": connectionId,
      "ce-eventName": kind,
      "ce-userId": user,
    },
    body: body ?? JSON.stringify({ group }),
  });
  await res.text();
  return res.status;
}

test("the chat upstream tells a room who is in it from group presence events", async () => {
  const upstream = await startChatUpstream();
  // No group_presence_events here: the server's own presence events must not interfere.
  const server = await startServer(hubToml("chat", `${upstream.url}/eventhandler/{event}`));
  upstream.ready(server.connectionString);
  const service = new WebPubSubServiceClient(server.connectionString, "chat", { allowInsecureConnection: true });
  try {
    const { url } = await service.getClientAccessToken();
    const watcher = await openWebSocket(`${url}&name=watcher&room=lobby`, "json.webpubsub.azure.v1");
    const nextPresence = async () => {
      for (;;) {
        const m = JSON.parse((await watcher.nextMessage()).data);
        if (m.type === "message" && m.data?.type === "presence") return m.data;
      }
    };
    const up = (kind, args) => presence(upstream.url, kind, args);

    assert.equal(await up("joined", { connectionId: "a1", user: "alice", group: "lobby" }), 200);
    assert.deepEqual(await nextPresence(), { type: "presence", room: "lobby", members: ["alice"] });
    assert.equal(await up("joined", { connectionId: "b1", user: "bob", group: "lobby" }), 200);
    assert.deepEqual((await nextPresence()).members, ["alice", "bob"]);
    // Another room is not announced here; a second connection of alice changes nothing.
    assert.equal(await up("joined", { connectionId: "c1", user: "carol", group: "attic" }), 200);
    assert.equal(await up("joined", { connectionId: "a2", user: "alice", group: "lobby" }), 200);
    assert.deepEqual((await nextPresence()).members, ["alice", "bob"]);
    assert.equal(await up("left", { connectionId: "a1", user: "alice", group: "lobby" }), 200);
    assert.deepEqual((await nextPresence()).members, ["alice", "bob"], "alice still has a2");
    // A bad body is answered 200 (as Express does) and ignored.
    assert.equal(await up("left", { connectionId: "b1", user: "bob", body: "not json" }), 200);
    assert.equal(await up("left", { connectionId: "a2", user: "alice", group: "lobby" }), 200);
    assert.deepEqual((await nextPresence()).members, ["bob"]);
    assert.equal(await up("left", { connectionId: "b1", user: "bob", group: "lobby" }), 200);
    assert.deepEqual((await nextPresence()).members, []);
    watcher.close(1000);
    await watcher.closed;
  } finally {
    assert.equal(await server.stop(), 0);
    assert.equal(await upstream.stop(), 0);
  }
});
