// bench/iot: (1) registry bulk create: `llmos device create --from-csv` of 10,000 devices (target
// < 10 s); (2) sustained telemetry ingest through the daemon's managed mosquitto into the iot
// module (validated, into series) vs the broker's own rate in the same run: the same publisher
// into a plain mosquitto with a subscriber that does nothing (`mosquitto_sub` when
// mosquitto-clients is installed, else an mqtt.js client). Target: ingest >= 0.5x the broker's own.
// Run: npm run build && node dist/bench/iot/run.js [messages]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startDaemon } from '../../test/support/daemon.js';
import { freePort } from '../../test/support/registry.js';

const N = Number(process.argv[2] ?? 50_000);
const DEVICES = 10_000;
const PUBLISHERS = 4;

/** Publishes n telemetry messages (QoS 0) from one client as fast as the socket takes them. */
async function publish(url: string, auth: { username?: string; password?: string }, topic: string, n: number): Promise<void> {
  const c = await mqtt.connectAsync(url, { ...auth, protocolVersion: 5, reconnectPeriod: 0 });
  for (let i = 0; i < n; i++) {
    const ok = c.publish(topic, JSON.stringify({ temperature: 20 + (i % 100) / 10 }), { qos: 0 });
    if (!ok || i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  await c.endAsync();
}

/** mosquitto_pub -l: one message per stdin line, n lines from one process. */
async function mosquittoPub(port: number, auth: { username?: string; password?: string }, topic: string, n: number): Promise<void> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-l', '-q', '0', ...(auth.username ? ['-u', auth.username, '-P', auth.password ?? ''] : [])];
  const p = spawn('mosquitto_pub', args, { stdio: ['pipe', 'ignore', 'inherit'] });
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ temperature: 20 + (i % 100) / 10 })).join('\n') + '\n';
  p.stdin.end(lines);
  await new Promise<void>((r) => p.once('exit', () => r()));
}

const hasClients = existsSync('/usr/bin/mosquitto_pub') && existsSync('/usr/bin/mosquitto_sub');
type Publisher = 'mqtt.js' | 'mosquitto_pub';

async function brokerBaseline(tmp: string, publisher: Publisher = 'mqtt.js'): Promise<{ rate: number; subscriber: string }> {
  const port = await freePort();
  const conf = path.join(tmp, 'plain.conf');
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\n`);
  const broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const url = `mqtt://127.0.0.1:${port}`;
    const total = N;
    let done: Promise<void>;
    let sub: ChildProcess | undefined;
    let subscriber: string;
    if (existsSync('/usr/bin/mosquitto_sub')) {
      subscriber = 'mosquitto_sub';
      sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'devices/+/telemetry', '-C', String(total), '-q', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
      done = new Promise((r) => sub!.once('exit', () => r()));
      await new Promise((r) => setTimeout(r, 300));
    } else {
      subscriber = 'mqtt.js (mosquitto-clients is not installed)';
      const c = await mqtt.connectAsync(url, { protocolVersion: 5 });
      await c.subscribeAsync('devices/+/telemetry', { qos: 0 });
      let got = 0;
      done = new Promise((r) => c.on('message', () => ++got === total && r()));
      void done.then(() => c.end(true));
    }
    const t0 = performance.now();
    await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => (publisher === 'mosquitto_pub' ? mosquittoPub(port, {}, `devices/p${i}/telemetry`, total / PUBLISHERS) : publish(url, {}, `devices/p${i}/telemetry`, total / PUBLISHERS))));
    await done;
    return { rate: total / ((performance.now() - t0) / 1000), subscriber };
  } finally {
    broker.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-iot-'));
  const dataDir = path.join(tmp, 'data');
  await mkdir(dataDir);
  await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { iot: { port: await freePort(), tls: false } } }));
  const d = await startDaemon({ dataDir });
  try {
    const model = await d.cli(['device', 'models', 'create', 'sensor', '--prop', 'temperature:number:min=-40,max=125']);
    if (model.code) throw new Error(model.stderr);
    const csv = path.join(tmp, 'devices.csv');
    await writeFile(csv, ['name,model,site', ...Array.from({ length: DEVICES }, (_, i) => `s${i},sensor,site${i % 10}`)].join('\n'));
    const t0 = performance.now();
    const r = await d.cli(['device', 'create', '--from-csv', csv]);
    const bulkMs = performance.now() - t0;
    if (r.code) throw new Error(r.stderr);
    console.log(`bulk create: ${DEVICES} devices in ${(bulkMs / 1000).toFixed(2)} s (${Math.round(DEVICES / (bulkMs / 1000))} devices/s, CLI included; target < 10 s)`);

    const creds: Array<{ username: string; password: string; url: string }> = [];
    for (let i = 0; i < PUBLISHERS; i++) creds.push((await d.api<{ username: string; password: string; url: string }>('POST', `/v1/devices/s${i}/credentials`)).body);
    const ingestRate = async (publisher: Publisher): Promise<number> => {
      const before = (await d.api<{ received: number }>('GET', '/v1/iot/broker')).body.received;
      const t1 = performance.now();
      await Promise.all(creds.map((c) => (publisher === 'mosquitto_pub' ? mosquittoPub(Number(new URL(c.url).port), c, `devices/${c.username}/telemetry`, N / PUBLISHERS) : publish(c.url, { username: c.username, password: c.password }, `devices/${c.username}/telemetry`, N / PUBLISHERS))));
      for (;;) {
        const b = (await d.api<{ received: number }>('GET', '/v1/iot/broker')).body.received;
        if (b - before >= N) break;
        if (performance.now() - t1 > 120_000) throw new Error(`only ${b - before} of ${N} messages arrived`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return N / ((performance.now() - t1) / 1000);
    };
    for (const publisher of (hasClients ? ['mqtt.js', 'mosquitto_pub'] : ['mqtt.js']) as Publisher[]) {
      const ingest = await ingestRate(publisher);
      const base = await brokerBaseline(tmp, publisher);
      console.log(`publisher ${publisher}, ${N} messages, ${PUBLISHERS} publishers, QoS 0:`);
      console.log(`  telemetry ingest through LLMOS (validated, into series): ${Math.round(ingest)} msg/s`);
      console.log(`  mosquitto alone (subscriber ${base.subscriber}): ${Math.round(base.rate)} msg/s`);
      console.log(`  ratio: ${(ingest / base.rate).toFixed(2)}x (target >= 0.5x)`);
    }
  } finally {
    await d.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
