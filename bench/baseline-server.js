#!/usr/bin/env node
// The ceiling for one Node process on this machine: a TCP server that answers every line with a
// fixed reply, doing nothing else (no parsing, no framework). Prints the same ready line shape as
// the apps. Usage: node bench/baseline-server.js [port]
'use strict';
const net = require('node:net');

const REPLY = 'OP=GET;IND=1;DATA=0;\n';
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let partial = 0;
  socket.on('data', (chunk) => {
    // Count the line feeds; answer each with the fixed reply, in one write.
    let lines = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    partial = lines === 0 ? partial + chunk.length : 0;
    if (lines > 0) socket.write(lines === 1 ? REPLY : REPLY.repeat(lines));
  });
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`semicache baseline ready protocol=127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
