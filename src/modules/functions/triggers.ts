// Triggers: a cron schedule (croner) or an MQTT subscription (mqtt.js) that invokes a function.
// A cron firing of an isolate function carries the scheduled method, which the prelude turns into
// a call of its `scheduled(event, env, ctx)` handler (or, without one, a POST to fetch); other
// firings are a POST to the function's root. The outcome goes to the function's logs.
import { Cron } from 'croner';
import type { MqttClient } from 'mqtt';
import type { FunctionLogs } from './logs.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';
import { wholeBody } from './runtime/whole-body.js';
import type { FunctionSpec } from './spec.js';

/**
 * The method of a cron invocation of an isolate function (the prelude's web/handlers.ts runs
 * `scheduled()` for it). Node's HTTP parser only accepts the methods it knows, so no request
 * through the gateway can carry it: a caller cannot run a function's `scheduled()`.
 */
export const SCHEDULED_METHOD = 'LLMOS-SCHEDULED';

type Invoke = (fn: string, req: InvokeRequest) => Promise<InvokeResponse>;

interface Active {
  key: string;
  cron?: Cron;
  mqtt?: MqttClient;
  /** Set while mqtt.js loads, before the client exists. */
  mqttLoading?: boolean;
}

// mqtt.js (CommonJS, with ws and readable-stream) loads with the first MQTT trigger, not at boot:
// most nodes have none, and it is several MiB of the daemon's idle RSS (bench/footprint).
let mqttLib: Promise<typeof import('mqtt').default> | undefined;
const loadMqtt = () => (mqttLib ??= import('mqtt').then((m) => m.default));

/** Identity of a function's trigger config: unchanged key, nothing to restart on redeploy. */
const triggerKey = (s: FunctionSpec): string => JSON.stringify([s.schedule ?? null, s.mqtt ?? null]);

export class Triggers {
  private readonly active = new Map<string, Active>();

  constructor(private readonly invoke: Invoke, private readonly logs: FunctionLogs, private readonly gatewayBase: () => string) {}

  sync(spec: FunctionSpec): void {
    const key = triggerKey(spec);
    if (this.active.get(spec.name)?.key === key) return;
    this.remove(spec.name);
    if (!spec.schedule && !spec.mqtt) return;
    const a: Active = { key };
    const name = spec.name;
    if (spec.schedule) {
      const method = spec.runtime === 'isolate' ? SCHEDULED_METHOD : 'POST';
      a.cron = new Cron(spec.schedule, { protect: true, catch: true }, async (job: Cron) => {
        const at = String(job.currentRun()?.getTime() ?? Date.now());
        await this.fire(name, 'cron', [['x-llmos-trigger', 'cron'], ['x-llmos-schedule', spec.schedule!], ['x-llmos-scheduled-time', at]], null, method);
      });
    }
    if (spec.mqtt) {
      const { url, topic } = spec.mqtt;
      a.mqttLoading = true;
      void loadMqtt().then(
        (mqtt) => {
          if (this.active.get(name) !== a) return; // removed or redeployed while mqtt.js loaded
          const client = mqtt.connect(url, { reconnectPeriod: 1000, connectTimeout: 5000, clientId: `llmos-fn-${name}-${Math.random().toString(16).slice(2, 8)}` });
          client.on('connect', () => {
            client.subscribe(topic, { qos: 1 }, (err) => {
              if (err) this.logs.write(name, 'trigger', 'error', `mqtt: cannot subscribe to ${topic}: ${err.message}`);
              else this.logs.write(name, 'trigger', 'system', `mqtt: subscribed to ${topic} at ${url}`);
            });
          });
          client.on('error', (err) => this.logs.write(name, 'trigger', 'error', `mqtt ${url}: ${err.message}`));
          client.on('message', (t, payload) => {
            void this.fire(name, 'mqtt', [['x-llmos-trigger', 'mqtt'], ['x-mqtt-topic', t], ['content-type', 'application/octet-stream']], payload);
          });
          a.mqtt = client;
          a.mqttLoading = false;
        },
        (e: unknown) => this.logs.write(name, 'trigger', 'error', `mqtt: cannot load mqtt.js: ${(e as Error).message}`),
      );
    }
    this.active.set(name, a);
  }

  private async fire(name: string, kind: string, headers: [string, string][], body: Uint8Array | null, method = 'POST'): Promise<void> {
    try {
      const res = await wholeBody(await this.invoke(name, { method, url: `${this.gatewayBase()}/fn/${name}/`, headers, body }));
      this.logs.write(name, 'trigger', 'system', `${kind} trigger: function answered ${res.status}`);
    } catch (e) {
      this.logs.write(name, 'trigger', 'error', `${kind} trigger: ${(e as Error).message}`);
    }
  }

  remove(name: string): void {
    const a = this.active.get(name);
    if (!a) return;
    this.active.delete(name);
    a.cron?.stop();
    a.mqtt?.end(true);
  }

  stop(): void {
    for (const name of [...this.active.keys()]) this.remove(name);
  }

  describe(name: string): string[] {
    const a = this.active.get(name);
    const out: string[] = [];
    if (a?.cron) out.push(`cron next ${a.cron.nextRun()?.toISOString() ?? '-'}`);
    if (a?.mqtt || a?.mqttLoading) out.push(`mqtt ${a.mqtt?.connected ? 'connected' : 'connecting'}`);
    return out;
  }
}
