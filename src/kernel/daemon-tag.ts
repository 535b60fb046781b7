// A short tag naming this daemon's host resources (cgroups /llmos/<tag>/, CNI and iptables names),
// so two daemons with different data dirs on one host never touch each other's. Derived from the
// data dir alone: the containers, network and monitor modules compute the same tag.
import { createHash } from 'node:crypto';
import path from 'node:path';

export const daemonTag = (dataDir: string): string => createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 8);
