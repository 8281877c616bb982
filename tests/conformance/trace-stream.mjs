// A raw client of the live trace's event stream (GET /trace/events, Server-Sent Events), for the
// trace tests: collects every `data:` message as parsed JSON, and the raw text.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { serverBinary, ACCESS_KEY, eventually } from "./harness.mjs";

// `webpubsubd token --trace` for a server on `port`: the page URL with a fresh token.
export function traceUrl(port, key = ACCESS_KEY) {
  return execFileSync(serverBinary, ["token", "--trace", "--access-key", key,
    "--listen", `127.0.0.1:${port}`]).toString().trim();
}

// Opens the event stream of the page at `pageUrl`; resolves once the server greeted it.
export async function openTraceStream(pageUrl) {
  const u = new URL(pageUrl);
  const stream = { events: [], raw: "", response: null, request: null };
  stream.request = http.get(`http://${u.host}/trace/events${u.search}`, (res) => {
    stream.response = res;
    res.setEncoding("utf8");
    let buffered = "";
    res.on("data", (d) => {
      stream.raw += d;
      buffered += d;
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const message = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of message.split("\n")) {
          if (line.startsWith("data: ")) stream.events.push(JSON.parse(line.slice(6)));
        }
      }
    });
  });
  stream.request.on("error", () => {});
  stream.close = () => stream.request.destroy();
  // Resolves to the first event matching every field of `fields` (details: a subset).
  const find = (fields) => stream.events.find((e) => Object.entries(fields).every(([k, v]) =>
    k === "details" ? Object.entries(v).every(([dk, dv]) => e.details?.[dk] === dv) : e[k] === v));
  stream.waitFor = async (fields, timeoutMs = 5000) => {
    await eventually(() => find(fields), timeoutMs, JSON.stringify(fields));
    return find(fields);
  };
  await stream.waitFor({ category: "trace", event: "connected" });
  return stream;
}
