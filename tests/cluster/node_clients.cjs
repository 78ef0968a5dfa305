// COUNT official socket.io-client clients, as a Node script or a phone app connects: default
// transports (long-polling first, then the upgrade to WebSocket) and no cookie jar.
//   node tests/cluster/node_clients.cjs URL COUNT TIMEOUT_MS SYMBOL[,SYMBOL...]
// Each client subscribes on connect. Prints one JSON line when every client has connected,
// upgraded and received a batch_update over WebSocket, or at the timeout; then closes them all.
"use strict";

const path = require("node:path");

const { io } = require(
  path.join(__dirname, "..", "..", "web", "node_modules", "socket.io-client"),
);

const [url, countArg, timeoutArg, symbolsArg] = process.argv.slice(2);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);
const symbols = symbolsArg.split(",");
const started = Date.now();
const errors = [];

function note(message) {
  if (errors.length < 20) errors.push(message);
}

function client() {
  const state = {
    connects: 0,
    disconnects: 0,
    connectErrors: 0,
    upgraded: false,
    batchOverWebSocket: false,
    sid: "",
  };
  // forceNew: one Engine.IO connection per client, not one shared by all sockets to this URL.
  const socket = io(url, { forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
  socket.io.on("open", () => {
    socket.io.engine.on("upgrade", (transport) => {
      if (transport.name === "websocket") state.upgraded = true;
    });
  });
  socket.on("connect", () => {
    state.connects += 1;
    state.sid = socket.io.engine.id;
    socket.emit("subscribe", { symbols });
  });
  socket.on("disconnect", (reason) => {
    state.disconnects += 1;
    note(`disconnect: ${reason}`);
  });
  socket.on("connect_error", (err) => {
    state.connectErrors += 1;
    note(`connect_error: ${err.message}`);
  });
  socket.on("batch_update", () => {
    if (socket.io.engine.transport.name === "websocket") state.batchOverWebSocket = true;
  });
  return { socket, state };
}

function done({ socket, state }) {
  return (
    socket.connected &&
    state.upgraded &&
    socket.io.engine.transport.name === "websocket" &&
    state.batchOverWebSocket
  );
}

function summary(clients) {
  const states = clients.map((c) => c.state);
  const routes = {};
  for (const { sid } of states) {
    if (!sid) continue;
    const route = sid.includes(".") ? sid.slice(0, sid.indexOf(".")) : "";
    routes[route] = (routes[route] || 0) + 1;
  }
  const sum = (key) => states.reduce((n, s) => n + s[key], 0);
  return {
    clients: clients.length,
    connected: clients.filter((c) => c.socket.connected).length,
    upgraded: states.filter((s) => s.upgraded).length,
    batch_over_websocket: states.filter((s) => s.batchOverWebSocket).length,
    done: clients.filter(done).length,
    connects: sum("connects"),
    disconnects: sum("disconnects"),
    connect_errors: sum("connectErrors"),
    routes,
    errors,
    elapsed_ms: Date.now() - started,
  };
}

const clients = Array.from({ length: count }, client);
const timer = setInterval(() => {
  if (clients.every(done) || Date.now() - started > timeoutMs) {
    clearInterval(timer);
    const line = JSON.stringify(summary(clients));
    for (const { socket } of clients) socket.close();
    process.stdout.write(`${line}\n`, () => process.exit(0));
  }
}, 50);
