// IoT routes: device models, devices, credentials, desired state, telemetry and the broker, and
// the DeviceModel / Device part of `POST /v1/apply` (iotApplyPart, called by the apply route).
import { z } from 'zod';
import { brokerInfoSchema, credentialsSchema, deviceCreateSchema, deviceInfoSchema, iotKind, isIotManifest, modelCreateSchema, modelInfoSchema, telemetrySchema, type IotApi } from '../../../contracts/iot.js';
import { parseDuration } from '../../../kernel/quantity.js';
import { InvalidArgument, Unavailable } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { noContent } from './sse.js';

const nameParam = z.object({ name: z.string().min(1) });
const labelsQuery = z.string().max(4096).optional();

function parseLabels(s: string | undefined): Record<string, string> | undefined {
  if (!s) return undefined;
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new InvalidArgument(`label "${part}" is not key=value`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

export function iotRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const iot = () => k.getSingle<IotApi>(iotKind);

  app.get('/v1/device-models', { schema: { summary: 'List device models', response: { 200: z.object({ models: z.array(modelInfoSchema) }) } } }, async () => ({ models: await iot().listModels() }));
  app.post('/v1/device-models', { schema: { summary: 'Create a device model (typed properties with units, ranges and access)', body: z.record(z.string(), z.unknown()), response: { 201: modelInfoSchema } } }, async (req, reply) => {
    const r = modelCreateSchema.safeParse(req.body);
    if (!r.success) throw new InvalidArgument(`device model: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    return reply.code(201).send(await iot().createModel(r.data));
  });
  app.get('/v1/device-models/:name', { schema: { summary: 'One device model', params: nameParam, response: { 200: modelInfoSchema } } }, async (req) => iot().getModel(req.params.name));
  app.delete('/v1/device-models/:name', { schema: { summary: 'Remove a device model (refused while devices use it)', params: nameParam, response: { 204: z.null() } } }, async (req, reply) => {
    await iot().removeModel(req.params.name);
    return noContent(reply);
  });

  app.get('/v1/devices', { schema: { summary: 'List devices with their twins and online state', querystring: z.object({ model: z.string().optional(), labels: labelsQuery }), response: { 200: z.object({ devices: z.array(deviceInfoSchema) }) } } }, async (req) => ({
    devices: await iot().listDevices({ model: req.query.model, labels: parseLabels(req.query.labels) }),
  }));
  app.post('/v1/devices', { schema: { summary: 'Register a device', body: deviceCreateSchema, response: { 201: deviceInfoSchema } } }, async (req, reply) => {
    const [name] = await iot().createDevices([req.body]);
    return reply.code(201).send(await iot().getDevice(name!));
  });
  app.post('/v1/devices/bulk', { bodyLimit: 64 * 2 ** 20, schema: { summary: 'Register many devices at once (all or nothing)', body: z.object({ devices: z.array(z.unknown()).min(1).max(100_000) }), response: { 201: z.object({ created: z.number() }) } } }, async (req, reply) =>
    reply.code(201).send({ created: (await iot().createDevices(req.body.devices)).length }),
  );
  app.get('/v1/devices/:name', { schema: { summary: 'One device: reported, desired, delta, online, lastSeen', params: nameParam, response: { 200: deviceInfoSchema } } }, async (req) => iot().getDevice(req.params.name));
  app.delete('/v1/devices/:name', { schema: { summary: 'Remove a device (its credentials stop working)', params: nameParam, response: { 204: z.null() } } }, async (req, reply) => {
    await iot().removeDevice(req.params.name);
    return noContent(reply);
  });
  app.post(
    '/v1/devices/:name/credentials',
    {
      schema: {
        summary: 'Issue new credentials for the device, shown once: a password, or with type=certificate a client certificate (the previous one of that kind stops working)',
        params: nameParam,
        querystring: z.object({ type: z.enum(['password', 'certificate']).default('password') }),
        response: { 200: credentialsSchema },
      },
    },
    async (req) => iot().rotateCredentials(req.params.name, { certificate: req.query.type === 'certificate' }),
  );
  app.post('/v1/devices/:name/desired', { schema: { summary: 'Set desired state (readwrite properties; published retained on devices/NAME/twin/desired)', params: nameParam, body: z.object({ state: z.record(z.string(), z.unknown()) }), response: { 200: deviceInfoSchema } } }, async (req) =>
    iot().setDesired(req.params.name, req.body.state),
  );
  app.get('/v1/devices/:name/telemetry', { schema: { summary: 'Telemetry series of a device, per property (since: a duration such as 1h)', params: nameParam, querystring: z.object({ since: z.string().max(32).optional() }), response: { 200: telemetrySchema } } }, async (req) => {
    let from = 0;
    if (req.query.since) {
      let ms: number;
      try {
        ms = parseDuration(req.query.since);
      } catch (e) {
        throw new InvalidArgument(`since: ${(e as Error).message}`, { cause: e });
      }
      from = Date.now() - ms;
    }
    return iot().telemetry(req.params.name, { from });
  });
  app.get('/v1/iot/broker', { schema: { summary: 'The MQTT broker the iot module uses, and message counters', response: { 200: brokerInfoSchema } } }, async () => iot().broker());
}

type Outcome = { apiVersion: string; kind: string; name: string; namespace: string; action: 'created' | 'configured' | 'unchanged'; warnings: string[] };

/**
 * The DeviceModel / Device documents of an apply: split off, checked (dry run) before the rest is
 * applied, and applied after it. Undefined `apply` when there are none.
 */
export function iotApplyPart(k: RouteKernel, docs: unknown[], dryRun: boolean): { rest: unknown[]; check(): Promise<void>; apply(): Promise<Outcome[]> } {
  const mine = docs.filter(isIotManifest);
  const rest = docs.filter((d) => !isIotManifest(d));
  const api = () => {
    const a = k.getOptional<IotApi>(iotKind);
    if (!a) throw new Unavailable('kinds DeviceModel and Device need the iot module, which is not loaded; nothing was changed');
    return a;
  };
  const outcomes = (rs: Array<{ kind: string; name: string; action: 'created' | 'updated' | 'unchanged' }>): Outcome[] =>
    rs.map((r) => ({ apiVersion: 'llmos.io/v1', kind: r.kind, name: r.name, namespace: 'default', action: r.action === 'updated' ? 'configured' : r.action, warnings: [] }));
  return {
    rest,
    check: async () => void (mine.length && (await api().apply(mine, { dryRun: true }))),
    apply: async () => (mine.length ? outcomes(await api().apply(mine, { dryRun })) : []),
  };
}
