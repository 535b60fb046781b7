// The module's own MQTT client (the broker's superuser): subscribes with QoS 1 to every device's
// reported twin, telemetry and status topics, and publishes desired state retained. mqtt.js
// reconnects by itself and resubscribes; on every (re)connect the module republishes the desired
// state it holds, because a restarted broker has lost its retained messages.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export type Channel = 'reported' | 'telemetry' | 'status';
export type OnMessage = (device: string, channel: Channel, payload: Buffer) => void;

const SUBS = ['devices/+/twin/reported', 'devices/+/telemetry', 'devices/+/status'];

export function parseTopic(topic: string): { device: string; channel: Channel } | undefined {
  const p = topic.split('/');
  if (p[0] !== 'devices' || !p[1]) return undefined;
  if (p.length === 4 && p[2] === 'twin' && p[3] === 'reported') return { device: p[1], channel: 'reported' };
  if (p.length === 3 && p[2] === 'telemetry') return { device: p[1], channel: 'telemetry' };
  if (p.length === 3 && p[2] === 'status') return { device: p[1], channel: 'status' };
  return undefined;
}

export class Link {
  private client?: MqttClient;
  connected = false;
  received = 0;

  constructor(
    private readonly url: string,
    private readonly auth: { username?: string; password?: string },
    private readonly onMessage: OnMessage,
    private readonly onConnect: () => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const mqtt = (await import('mqtt')).default;
    const c = mqtt.connect(this.url, {
      ...this.auth,
      clientId: `llmos-iot-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      protocolVersion: 5,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      clean: true,
      resubscribe: true,
    });
    this.client = c;
    c.on('connect', () => {
      this.connected = true;
      c.subscribe(SUBS, { qos: 1 }, (err) => {
        if (err) this.log.error(`iot: cannot subscribe to the device topics: ${err.message}`);
        else this.onConnect();
      });
    });
    c.on('close', () => (this.connected = false));
    c.on('error', (e) => this.log.warn(`iot: broker ${this.url}: ${e.message}`));
    c.on('message', (topic, payload) => {
      this.received++;
      const t = parseTopic(topic);
      if (t) this.onMessage(t.device, t.channel, payload);
    });
    // Boot waits for the first connection, briefly: a broker that is away is reconnected to later.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, 5000);
      c.once('connect', done);
    });
  }

  /** Publishes (QoS 1); resolves when the broker acknowledged, or at once when offline (mqtt.js queues it). */
  publish(topic: string, payload: string, opts: { retain?: boolean } = {}): Promise<void> {
    const c = this.client;
    if (!c) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (!c.connected) {
        c.publish(topic, payload, { qos: 1, retain: !!opts.retain });
        resolve();
        return;
      }
      c.publish(topic, payload, { qos: 1, retain: !!opts.retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true);
  }
}
