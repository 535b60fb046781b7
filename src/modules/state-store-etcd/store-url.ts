// `llmos up --store URL`: which state store the control plane runs on. `sqlite` (or nothing) is the
// embedded store as before; `etcd://h1:2379,h2:2379` an etcd v3 cluster (k3s' --datastore-endpoint).
import { InvalidArgument } from '../../kernel/errors.js';

export type StoreSelection = { backend: 'sqlite' } | { backend: 'etcd'; endpoints: string[] };

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseStoreUrl(url: string | undefined): StoreSelection {
  if (url === undefined || url === '' || url === 'sqlite') return { backend: 'sqlite' };
  const m = /^etcd(s?):\/\/(.+)$/.exec(url);
  if (!m) throw new InvalidArgument(`--store ${JSON.stringify(url)}: expected sqlite or etcd://HOST:PORT[,HOST:PORT...]`);
  const scheme = m[1] ? 'https' : 'http';
  const endpoints = m[2]!.replace(/\/$/, '').split(',').map((h) => {
    const hp = hostPort.exec(h.trim());
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) throw new InvalidArgument(`--store: ${JSON.stringify(h)} is not HOST:PORT`);
    return `${scheme}://${h.trim()}`;
  });
  return { backend: 'etcd', endpoints };
}
