// A TCP proxy for the conformance tests, in a module of its own so that child processes (e.g.
// tls-child.mjs) can use it without the test harness.
import { once } from "node:events";
import net from "node:net";

// A TCP proxy in front of `targetPort`; kill() destroys every proxied connection (both sides),
// which a client sees as a dropped socket (no close frame); cut() also refuses new ones until
// open().
export async function startProxy(targetPort) {
  const pairs = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.resetAndDestroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: server.address().port,
    connections: () => pairs.size,
    kill() {
      for (const p of [...pairs]) { p.client.resetAndDestroy(); p.upstream.destroy(); pairs.delete(p); }
    },
    // kill(), and reset every new connection until open(): a client cut off for a while.
    cut() {
      refusing = true;
      this.kill();
    },
    open() { refusing = false; },
    close: () => new Promise((r) => { for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); } server.close(r); }),
  };
}
