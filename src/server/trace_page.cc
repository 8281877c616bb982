#include "server/trace_page.h"

namespace wps::server {
namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>webpubsubd live trace</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { position: sticky; top: 0; background: #f4f6f8; border-bottom: 1px solid #ccd;
         padding: 8px 12px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0 12px 0 0; }
input, select, button { font: inherit; padding: 2px 6px; }
#status { margin-left: auto; }
#status.live { color: #16794c; } #status.down { color: #b3261e; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #fafafa; position: sticky; top: 41px; }
td.details { font-family: ui-monospace, monospace; word-break: break-all; }
tr.connectivity td.cat { color: #1a5fb4; } tr.messaging td.cat { color: #16794c; }
tr.upstream td.cat { color: #9c4f00; } tr.rest td.cat { color: #6b3fa0; }
tr.trace td { color: #b3261e; font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>webpubsubd live trace</h1>
  <input id="f-hub" placeholder="hub">
  <input id="f-conn" placeholder="connection id">
  <input id="f-user" placeholder="user">
  <select id="f-cat">
    <option value="">all categories</option>
    <option>connectivity</option><option>messaging</option>
    <option>upstream</option><option>rest</option>
  </select>
  <button id="pause">Pause</button>
  <button id="clear">Clear</button>
  <span id="status" class="down">connecting…</span>
</header>
<table>
  <thead><tr><th>time</th><th>category</th><th>event</th><th>hub</th><th>connection</th>
    <th>user</th><th>details</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
"use strict";
const MAX_ROWS = 5000;
const rows = document.getElementById("rows");
const statusEl = document.getElementById("status");
const pauseBtn = document.getElementById("pause");
const filters = { hub: "f-hub", connectionId: "f-conn", userId: "f-user", category: "f-cat" };
let paused = false;
let held = [];

function matches(tr) {
  for (const [key, id] of Object.entries(filters)) {
    const want = document.getElementById(id).value.trim().toLowerCase();
    if (want && !(tr.dataset[key] || "").toLowerCase().includes(want)) return false;
  }
  return true;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function detailsOf(ev) {
  if (ev.event === "skipped") return ev.count + " events skipped (the viewer was too slow)";
  const parts = Object.entries(ev.details || {}).map(([k, v]) => k + "=" + v);
  if (ev.payload !== undefined) parts.push("payload=" + ev.payload);
  return parts.join("  ");
}

function addRow(ev) {
  const tr = document.createElement("tr");
  tr.className = ev.category;
  tr.dataset.hub = ev.hub || "";
  tr.dataset.connectionId = ev.connectionId || "";
  tr.dataset.userId = ev.userId || "";
  tr.dataset.category = ev.category;
  const time = ev.time ? new Date(ev.time).toISOString().slice(11, 23) : "";
  cell(tr, time);
  cell(tr, ev.category, "cat");
  cell(tr, ev.event);
  cell(tr, ev.hub || "");
  cell(tr, ev.connectionId || "");
  cell(tr, ev.userId || "");
  cell(tr, detailsOf(ev), "details");
  tr.hidden = !matches(tr);
  rows.appendChild(tr);
  while (rows.children.length > MAX_ROWS) rows.removeChild(rows.firstChild);
}

function onEvent(ev) {
  if (ev.category === "trace" && ev.event === "connected") return;
  if (paused) {
    held.push(ev);
    if (held.length > MAX_ROWS) held.shift();
    pauseBtn.textContent = "Resume (" + held.length + ")";
    return;
  }
  addRow(ev);
}

for (const id of Object.values(filters)) {
  document.getElementById(id).addEventListener("input", () => {
    for (const tr of rows.children) tr.hidden = !matches(tr);
  });
}
pauseBtn.addEventListener("click", () => {
  paused = !paused;
  pauseBtn.textContent = paused ? "Resume (0)" : "Pause";
  if (!paused) { held.forEach(addRow); held = []; }
});
document.getElementById("clear").addEventListener("click", () => {
  rows.replaceChildren();
  held = [];
  if (paused) pauseBtn.textContent = "Resume (0)";
});

const token = new URLSearchParams(location.search).get("access_token") || "";
const eventsUrl = location.pathname.replace(/\/+$/, "") + "/events?access_token=" +
                  encodeURIComponent(token);
const source = new EventSource(eventsUrl);
source.onopen = () => { statusEl.textContent = "live"; statusEl.className = "live"; };
source.onerror = () => { statusEl.textContent = "disconnected (retrying)"; statusEl.className = "down"; };
source.onmessage = (m) => onEvent(JSON.parse(m.data));
</script>
</body>
</html>
)html";

}  // namespace

std::string_view tracePageHtml() {
  return kPage;
}

}  // namespace wps::server
