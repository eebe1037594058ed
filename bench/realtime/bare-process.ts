/**
 * The baseline: a bare socket.io server that, on `POST /emit {seq}`, emits the node's captured feed item (marker
 * rewritten to `seq`, same byte size) as `userFeeds` to every connected socket. Same socket.io options as the node's
 * realtime server, and an HTTP request per broadcast like the node's, so the two differ only in the node's work.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { type Command, marker, type Reply, settledMemory } from './shared.js';

const send = (r: Reply) => process.send?.(r);
let template: string | null = null;
/** `--by-ids`: address every socket by its own room, as the node does, to tell that cost from the node's others. */
const byIds = process.argv.includes('--by-ids');

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/emit') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let seq: number;
    try {
      seq = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { seq: unknown }).seq);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (template === null || !Number.isInteger(seq)) {
      res.writeHead(409).end();
      return;
    }
    const item = JSON.parse(template.replaceAll(marker(0), marker(seq)));
    if (byIds) io.local.to([...io.of('/').sockets.keys()]).emit('userFeeds', item);
    else io.emit('userFeeds', item);
    res.writeHead(204).end();
  });
});

const io = new Server(http, { serveClient: false, cors: { origin: true }, perMessageDeflate: false });

process.on('message', (m: Command) => {
  if (m.cmd === 'rss') send({ type: 'rss', ...settledMemory(), sockets: io.of('/').sockets.size });
  else if (m.cmd === 'template') template = m.json;
  else if (m.cmd === 'stop') shutdown();
});
process.on('disconnect', () => shutdown());

function shutdown() {
  io.disconnectSockets(true);
  io.close();
  process.exit(0);
}

http.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
});
