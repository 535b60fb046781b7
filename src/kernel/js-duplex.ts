// A socket seen through a plain JS Duplex. node:http2 cannot take over a socket the HTTP/1 parser
// already consumed (the upgraded connection of an agent's tunnel): it aborts in
// Http2Session::OnStreamAfterWrite. Through a JS stream it uses its generic stream path instead.
import { Duplex } from 'node:stream';

export function jsDuplex(sock: NodeJS.ReadWriteStream & { destroy(e?: Error): void }, head?: Buffer): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      sock.write(chunk, (e) => cb(e ?? null));
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(e, cb) {
      sock.destroy();
      cb(e);
    },
  });
  if (head?.length) d.push(head);
  sock.on('data', (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  sock.on('end', () => d.push(null));
  sock.on('error', (e: Error) => d.destroy(e));
  sock.on('close', () => d.destroy());
  return d;
}
