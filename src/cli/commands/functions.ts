// Function and secret commands: fn deploy|ls|inspect|invoke|logs|rm|result, secret create|ls|rm.
import type { Command } from 'commander';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import { wholeNumberFlag } from '../numbers.js';
import { ago, bytes, table } from '../output.js';
import { queueCommands } from './functions-queues.js';
import type { AsyncRecord, FunctionInfo, LogEntry, SecretInfo } from '../../contracts/functions.js';

const CODE_FILE = /\.(m?[jt]s|cjs|cts|json)$/;
const MAX_FILES = 2000;

/** Reads FILE or DIR into {files, entry}: a directory keeps its relative paths; entry is picked by the daemon. */
export async function readCode(p: string): Promise<{ files: Record<string, string>; entry?: string }> {
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new CliError(`--code ${p}: no such file or directory`);
  }
  if (st.isFile()) {
    if (!CODE_FILE.test(p)) throw new CliError(`--code ${p}: expected a .js or .ts file, or a directory`);
    const name = path.basename(p);
    return { files: { [name]: await readFile(p, 'utf8') }, entry: name };
  }
  const files: Record<string, string> = {};
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
      else if (e.isFile() && CODE_FILE.test(e.name) && !e.name.endsWith('.d.ts')) {
        if (Object.keys(files).length >= MAX_FILES) throw new CliError(`--code ${p}: more than ${MAX_FILES} code files`);
        files[r] = await readFile(path.join(dir, e.name), 'utf8');
      }
    }
  };
  await walk(p, '');
  if (!Object.keys(files).length) throw new CliError(`--code ${p}: no .js or .ts files in the directory`);
  return { files };
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

async function readData(data: string | undefined): Promise<Buffer | undefined> {
  if (data === undefined) return undefined;
  if (data === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  if (data.startsWith('@')) {
    try {
      return await readFile(data.slice(1));
    } catch {
      throw new CliError(`--data ${data}: cannot read ${data.slice(1)}`);
    }
  }
  return Buffer.from(data);
}

const fnTable = (fs: FunctionInfo[]): string =>
  table(fs, [
    { header: 'NAME', get: (f) => f.spec.name },
    { header: 'RUNTIME', get: (f) => (f.spec.runtime === 'image' ? `image ${f.spec.image}` : 'isolate') },
    { header: 'INSTANCES', get: (f) => `${f.stats.ready}/${f.spec.min}-${f.spec.max}`, align: 'right' },
    { header: 'INVOCATIONS', get: (f) => f.stats.invocations, align: 'right' },
    { header: 'ERRORS', get: (f) => f.stats.errors, align: 'right' },
    { header: 'COLD', get: (f) => f.stats.coldStarts, align: 'right' },
    { header: 'KEEPALIVE', get: (f) => f.spec.keepAlive },
    // Cluster mode: where its instances run (the server's pool on nodes, and each node's copy).
    ...(fs.some((f) => f.instances.some((i) => i.node)) ? [{ header: 'NODE', get: (f: FunctionInfo) => [...new Set(f.instances.map((i) => i.node ?? 'server'))].sort().join(',') || '-' }] : []),
    { header: 'URL', get: (f) => f.url },
  ]);

export function functionCommands(program: Command, ctx: CliContext): void {
  const fn = program.command('fn').alias('functions').description('serverless functions: deploy code or an image, invoke, logs');

  fn.command('deploy <name>')
    .description('deploy or update a function from code (FILE.js|FILE.ts|DIR) or a container image')
    .option('--code <path>', 'a .js/.ts file or a directory (relative imports are bundled)')
    .option('--image <image>', 'a container image serving HTTP (with --port)')
    .option('--port <port>', 'port the image serves HTTP on', wholeNumberFlag('--port'))
    .option('--memory <size>', 'memory limit per instance, e.g. 64m (default 64m)')
    .option('--timeout <duration>', 'wall-clock limit per request, e.g. 10s (default 10s; then 504)')
    .option('--cpu <duration>', 'CPU-time limit per request, e.g. 500ms (default min(1s, timeout))')
    .option('--concurrency <n>', 'in-flight requests per instance (default 4; images 16)', wholeNumberFlag('--concurrency'))
    .option('--min <n>', 'warm instances kept when idle (default 0: scale to zero)', wholeNumberFlag('--min'))
    .option('--max <n>', 'most instances (default 10)', wholeNumberFlag('--max'))
    .option('--queue <n>', 'requests that may wait for an instance (default 1000; then 429)', wholeNumberFlag('--queue'))
    .option('--queue-wait <duration>', 'longest wait in the queue (default 10s; then 429)')
    .option('--body-limit <size>', 'largest request body (default 6m; then 413)')
    .option('--env <K=V>', 'environment variable for the handler (repeatable)', collect)
    .option('--secret <name>', 'secret given to the handler as env[NAME] (repeatable)', collect)
    .option('--keepalive <policy>', 'keep-alive policy: cost (default), fixed:10m, fixed:30s, hybrid, adaptive')
    .option('--autoscale <policy>', 'attach an autoscaler: concurrency (KPA, on in-flight requests per instance), threshold, predictive or learned')
    .option('--schedule <cron>', 'invoke on a cron schedule, e.g. "*/5 * * * *" (6 fields for seconds)')
    .option('--mqtt-topic <topic>', 'invoke for each MQTT message on this topic (with --mqtt-url)')
    .option('--mqtt-url <url>', 'MQTT broker, e.g. mqtt://127.0.0.1:1883')
    .option('--on-device <selector>', "device rule: devices it watches, e.g. 'model=thermometer' or 'room=lab' (with --when; env.devices.set sets desired state)")
    .option('--when <expr>', "device rule: fire when this becomes true, e.g. 'temperature > 30' (with --on-device)")
    .option('--async-public', 'take async invocations (POST /async/fn/NAME) without the API token')
    .option('--async-ttl <duration>', 'how long async results are kept (default 1h)')
    .option('--async-max <n>', 'async invocations held at once, queued or kept (default 1000; then 429)', wholeNumberFlag('--async-max'))
    .option('--async-max-bytes <size>', 'async request and result bytes held at once (default 64m; then 429)')
    .option('-n, --namespace <ns>', 'namespace: its functions share a function-host process (default "default")')
    .option('--own-host', 'run in a function-host process of its own instead of its namespace\'s')
    .option('--kv <name>', 'KV binding: env[NAME].get/put/delete/list backed by the state store (repeatable)', collect)
    .option('--allow-net <host:port,...>', "private or loopback addresses the handler's fetch may reach (public ones always may; repeatable)", collect)
    .option('--stream-max <size>', 'bytes one streamed response may carry (default 256m)')
    .option('--stream-idle <duration>', 'longest wait for the next chunk of a streamed response (default 30s)')
    .option('--ws-max-sockets <n>', 'WebSockets one instance may hold open (default 32)', wholeNumberFlag('--ws-max-sockets'))
    .option('--ws-max-message <size>', 'largest WebSocket message either way (default 1m; then close 1009)')
    .option('--producer <queue>', 'queue producer binding: env[QUEUE].send/sendBatch (repeatable; see fn queue)', collect)
    .action(async (name: string, o: Record<string, string | number | string[] | undefined>) => {
      const env: Record<string, string> = {};
      for (const kv of (o.env as string[] | undefined) ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new CliError(`--env ${kv}: expected K=V`);
        env[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const body = {
        name,
        image: o.image,
        port: o.port,
        memory: o.memory,
        timeout: o.timeout,
        cpu: o.cpu,
        concurrency: o.concurrency,
        min: o.min,
        max: o.max,
        queue: o.queue,
        queueWait: o.queueWait,
        bodyLimit: o.bodyLimit,
        env: Object.keys(env).length ? env : undefined,
        secrets: o.secret,
        keepAlive: o.keepalive,
        schedule: o.schedule,
        mqttTopic: o.mqttTopic,
        mqttUrl: o.mqttUrl,
        onDevice: o.onDevice,
        when: o.when,
        asyncPublic: o.asyncPublic ? true : undefined,
        asyncTtl: o.asyncTtl,
        asyncMaxRecords: o.asyncMax,
        asyncMaxBytes: o.asyncMaxBytes,
        namespace: o.namespace,
        kv: o.kv,
        producers: o.producer,
        streamMax: o.streamMax,
        streamIdle: o.streamIdle,
        wsMaxSockets: o.wsMaxSockets,
        wsMaxMessage: o.wsMaxMessage,
        ownHost: o.ownHost ? true : undefined,
        allowNet: (o.allowNet as string[] | undefined)?.flatMap((v) => v.split(',').map((x) => x.trim()).filter(Boolean)),
        code: o.code ? await readCode(String(o.code)) : undefined,
      };
      if (!body.code && !body.image) throw new CliError('give --code FILE|DIR or --image IMAGE');
      if (o.autoscale && !['blend', 'concurrency', 'threshold', 'predictive', 'learned'].includes(String(o.autoscale))) throw new CliError(`--autoscale ${o.autoscale}: use blend, concurrency, threshold, predictive or learned`);
      const info = await ctx.client().request<FunctionInfo>('POST', '/v1/functions', body);
      if (o.autoscale) {
        // The target is the per-instance concurrency: KPA's "target concurrency" (its 70% utilisation applies on top).
        const s = info.spec;
        await ctx.client().request('POST', '/v1/autoscalers', { name: s.name, namespace: s.namespace, target: `function/${s.name}`, policy: o.autoscale, min: s.min, max: s.max, metrics: [{ metric: 'concurrency', target: s.concurrency }], periodMs: o.autoscale === 'concurrency' ? 2000 : 15_000, source: 'cli' });
      }
      ctx.out(info, () => `function ${info.spec.name} deployed (version ${info.spec.version}, ${info.spec.runtime}): ${info.url}${o.autoscale ? `, autoscaled by ${o.autoscale}` : ''}`);
    });

  fn.command('ls')
    .description('list functions')
    .action(async () => {
      const { functions } = await ctx.client().request<{ functions: FunctionInfo[] }>('GET', '/v1/functions');
      ctx.out(functions, () => fnTable(functions));
    });

  fn.command('inspect <name>')
    .description('spec, instances, stats and triggers of a function')
    .action(async (name: string) => {
      const f = await ctx.client().request<FunctionInfo>('GET', `/v1/functions/${encodeURIComponent(name)}`);
      ctx.out(f, () => {
        const s = f.spec;
        const rows: Array<[string, unknown]> = [
          ['name', s.name],
          ['runtime', s.runtime === 'image' ? `image ${s.image} port ${s.port}` : `isolate (${f.code?.entry}, ${f.code?.files.length} files, ${bytes(f.code?.bytes)} bundled)`],
          ['version', s.version],
          ['url', f.url],
          ['limits', `memory ${bytes(s.memory)}, timeout ${s.timeoutMs} ms, cpu ${s.cpuMs} ms, body ${bytes(s.bodyLimit)}`],
          ['scaling', `concurrency ${s.concurrency}, min ${s.min}, max ${s.max}, queue ${s.queue} (wait ${s.queueWaitMs} ms), keep-alive ${f.stats.keepAlive}`],
          ['async', `${s.asyncPublic ? 'public' : 'token required'}, ${f.async.records}/${s.asyncMaxRecords} held, ${bytes(f.async.bytes)}/${bytes(s.asyncMaxBytes)}, results kept ${Math.round(s.asyncTtlMs / 1000)} s`],
          ['env', Object.keys(s.env).join(', ') || '-'],
          ['secrets', s.secrets.join(', ') || '-'],
          ['allow-net', s.allowNet?.join(', ') || '-'],
          ['triggers', [s.schedule ? `cron "${s.schedule}"` : '', s.mqtt ? `mqtt ${s.mqtt.topic} @ ${s.mqtt.url}` : '', ...f.triggers].filter(Boolean).join('; ') || '-'],
          ['stats', `${f.stats.invocations} invocations, ${f.stats.errors} errors, ${f.stats.coldStarts} cold starts, ${f.stats.inflight} in flight, ${f.stats.queued} queued`],
          ['last error', f.stats.lastError ?? '-'],
        ];
        const lines = [table(rows, [{ header: 'FIELD', get: (r) => r[0] }, { header: 'VALUE', get: (r) => r[1] }])];
        if (f.instances.length)
          lines.push(
            '',
            table(f.instances, [
              { header: 'INSTANCE', get: (i) => i.id },
              { header: 'STATE', get: (i) => i.state },
              { header: 'INFLIGHT', get: (i) => i.inflight, align: 'right' },
              { header: 'SERVED', get: (i) => i.served, align: 'right' },
              { header: 'STARTED', get: (i) => ago(i.startedAt) },
              { header: 'LAST USED', get: (i) => ago(i.lastUsedAt) },
            ]),
          );
        return lines.join('\n');
      });
    });

  fn.command('invoke <name>')
    .description('call a function and print its response body (exit 1 on a status >= 400)')
    .option('-d, --data <data>', 'request body: a string, @FILE, or - for stdin')
    .option('-X, --method <method>', 'HTTP method (default POST with data, else GET)')
    .option('--path <path>', 'path the function sees', '/')
    .option('-H, --header <K:V>', 'request header (repeatable)', collect)
    .option('-i, --include', 'print the status and headers too')
    .action(async (name: string, o: { data?: string; method?: string; path: string; header?: string[]; include?: boolean }) => {
      const data = await readData(o.data);
      const headers: Record<string, string> = {};
      for (const h of o.header ?? []) {
        const i = h.indexOf(':');
        if (i <= 0) throw new CliError(`--header ${h}: expected K:V`);
        headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      const res = await ctx.client().fetch('POST', `/v1/functions/${encodeURIComponent(name)}/invoke`, { method: o.method ?? (data ? 'POST' : 'GET'), path: o.path, headers, body: data?.toString('base64') });
      const r = (await res.json()) as { status: number; headers: [string, string][]; body: string };
      const body = Buffer.from(r.body, 'base64');
      if (ctx.json()) ctx.out({ status: r.status, headers: Object.fromEntries(r.headers), body: body.toString('utf8') }, () => '');
      else {
        if (o.include) process.stdout.write(`HTTP ${r.status}\n${r.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`);
        process.stdout.write(body);
        if (body.length && body[body.length - 1] !== 10 && process.stdout.isTTY) process.stdout.write('\n');
      }
      if (r.status >= 400) process.exitCode = 1;
    });

  fn.command('logs [name]')
    .description("a function's console output and instance events (all functions without a name)")
    .option('-f, --follow', 'keep streaming')
    .option('--tail <n>', 'how many recent lines', '200')
    .action(async (name: string | undefined, o: { follow?: boolean; tail: string }) => {
      const p = `/v1/functions/${encodeURIComponent(name ?? '-')}/logs?tail=${encodeURIComponent(o.tail)}`;
      const line = (l: LogEntry) => (ctx.json() ? JSON.stringify(l) : `${l.time}  ${name ? '' : `${l.function}  `}${l.instance.padEnd(22)} ${l.level.padEnd(6)} ${l.text}`);
      if (o.follow) {
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        process.once('SIGTERM', () => ac.abort());
        await ctx.client().stream(`${p}&follow=true`, (_e, data) => process.stdout.write(line(data as LogEntry) + '\n'), ac.signal);
        return;
      }
      const { logs } = await ctx.client().request<{ logs: LogEntry[] }>('GET', p);
      ctx.out(logs, () => logs.map(line).join('\n'));
    });

  fn.command('rm <name...>')
    .description('remove functions and their instances')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/functions/${encodeURIComponent(n)}`);
      ctx.out({ removed: names }, () => names.map((n) => `function ${n} removed`).join('\n'));
    });

  fn.command('result <id>')
    .description('status and result of an async invocation (POST /async/fn/NAME on the gateway)')
    .action(async (id: string) => {
      const r = await ctx.client().request<AsyncRecord>('GET', `/v1/function-results/${encodeURIComponent(id)}`);
      ctx.out(r, () => {
        const head = `${r.id}  ${r.function}  ${r.status}  attempts ${r.attempts}${r.nextAttemptAt ? `  next ${r.nextAttemptAt}` : ''}${r.error ? `  (${r.error})` : ''}`;
        if (!r.result) return head;
        const body = r.result.bodyEncoding === 'base64' ? `<${Buffer.from(r.result.body, 'base64').length} bytes of binary>` : r.result.body;
        return `${head}\nHTTP ${r.result.status}\n${body}`;
      });
    });

  queueCommands(fn, ctx);

  const secret = program.command('secret').description('secrets given to functions in env');
  secret
    .command('create <name>')
    .description('create a secret from stdin or --from-literal')
    .option('--from-literal <value>', 'the value (else read from stdin)')
    .option('--update', 'replace an existing secret')
    .action(async (name: string, o: { fromLiteral?: string; update?: boolean }) => {
      let value = o.fromLiteral !== undefined ? Buffer.from(o.fromLiteral) : await readData('-');
      if (o.fromLiteral === undefined) value = Buffer.from(value!.toString('utf8').replace(/\r?\n$/, ''));
      if (!value?.length) throw new CliError('secret value is empty: pipe it on stdin or give --from-literal');
      const s = await ctx.client().request<SecretInfo>('POST', '/v1/secrets', { name, value: value.toString('base64'), update: o.update });
      ctx.out(s, () => `secret ${s.name} ${o.update ? 'saved' : 'created'} (${s.size} bytes)`);
    });
  secret
    .command('ls')
    .description('secret names (values are never shown)')
    .action(async () => {
      const { secrets } = await ctx.client().request<{ secrets: SecretInfo[] }>('GET', '/v1/secrets');
      ctx.out(secrets, () =>
        table(secrets, [
          { header: 'NAME', get: (s) => s.name },
          { header: 'SIZE', get: (s) => s.size, align: 'right' },
          { header: 'UPDATED', get: (s) => ago(s.updatedAt) },
          { header: 'USED BY', get: (s) => s.usedBy },
        ]),
      );
    });
  secret
    .command('rm <name>')
    .description('remove a secret (refused while a function uses it)')
    .action(async (name: string) => {
      await ctx.client().request('DELETE', `/v1/secrets/${encodeURIComponent(name)}`);
      ctx.out({ removed: name }, () => `secret ${name} removed`);
    });
}
