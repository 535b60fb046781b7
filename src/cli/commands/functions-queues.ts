// `llmos fn queue create|ls|inspect|rm|send`: queues (Workers Queues) whose consumer function's
// queue(batch, env, ctx) handler gets the messages; producers are functions deployed with --producer NAME.
import type { Command } from 'commander';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import { wholeNumberFlag } from '../numbers.js';
import { table } from '../output.js';
import type { QueueInfo } from '../../contracts/functions.js';

/** 500ms, 5s, 2m or a bare number of ms. */
const durationMs = (v: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new CliError(`expected a duration such as 500ms, 5s or 2m, got ${v}`);
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1));
};

const describe = (q: QueueInfo): string =>
  `queue ${q.name}: consumer ${q.consumer ?? '(none)'}, batch ${q.batchSize} / ${q.batchTimeoutMs} ms, max retries ${q.maxRetries}${q.deadLetterQueue ? `, dead letters to ${q.deadLetterQueue}` : ''}; backlog ${q.backlog} (${q.inflight} in flight), delivered ${q.delivered}, acked ${q.acked}, retried ${q.retried}, dead-lettered ${q.deadLettered}, dropped ${q.dropped}`;

export function queueCommands(fn: Command, ctx: CliContext): void {
  const queue = fn.command('queue').description('queues: producers send (env.Q.send), a consumer function gets batches (queue handler)');
  queue
    .command('create <name>')
    .description('create a queue')
    .option('--consumer <function>', 'the function whose queue(batch, env, ctx) handler gets the messages')
    .option('--batch-size <n>', 'messages per batch, 1-100 (default 10)', wholeNumberFlag('--batch-size'))
    .option('--batch-timeout <duration>', 'longest wait for a batch to fill, up to 60s (default 5s)', durationMs)
    .option('--max-retries <n>', 'deliveries after the first before dead-lettering, 0-100 (default 3)', wholeNumberFlag('--max-retries'))
    .option('--dead-letter-queue <queue>', 'where messages go after their last retry (else they are dropped)')
    .option('--retry-delay <duration>', 'delay before a retried message comes back (default 0)', durationMs)
    .action(async (name: string, o: Record<string, string | number | undefined>) => {
      const q = await ctx.client().request<QueueInfo>('POST', '/v1/queues', { name, consumer: o.consumer, batchSize: o.batchSize, batchTimeoutMs: o.batchTimeout, maxRetries: o.maxRetries, deadLetterQueue: o.deadLetterQueue, retryDelayMs: o.retryDelay });
      ctx.out(q, () => `queue ${q.name} created`);
    });
  queue
    .command('ls')
    .description('list queues')
    .action(async () => {
      const { queues } = await ctx.client().request<{ queues: QueueInfo[] }>('GET', '/v1/queues');
      ctx.out(queues, () =>
        table(queues, [
          { header: 'NAME', get: (q) => q.name },
          { header: 'CONSUMER', get: (q) => q.consumer ?? '' },
          { header: 'BACKLOG', get: (q) => q.backlog, align: 'right' },
          { header: 'ACKED', get: (q) => q.acked, align: 'right' },
          { header: 'RETRIED', get: (q) => q.retried, align: 'right' },
          { header: 'DEAD', get: (q) => q.deadLettered + q.dropped, align: 'right' },
        ]),
      );
    });
  queue
    .command('inspect <name>')
    .description('settings and counts of a queue')
    .action(async (name: string) => {
      const q = await ctx.client().request<QueueInfo>('GET', `/v1/queues/${encodeURIComponent(name)}`);
      ctx.out(q, () => describe(q));
    });
  queue
    .command('rm <name>')
    .description('remove a queue and its messages')
    .action(async (name: string) => {
      await ctx.client().request('DELETE', `/v1/queues/${encodeURIComponent(name)}`);
      ctx.out({ removed: name }, () => `queue ${name} removed`);
    });
  queue
    .command('send <name> <body...>')
    .description('send messages (each argument one message: JSON, or text with --text)')
    .option('--text', 'send the bodies as text, not JSON')
    .option('--delay <seconds>', 'deliver after this many seconds', wholeNumberFlag('--delay'))
    .action(async (name: string, bodies: string[], o: { text?: boolean; delay?: number }) => {
      const messages = bodies.map((b) => {
        if (o.text) return { body: b, contentType: 'text', delaySeconds: o.delay };
        try {
          return { body: JSON.parse(b) as unknown, contentType: 'json', delaySeconds: o.delay };
        } catch {
          throw new CliError(`message ${b.slice(0, 40)} is not JSON (use --text for text bodies)`);
        }
      });
      const r = await ctx.client().request<{ sent: number }>('POST', `/v1/queues/${encodeURIComponent(name)}/messages`, { messages });
      ctx.out(r, () => `${r.sent} messages sent to queue ${name}`);
    });
}
