// The operator's files in docs/: the Grafana dashboard and the Prometheus alerting rules
// reference only metrics a real webpubsubd exports, the rules pass `promtool check rules`, and
// the dashboard is well-formed (every panel queries something).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./harness.mjs";

const docs = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs");
const dashboardFile = path.join(docs, "grafana-dashboard.json");
const alertsFile = path.join(docs, "prometheus-alerts.yml");

// Every metric name a scrape offers: the family names of `# TYPE` lines, plus `_bucket`, `_sum`
// and `_count` of histograms.
async function exportedNames() {
  const server = await startServer("", [], { nodes: 1 });
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const names = new Set();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(m[1]);
      if (m[2] === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(m[1] + s);
    }
    return names;
  } finally {
    await server.stop();
  }
}

function referencedNames(text) {
  return new Set([...text.matchAll(/\bwebpubsubd_[a-z0-9_]+/g)].map((m) => m[0]));
}

test("the dashboard and the alerting rules use only metrics webpubsubd exports", async () => {
  const exported = await exportedNames();
  assert.ok(exported.size > 20, `only ${exported.size} metrics exported`);
  for (const file of [dashboardFile, alertsFile]) {
    const used = referencedNames(fs.readFileSync(file, "utf8"));
    assert.ok(used.size > 5, `${file} references only ${used.size} metrics`);
    const unknown = [...used].filter((n) => !exported.has(n));
    assert.deepEqual(unknown, [], `${path.basename(file)} references metrics that do not exist`);
  }
});

test("the dashboard is a well-formed Grafana dashboard", () => {
  const d = JSON.parse(fs.readFileSync(dashboardFile, "utf8"));
  assert.equal(typeof d.title, "string");
  assert.ok(Array.isArray(d.panels) && d.panels.length >= 8);
  const ids = new Set();
  for (const p of d.panels) {
    assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
    ids.add(p.id);
    assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0, p.title);
    assert.ok(p.targets.length > 0 && p.targets.every((t) => t.expr.includes("webpubsubd_")),
      p.title);
  }
});

test("the alerting rules pass promtool check rules", () => {
  const r = spawnSync("promtool", ["check", "rules", alertsFile], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
});
