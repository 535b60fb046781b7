// Manifests -> LLMOS objects. Pure: validates every field with its path, warns about fields
// outside the supported subset, and never touches the store.
import { InvalidArgument } from '../../kernel/errors.js';
import { Fields, nameRule, type FieldIssue } from './fields.js';
import { checkDocuments } from './documents.js';
import { k8sEnv, optional, probe, resources } from './template-fields.js';
import { placementField } from './placement-field.js';
import { llmosToleration, podToleration } from './toleration.js';
import { podNodeAffinity } from './affinity-field.js';
import type { AutoscalerRecord, ExposureRecord, PortProtocol, ReplicaTemplate, ServicePort, ServiceSpec } from './types.js';

export const LLMOS_API = 'llmos.io/v1';

/** progressDeadlineSeconds above a year is a typo, and would overflow timers further in. */
const MAX_DEADLINE_S = 365 * 86_400;

// Text -> documents lives in documents.ts (with its limits); re-exported for the CLI and routes.
export { splitDocuments, MANIFEST_LIMITS } from './documents.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export type ParsedTarget =
  | { type: 'service'; labels: Record<string, string>; spec: ServiceSpec; source: 'Service' | 'Deployment' }
  | { type: 'exposure'; value: ExposureRecord }
  | { type: 'autoscaler'; value: AutoscalerRecord }
  | { type: 'function'; body: Record<string, unknown> };

export interface ParsedObject {
  ref: ObjectRef;
  target: ParsedTarget;
  warnings: FieldIssue[];
}

export interface ParseResult {
  objects: ParsedObject[];
  /** Per document (index into the input), the errors found; empty when all are valid. */
  errors: Array<{ index: number; ref?: Partial<ObjectRef>; issues: FieldIssue[] }>;
}

const metadataIgnored = ['annotations', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];

/** Validates every document; objects are returned only for valid ones, errors name each bad field. */
export function parseDocuments(docs: readonly unknown[]): ParseResult {
  checkDocuments([...docs], 'documents'); // bodies posted as JSON get the same size and depth limits as YAML
  const res: ParseResult = { objects: [], errors: [] };
  docs.forEach((doc, index) => {
    const f = new Fields();
    const ref: Partial<ObjectRef> = {};
    const target = parseOne(doc, f, ref);
    if (f.errors.length || !target) res.errors.push({ index, ref, issues: f.errors.length ? f.errors : [{ path: '', message: 'invalid document' }] });
    else res.objects.push({ ref: ref as ObjectRef, target, warnings: f.warnings });
  });
  // Two documents for the same object would make the outcome depend on their order.
  const seen = new Map<string, number>();
  res.objects.forEach((o, i) => {
    const k = `${o.ref.kind}/${o.ref.namespace}/${o.ref.name}`;
    if (seen.has(k)) res.errors.push({ index: i, ref: o.ref, issues: [{ path: 'metadata.name', message: `duplicate ${o.ref.kind} ${o.ref.name} in the same apply` }] });
    seen.set(k, i);
  });
  return res;
}

/** Throws one InvalidArgument that names every bad field of every bad document. */
export function assertValid(r: ParseResult): ParsedObject[] {
  if (!r.errors.length) return r.objects;
  // Name the first issues only: a generated manifest with thousands of bad fields gets a readable 400.
  const shown = r.errors.slice(0, 20);
  const parts = shown.map((e) => `document ${e.index + 1}${e.ref?.kind ? ` (${e.ref.kind}${e.ref.name ? ` ${e.ref.name}` : ''})` : ''}: ${e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  const more = r.errors.length - shown.length;
  const text = parts.join(' | ');
  throw new InvalidArgument(`invalid manifest: ${text.length > 4000 ? `${text.slice(0, 4000)}...` : text}${more > 0 ? ` | and ${more} more documents with errors` : ''}; nothing was changed`);
}

function parseOne(doc: unknown, f: Fields, ref: Partial<ObjectRef>): ParsedTarget | undefined {
  const o = f.obj(doc, '', ['apiVersion', 'kind', 'metadata', 'spec'], { required: true, ignored: ['status'] });
  if (!o) return;
  const apiVersion = f.str(o.apiVersion, 'apiVersion', { required: true });
  const kind = f.str(o.kind, 'kind', { required: true });
  if (!apiVersion || !kind) return;
  ref.apiVersion = apiVersion;
  ref.kind = kind;
  const meta = f.obj(o.metadata, 'metadata', ['name', 'namespace', 'labels'], { required: true, ignored: metadataIgnored });
  const name = f.str(meta?.name, 'metadata.name', { required: true, ...nameRule });
  const namespace = f.str(meta?.namespace, 'metadata.namespace', nameRule) ?? 'default';
  const labels = f.stringMap(meta?.labels, 'metadata.labels') ?? {};
  if (name) ref.name = name;
  ref.namespace = namespace;
  const key = `${apiVersion} ${kind}`;
  switch (key) {
    case `${LLMOS_API} Service`:
      return llmosService(o.spec, f, labels);
    case `${LLMOS_API} Function`: {
      const spec = f.obj(o.spec, 'spec', [], { required: true, ignored: Object.keys((o.spec as object) ?? {}) });
      return spec ? { type: 'function', body: { name, namespace, labels, ...spec } } : undefined;
    }
    case 'apps/v1 Deployment':
      return deployment(o.spec, f, labels);
    case 'v1 Service':
      return name ? k8sService(o.spec, f, name, namespace) : undefined;
    case 'autoscaling/v2 HorizontalPodAutoscaler':
      return name ? hpa(o.spec, f, name, namespace) : undefined;
    default:
      f.error('kind', `${kind} (${apiVersion}) is not supported: use llmos.io/v1 Service or Function, apps/v1 Deployment, v1 Service, autoscaling/v2 HorizontalPodAutoscaler`);
      return;
  }
}

// ---- LLMOS Service -------------------------------------------------------------------------

const llmosSpecKeys = ['replicas', 'image', 'command', 'args', 'env', 'ports', 'resources', 'readinessProbe', 'livenessProbe', 'autoscale', 'progressDeadlineSeconds', 'labels', 'placement', 'tolerateUnreachable'];

function llmosService(v: unknown, f: Fields, labels: Record<string, string>): ParsedTarget | undefined {
  const s = f.obj(v, 'spec', llmosSpecKeys, { required: true });
  if (!s) return;
  const image = f.str(s.image, 'spec.image', { required: true });
  const replicas = f.int(s.replicas, 'spec.replicas', { min: 0, max: 1000 }) ?? 1;
  const ports = llmosPorts(s.ports, f);
  const fieldEnv: Record<string, string> = {};
  const env = Array.isArray(s.env) ? k8sEnv(s.env, f, 'spec.env', fieldEnv) : f.stringMap(s.env, 'spec.env');
  const template: ReplicaTemplate = {
    image: image ?? '',
    ...optional('command', f.strings(s.command, 'spec.command')),
    ...optional('args', f.strings(s.args, 'spec.args')),
    env: env ?? {},
    ...(Object.keys(fieldEnv).length ? { fieldEnv } : {}),
    ...resources(s.resources, f, 'spec.resources'),
    ...optional('readinessProbe', probe(s.readinessProbe, f, 'spec.readinessProbe', ports, 'readiness')),
    ...optional('livenessProbe', probe(s.livenessProbe, f, 'spec.livenessProbe', ports, 'liveness')),
    labels: f.stringMap(s.labels, 'spec.labels') ?? {},
  };
  const autoscale = bounds(s.autoscale, f, 'spec.autoscale');
  const progressDeadlineSeconds = f.int(s.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', { min: 1, max: MAX_DEADLINE_S }) ?? 120;
  const placement = placementField(s.placement, f, 'spec.placement');
  return { type: 'service', labels, source: 'Service', spec: { replicas, template, ports, ...optional('autoscale', autoscale), progressDeadlineSeconds, ...optional('placement', placement), ...optional('tolerateUnreachable', llmosToleration(s.tolerateUnreachable, f, 'spec.tolerateUnreachable')) } };
}

function llmosPorts(v: unknown, f: Fields): ServicePort[] {
  const out: ServicePort[] = [];
  f.arr(v, 'spec.ports')?.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const o = f.obj(p, path, ['name', 'containerPort', 'hostPort', 'protocol'], { required: true });
    if (!o) return;
    const containerPort = f.int(o.containerPort, `${path}.containerPort`, { required: true, min: 1, max: 65535 });
    const hostPort = f.int(o.hostPort, `${path}.hostPort`, { min: 1, max: 65535 });
    const protocol = (f.str(o.protocol, `${path}.protocol`, { oneOf: ['http', 'tcp'] }) ?? 'http') as PortProtocol;
    const name = f.str(o.name, `${path}.name`);
    if (containerPort) out.push({ ...optional('name', name), containerPort, ...optional('hostPort', hostPort), protocol });
  });
  checkHostPortsUnique(out, f, 'spec.ports');
  return out;
}

function bounds(v: unknown, f: Fields, path: string): { min: number; max: number } | undefined {
  const a = f.obj(v, path, ['min', 'max']);
  if (!a) return;
  const min = f.int(a.min, `${path}.min`, { required: true, min: 0, max: 1000 });
  const max = f.int(a.max, `${path}.max`, { required: true, min: 1, max: 1000 });
  if (min === undefined || max === undefined) return;
  if (min > max) return f.error(`${path}.min`, `must not exceed max (${min} > ${max})`);
  return { min, max };
}

// ---- Kubernetes apps/v1 Deployment ------------------------------------------------------------

function deployment(v: unknown, f: Fields, labels: Record<string, string>): ParsedTarget | undefined {
  const s = f.obj(v, 'spec', ['replicas', 'selector', 'template', 'progressDeadlineSeconds'], { required: true });
  if (!s) return;
  const replicas = f.int(s.replicas, 'spec.replicas', { min: 0, max: 1000 }) ?? 1;
  const sel = f.obj(s.selector, 'spec.selector', ['matchLabels'], { required: true });
  const matchLabels = f.stringMap(sel?.matchLabels, 'spec.selector.matchLabels');
  if (sel && !matchLabels) f.error('spec.selector.matchLabels', 'required (matchExpressions is not supported)');
  const t = f.obj(s.template, 'spec.template', ['metadata', 'spec'], { required: true });
  const tmeta = f.obj(t?.metadata, 'spec.template.metadata', ['labels'], { ignored: ['annotations', 'creationTimestamp', 'name'] });
  const podLabels = f.stringMap(tmeta?.labels, 'spec.template.metadata.labels') ?? {};
  for (const [k, want] of Object.entries(matchLabels ?? {}))
    if (podLabels[k] !== want) f.error(`spec.template.metadata.labels["${k}"]`, `must be "${want}" to match spec.selector.matchLabels`);
  const pod = f.obj(t?.spec, 'spec.template.spec', ['containers', 'tolerations', 'affinity', 'nodeSelector'], { required: !!t });
  const containers = f.arr(pod?.containers, 'spec.template.spec.containers', { required: !!pod, min: 1, max: 1 });
  const c = f.obj(containers?.[0], 'spec.template.spec.containers[0]', ['name', 'image', 'command', 'args', 'env', 'ports', 'resources', 'readinessProbe', 'livenessProbe', 'imagePullPolicy'], { required: !!containers });
  if (!c) return;
  const cp = 'spec.template.spec.containers[0]';
  f.str(c.name, `${cp}.name`);
  f.str(c.imagePullPolicy, `${cp}.imagePullPolicy`, { oneOf: ['Always', 'IfNotPresent', 'Never'] });
  const image = f.str(c.image, `${cp}.image`, { required: true });
  const ports: ServicePort[] = [];
  const fieldEnv: Record<string, string> = {};
  f.arr(c.ports, `${cp}.ports`)?.forEach((p, i) => {
    const path = `${cp}.ports[${i}]`;
    const o = f.obj(p, path, ['name', 'containerPort', 'hostPort', 'protocol']);
    if (!o) return;
    const containerPort = f.int(o.containerPort, `${path}.containerPort`, { required: true, min: 1, max: 65535 });
    const hostPort = f.int(o.hostPort, `${path}.hostPort`, { min: 1, max: 65535 });
    f.str(o.protocol, `${path}.protocol`, { oneOf: ['TCP'] });
    const name = f.str(o.name, `${path}.name`);
    // A container port that Kubernetes publishes on the node (hostPort) is published on the service's balancer.
    if (containerPort) ports.push({ ...optional('name', name), containerPort, ...optional('hostPort', hostPort), protocol: name?.startsWith('http') || hostPort ? 'http' : 'tcp' });
  });
  checkHostPortsUnique(ports, f, `${cp}.ports`);
  const template: ReplicaTemplate = {
    image: image ?? '',
    ...optional('command', f.strings(c.command, `${cp}.command`)),
    ...optional('args', f.strings(c.args, `${cp}.args`)),
    env: k8sEnv(c.env, f, `${cp}.env`, fieldEnv) ?? {},
    ...(Object.keys(fieldEnv).length ? { fieldEnv } : {}),
    ...resources(c.resources, f, `${cp}.resources`),
    ...optional('readinessProbe', probe(c.readinessProbe, f, `${cp}.readinessProbe`, ports, 'readiness', 10)),
    ...optional('livenessProbe', probe(c.livenessProbe, f, `${cp}.livenessProbe`, ports, 'liveness', 10)),
    labels: podLabels,
  };
  const progressDeadlineSeconds = f.int(s.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', { min: 1, max: MAX_DEADLINE_S }) ?? 600;
  return { type: 'service', labels, source: 'Deployment', spec: { replicas, template, ports, progressDeadlineSeconds, ...optional('tolerateUnreachable', podToleration(pod?.tolerations, f, 'spec.template.spec.tolerations')), ...optional('nodeAffinity', podNodeAffinity(pod, f, 'spec.template.spec')) } };
}

function checkHostPortsUnique(ports: ServicePort[], f: Fields, path: string): void {
  const seen = new Set<number>();
  ports.forEach((p, i) => {
    if (p.hostPort === undefined) return;
    if (seen.has(p.hostPort)) f.error(`${path}[${i}].hostPort`, `${p.hostPort} is used twice`);
    seen.add(p.hostPort);
  });
}

// ---- Kubernetes v1 Service ----------------------------------------------------------------

/** NodePorts LLMOS hands out when a NodePort Service names none (Kubernetes' default range). */
export const NODE_PORT_RANGE = [30000, 32767] as const;

function k8sService(v: unknown, f: Fields, name: string, namespace: string): ParsedTarget | undefined {
  const s = f.obj(v, 'spec', ['type', 'selector', 'ports', 'clusterIP', 'sessionAffinity'], { required: true, ignored: ['clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'externalTrafficPolicy', 'sessionAffinityConfig'] });
  if (!s) return;
  const type = (f.str(s.type, 'spec.type', { oneOf: ['ClusterIP', 'NodePort', 'LoadBalancer'] }) ?? 'ClusterIP') as ExposureRecord['type'];
  const selector = f.stringMap(s.selector, 'spec.selector');
  if (!selector || !Object.keys(selector).length) f.error('spec.selector', 'required: LLMOS publishes the services whose labels match it');
  // LLMOS allocates the ClusterIP itself (stable for the service's life); only None (headless) is honoured.
  const clusterIP = f.str(s.clusterIP, 'spec.clusterIP');
  const headless = clusterIP === 'None';
  if (clusterIP !== undefined && !headless && clusterIP !== '') f.warn('spec.clusterIP', `LLMOS allocates ClusterIPs itself; ${clusterIP} is not used`);
  if (headless && type !== 'ClusterIP') f.error('spec.clusterIP', 'None (headless) needs type ClusterIP');
  const sessionAffinity = f.str(s.sessionAffinity, 'spec.sessionAffinity', { oneOf: ['None', 'ClientIP'] }) as ExposureRecord['sessionAffinity'];
  const ports: ExposureRecord['ports'] = [];
  f.arr(s.ports, 'spec.ports', { required: true, min: 1 })?.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const o = f.obj(p, path, ['name', 'port', 'targetPort', 'nodePort', 'protocol', 'appProtocol']);
    if (!o) return;
    const port = f.int(o.port, `${path}.port`, { required: true, min: 1, max: 65535 });
    const nodePort = f.int(o.nodePort, `${path}.nodePort`, { min: 1, max: 65535 });
    if (nodePort !== undefined && type === 'ClusterIP') f.error(`${path}.nodePort`, 'is only allowed with type NodePort or LoadBalancer');
    f.str(o.protocol, `${path}.protocol`, { oneOf: ['TCP'] });
    const pname = f.str(o.name, `${path}.name`);
    const appProtocol = f.str(o.appProtocol, `${path}.appProtocol`);
    let targetPort: number | string | undefined;
    if (typeof o.targetPort === 'string' && !/^\d+$/.test(o.targetPort)) targetPort = o.targetPort;
    else targetPort = f.int(typeof o.targetPort === 'string' ? Number(o.targetPort) : o.targetPort, `${path}.targetPort`, { min: 1, max: 65535 }) ?? port;
    const hostPort = type === 'LoadBalancer' ? port : type === 'NodePort' ? nodePort : undefined;
    const http = /^(https?|kubernetes\.io\/h2c|http2?)$/i.test(appProtocol ?? '') || /^http/.test(pname ?? '');
    if (port && targetPort !== undefined) ports.push({ ...optional('name', pname), port, ...optional('hostPort', hostPort), targetPort, protocol: http ? 'http' : 'tcp' });
  });
  return { type: 'exposure', value: { name, namespace, type, selector: selector ?? {}, ports, ...(headless ? { headless } : {}), ...optional('sessionAffinity', sessionAffinity) } };
}

// ---- Kubernetes autoscaling/v2 HorizontalPodAutoscaler ---------------------------------------

function hpa(v: unknown, f: Fields, name: string, namespace: string): ParsedTarget | undefined {
  const s = f.obj(v, 'spec', ['scaleTargetRef', 'minReplicas', 'maxReplicas', 'metrics'], { required: true });
  if (!s) return;
  const ref = f.obj(s.scaleTargetRef, 'spec.scaleTargetRef', ['apiVersion', 'kind', 'name'], { required: true });
  f.str(ref?.kind, 'spec.scaleTargetRef.kind', { required: true, oneOf: ['Deployment', 'Service'] });
  const target = f.str(ref?.name, 'spec.scaleTargetRef.name', { required: true, ...nameRule });
  const min = f.int(s.minReplicas, 'spec.minReplicas', { min: 0, max: 1000 }) ?? 1;
  const max = f.int(s.maxReplicas, 'spec.maxReplicas', { required: true, min: 1, max: 1000 });
  if (max !== undefined && min > max) f.error('spec.minReplicas', `must not exceed maxReplicas (${min} > ${max})`);
  const metrics: AutoscalerRecord['metrics'] = [];
  f.arr(s.metrics, 'spec.metrics')?.forEach((m, i) => {
    const path = `spec.metrics[${i}]`;
    const o = f.obj(m, path, ['type', 'resource', 'pods']);
    const type = f.str(o?.type, `${path}.type`, { required: true });
    // A metric LLMOS cannot read is skipped with a warning: the rest of the autoscaler (and the apply) stands.
    if (type !== undefined && type !== 'Resource' && type !== 'Pods') return f.warn(`${path}.type`, `${type} metrics are not supported (Resource cpu/memory, Pods rps/concurrency are); this metric is ignored`);
    if (type === 'Resource' && o?.resource && typeof (o.resource as { name?: unknown }).name === 'string' && !['cpu', 'memory'].includes((o.resource as { name: string }).name))
      return f.warn(`${path}.resource.name`, `resource metric ${(o.resource as { name: string }).name} is not supported (cpu, memory are); this metric is ignored`);
    if (type === 'Pods' && typeof (o?.pods as { metric?: { name?: unknown } } | undefined)?.metric?.name === 'string' && !['rps', 'concurrency'].includes((o!.pods as { metric: { name: string } }).metric.name))
      return f.warn(`${path}.pods.metric.name`, `pods metric ${(o!.pods as { metric: { name: string } }).metric.name} is not known to LLMOS (rps, concurrency are); this metric is ignored`);
    if (type === 'Resource') {
      const r = f.obj(o?.resource, `${path}.resource`, ['name', 'target'], { required: true });
      const rname = f.str(r?.name, `${path}.resource.name`, { required: true, oneOf: ['cpu', 'memory'] }) as 'cpu' | 'memory' | undefined;
      const t = f.obj(r?.target, `${path}.resource.target`, ['type', 'averageUtilization'], { required: !!r });
      f.str(t?.type, `${path}.resource.target.type`, { required: !!t, oneOf: ['Utilization'] });
      const u = f.int(t?.averageUtilization, `${path}.resource.target.averageUtilization`, { required: !!t, min: 1, max: 10_000 });
      if (rname && u) metrics.push({ name: rname, type: 'Utilization', target: u });
    } else if (type === 'Pods') {
      const p = f.obj(o?.pods, `${path}.pods`, ['metric', 'target'], { required: true });
      const pm = f.obj(p?.metric, `${path}.pods.metric`, ['name'], { required: !!p });
      const mname = f.str(pm?.name, `${path}.pods.metric.name`, { required: !!pm, oneOf: ['rps', 'concurrency'] }) as 'rps' | 'concurrency' | undefined;
      const t = f.obj(p?.target, `${path}.pods.target`, ['type', 'averageValue'], { required: !!p });
      f.str(t?.type, `${path}.pods.target.type`, { required: !!t, oneOf: ['AverageValue'] });
      const raw = t?.averageValue;
      const val = typeof raw === 'string' ? Number(raw) : raw;
      const n = f.num(val, `${path}.pods.target.averageValue`, { min: 0, exclusiveMin: true, max: 1e9 });
      if (t && n === undefined && raw === undefined) f.error(`${path}.pods.target.averageValue`, 'required');
      if (mname && n) metrics.push({ name: mname, type: 'AverageValue', target: n });
    }
  });
  if (!metrics.length && s.metrics === undefined && !f.errors.length) metrics.push({ name: 'cpu', type: 'Utilization', target: 80 }); // Kubernetes' default
  if (!target || max === undefined) return;
  return { type: 'autoscaler', value: { name, namespace, target: `service/${target}`, policy: 'threshold', min, max, metrics, source: 'HorizontalPodAutoscaler' } };
}
