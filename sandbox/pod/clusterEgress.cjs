// The sandbox's route from the apiserver to Services (what kube-proxy gives a real apiserver for a webhook's
// `clientConfig.service`): kube-apiserver's egress selector sends its "cluster" traffic here as HTTP CONNECT
// <clusterIP>:<port>. A target listed in the routes file (JSON {"<clusterIP>:<port>": [<host port>, ...]},
// written by whoever runs that Service's pods on this host, re-read on every CONNECT) goes to one of those host
// ports, round robin, skipping one that refuses; any other target is dialled as it is. TLS passes through: the
// apiserver verifies the pods' own certificate for <service>.<namespace>.svc.
//
// It runs as its own process: a proxy inside a process that makes synchronous calls (jest's execFileSync
// kubectl) stops forwarding while the call runs, and a webhook call would wait on itself. It listens on a unix
// socket: kube-apiserver's TCP egress transport insists on mTLS, its UDS transport does not.
//   node clusterEgress.cjs <socket path> <routes.json>
"use strict";
const fs = require("fs");
const net = require("net");
const [socketPath, routesFile] = process.argv.slice(2);
if (!socketPath || !routesFile) {
  console.error("usage: clusterEgress.cjs <socket path> <routes.json>");
  process.exit(2);
}
const routes = () => {
  try {
    return JSON.parse(fs.readFileSync(routesFile, "utf8"));
  } catch {
    return {};
  }
};
let next = 0;

function connectFirst(targets, onOk, onFail) {
  const tryOne = (left) => {
    if (left === 0) return onFail();
    const [host, port] = targets[next++ % targets.length];
    const up = net.connect(port, host);
    let connected = false;
    up.once("connect", () => {
      connected = true;
      onOk(up);
    });
    up.on("error", () => (connected ? undefined : tryOne(left - 1)));
  };
  tryOne(targets.length);
}

const server = net.createServer((client) => {
  client.on("error", () => undefined);
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (head.length > 8192) client.destroy();
      return;
    }
    client.removeListener("data", onData);
    client.pause();
    const m = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end).toString("latin1"));
    if (!m) return void client.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
    const target = `${m[1]}:${m[2]}`;
    const routed = routes()[target];
    const targets = Array.isArray(routed) && routed.length ? routed.map((p) => ["127.0.0.1", Number(p)]) : [[m[1], Number(m[2])]];
    const rest = head.subarray(end + 4);
    connectFirst(
      targets,
      (up) => {
        client.once("close", () => up.destroy());
        up.once("close", () => client.destroy());
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        if (rest.length) up.write(rest);
        client.pipe(up);
        up.pipe(client);
        client.resume();
      },
      () => {
        console.error(`${new Date().toISOString()} CONNECT ${target}: nothing accepted (${targets.map((t) => t.join(":")).join(",")})`);
        client.end("HTTP/1.1 503 Service Unavailable\r\n\r\n");
      },
    );
  };
  client.on("data", onData);
});
try {
  fs.unlinkSync(socketPath);
} catch {
  /* not there */
}
server.listen(socketPath, () => console.log(`cluster egress proxy on ${socketPath}`));
const exit = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", exit);
process.on("SIGINT", exit);
