// Browser test of the live-trace page (GET /trace): headless Chromium opens the URL printed by
// `webpubsubd token --trace` while official SDK clients (@azure/web-pubsub-client), an upstream
// (web-pubsub-express 1.1.0) and REST calls (@azure/web-pubsub) make traffic; a row of every
// category appears, the user filter, pause and clear work. A screenshot is kept as a test
// artifact ($TEST_ARTIFACTS/trace.png, default build/test-artifacts). Run by CTest (trace_browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler } from "web-pubsub-express-1.1";
import { startServer, startUpstream, hubToml, releaseProcess } from "../harness.mjs";
import { traceUrl } from "../trace-stream.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.TEST_ARTIFACTS ?? path.resolve(here, "../../../build/test-artifacts");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

function client(service, userId) {
  return new WebPubSubClient({
    getClientAccessUrl: async () => (await service.getClientAccessToken({
      userId, roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"],
    })).url,
  });
}

// The visible rows as {category, user, event}.
const visibleRows = (page) => page.$$eval("#rows tr", (trs) => trs.filter((tr) => !tr.hidden)
  .map((tr) => ({ category: tr.dataset.category, user: tr.dataset.userId, event: tr.cells[2].textContent })));

async function waitForRow(page, category, userId) {
  await page.waitForFunction(([c, u]) => [...document.querySelectorAll("#rows tr")]
    .some((tr) => tr.dataset.category === c && (!u || tr.dataset.userId === u)), [category, userId],
  { timeout: 10000 });
}

test("the trace page shows every category live and filters by user", async () => {
  const handler = new WebPubSubEventHandler("chat", {
    path: "/up",
    handleConnect: (req, res) => res.success(),
    handleUserEvent: (req, res) => res.success(),
  });
  const upstream = await startUpstream(handler.getMiddleware());
  const server = await startServer(hubToml("chat", upstream.url("/up/{event}")), [], { nodes: 1 });
  const service = new WebPubSubServiceClient(server.connectionString, "chat",
    { allowInsecureConnection: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "wps-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    viewport: { width: 1400, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const ann = client(service, "ann");
  const ben = client(service, "ben");
  try {
    const page = await context.newPage();
    await page.goto(traceUrl(server.port));
    await page.waitForFunction(() => document.querySelector("#status").textContent === "live",
      null, { timeout: 10000 });

    await ann.start();
    await ben.start();
    await ann.joinGroup("room");
    await ann.sendToGroup("room", "hello", "text");
    await ben.sendEvent("ping", "hi", "text", { fireAndForget: false });
    await service.sendToAll("to everyone", { contentType: "text/plain" });
    await waitForRow(page, "connectivity", "ann");
    await waitForRow(page, "messaging", "ann");
    await waitForRow(page, "upstream", "ben");
    await waitForRow(page, "rest");

    fs.mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, "trace.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 1000, "screenshot written");

    await page.fill("#f-user", "ann");
    const annRows = await visibleRows(page);
    assert.ok(annRows.length >= 3, JSON.stringify(annRows));
    assert.ok(annRows.every((r) => r.user === "ann"));
    assert.ok(annRows.some((r) => r.category === "connectivity"));
    assert.ok(annRows.some((r) => r.category === "messaging"));
    await page.selectOption("#f-cat", "messaging");
    assert.ok((await visibleRows(page)).every((r) => r.category === "messaging" && r.user === "ann"));
    await page.fill("#f-user", "");
    await page.selectOption("#f-cat", "");

    await page.click("#pause");
    const before = await page.$$eval("#rows tr", (trs) => trs.length);
    await service.sendToAll("while paused", { contentType: "text/plain" });
    await page.waitForFunction(() => document.querySelector("#pause").textContent !== "Resume (0)",
      null, { timeout: 10000 });
    assert.equal(await page.$$eval("#rows tr", (trs) => trs.length), before, "paused: no new rows");
    await page.click("#pause");
    await page.waitForFunction((n) => document.querySelectorAll("#rows tr").length > n, before,
      { timeout: 10000 });
    await page.click("#clear");
    assert.equal(await page.$$eval("#rows tr", (trs) => trs.length), 0);
  } finally {
    await ann.stop();
    await ben.stop();
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    assert.equal(await server.stop(), 0);
    await upstream.close();
    releaseProcess();
  }
});
