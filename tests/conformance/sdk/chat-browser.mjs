// Browser test of the demo chat (examples/chat): webpubsubd + the C++ chat upstream, two
// headless Chromium pages exchange messages; a screenshot is saved as a test artifact
// ($TEST_ARTIFACTS/chat.png, default build/test-artifacts). Run by CTest (chat_browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer, hubToml } from "../harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const chatUpstream = process.env.CHAT_UPSTREAM ?? path.resolve(here, "../../../build/bin/chat-upstream");
const artifacts = process.env.TEST_ARTIFACTS ?? path.resolve(here, "../../../build/test-artifacts");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

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

async function join(page, url, name) {
  await page.goto(url);
  await page.fill("#name", name);
  await page.click("#join");
  await page.waitForFunction(
    (n) => document.querySelector("#status").textContent.includes(`Connected as ${n}`), name,
    { timeout: 10000 });
}

async function say(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

const messages = (page) => page.$$eval("#messages li", (lis) => lis.map((li) => li.textContent));

async function waitForMessage(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages li")].some((li) => li.textContent === t), text,
    { timeout: 10000 });
}

test("two browser pages chat through webpubsubd and the C++ upstream", async () => {
  const upstream = await startChatUpstream();
  const server = await startServer(hubToml("chat", `${upstream.url}/eventhandler/{event}`));
  upstream.ready(server.connectionString);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "wps-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const alice = await context.newPage();
    const bob = await context.newPage();
    await join(alice, upstream.url, "alice");
    await join(bob, upstream.url, "bob");
    await waitForMessage(alice, "bob joined");

    await say(alice, "hello from alice");
    await waitForMessage(bob, "alice:hello from alice");
    await waitForMessage(alice, "alice:hello from alice");
    await say(bob, "hi alice, bob here");
    await waitForMessage(alice, "bob:hi alice, bob here");

    const seenByAlice = await messages(alice);
    assert.ok(seenByAlice.indexOf("alice:hello from alice") < seenByAlice.indexOf("bob:hi alice, bob here"));
    assert.deepEqual(await messages(bob), ["bob joined", "alice:hello from alice", "bob:hi alice, bob here"]);

    fs.mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, "chat.png");
    await alice.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 1000, "screenshot written");

    await bob.close();
    await waitForMessage(alice, "bob left");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    assert.equal(await server.stop(), 0);
    assert.equal(await upstream.stop(), 0);
  }
});
