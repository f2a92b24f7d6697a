// The admission Service of the sandbox (what kube-proxy does for a ClusterIP): accepts TCP on one host port and
// forwards each connection to one of the admission pods' ports, round robin, skipping a pod that refuses (exited,
// restarting, not serving yet). TLS passes through untouched: the apiserver verifies the pods' own certificate.
//
// It runs as its own process, never inside the test runner or `npm start`: a proxy in a process that also makes
// synchronous calls (jest's execFileSync("kubectl")) stops forwarding while the call runs, so a `kubectl apply`
// that triggers a webhook would wait on itself until the webhook timeout and the apiserver fails open.
//   node serviceProxy.cjs <listen-port> <backend-port>[,<backend-port>...]
"use strict";
const net = require("net");
const [listenPort, backendList] = process.argv.slice(2);
const backends = (backendList || "").split(",").filter(Boolean).map(Number);
if (!Number(listenPort) || backends.length === 0) {
  console.error("usage: serviceProxy.cjs <listen-port> <backend-port>[,<backend-port>...]");
  process.exit(2);
}
let next = 0;
const server = net.createServer((client) => {
  client.on("error", () => undefined);
  client.pause(); // hold the apiserver's bytes until a backend is connected
  const first = next++;
  const tryConnect = (left) => {
    if (left === 0 || client.destroyed) {
      console.error(`no admission pod accepted a connection (ports ${backends.join(",")})`);
      return void client.destroy();
    }
    // Each backend at most once per connection, starting at the round-robin position.
    const target = backends[(first + backends.length - left) % backends.length];
    const upstream = net.connect(target, "127.0.0.1");
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      // Either side closing ends the other (a refused attempt before this must not end the client).
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
    });
    upstream.on("error", () => (connected ? client.destroy() : tryConnect(left - 1)));
  };
  tryConnect(backends.length);
});
server.listen(Number(listenPort), "127.0.0.1", () => console.log(`service proxy :${listenPort} -> ${backends.join(",")}`));
const exit = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref(); // open keep-alive connections do not hold a stop
};
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
