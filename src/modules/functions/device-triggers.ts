// Device-rule triggers (issue 21): a function deployed with `--on-device SELECTOR --when EXPR` is
// invoked with {device, model, property, value, time, source} as its JSON body when a device the
// selector matches sends a value that makes EXPR true. Edge-triggered per device: it fires when
// the expression becomes true, not again until it was false in between (an alert, not a flood).
// `env.devices.set(name, {prop: value})` inside the function sets desired state through the iot module.
// On a cluster server the iot module also gets the node copies of the rules (edgeRules), which its
// edge sync delivers to the nodes whose devices they match: edge devices' rules fire there.
import { evalExpr, exprNames, matchSelector, parseExpr, parseSelector, type Expr, type SelectorTerm } from '../../contracts/iot-expr.js';
import { iotKind, type EdgeRule, type IotApi } from '../../contracts/iot.js';
import type { FunctionSpec } from '../../contracts/functions.js';
import { InvalidArgument, Unavailable } from '../../kernel/errors.js';
import type { ModuleLookup } from '../../kernel/module.js';
import type { FunctionLogs } from './logs.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';

interface Rule {
  selector: SelectorTerm[];
  when: Expr;
  names: Set<string>;
  /** Per device: whether the expression was true at its last evaluation. */
  last: Map<string, boolean>;
}

export class DeviceTriggers {
  private readonly rules = new Map<string, Rule>();
  private attached?: IotApi;
  private unsubscribe?: () => void;
  private unprovide?: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly lookup: ModuleLookup,
    private readonly invoke: (fn: string, req: InvokeRequest) => Promise<InvokeResponse>,
    private readonly logs: FunctionLogs,
    private readonly gatewayBase: () => string,
    private readonly edgeRules: () => EdgeRule[],
  ) {
    // The iot module may load, unload or reload after this one: follow it.
    this.timer = setInterval(() => this.attach(), 1000);
    this.timer.unref();
  }

  private iot(): IotApi | undefined {
    return this.lookup.getOptional<IotApi>(iotKind);
  }

  private attach(): void {
    const iot = this.rules.size ? this.iot() : undefined;
    if (iot === this.attached) return;
    this.unsubscribe?.();
    this.unprovide?.();
    this.unprovide = iot?.provideEdgeRules?.(this.edgeRules);
    this.unsubscribe = iot?.subscribe((ev, values, device) => {
      for (const [fn, r] of this.rules) {
        if (!r.names.has(ev.property) || !matchSelector(r.selector, device)) continue;
        const now = evalExpr(r.when, values as Record<string, number | string | boolean>);
        const was = r.last.get(ev.device) ?? false;
        r.last.set(ev.device, now);
        if (now && !was) void this.fire(fn, ev);
      }
    });
    this.attached = iot;
  }

  sync(spec: FunctionSpec): void {
    if (!spec.device) return this.remove(spec.name);
    const old = this.rules.get(spec.name);
    const when = parseExpr(spec.device.when);
    this.rules.set(spec.name, { selector: parseSelector(spec.device.selector), when, names: exprNames(when), last: old && JSON.stringify(old.when) === JSON.stringify(when) ? old.last : new Map() });
    this.attach();
  }

  remove(name: string): void {
    this.rules.delete(name);
    this.attach();
  }

  describe(spec: FunctionSpec): string[] {
    return spec.device ? [`device ${spec.device.selector} when ${spec.device.when}${this.attached ? '' : ' (iot module not loaded)'}`] : [];
  }

  /** `env.devices.set(name, props)` from a function with a device rule. */
  async set(spec: FunctionSpec, args: Record<string, unknown>): Promise<unknown> {
    if (!spec.device) throw new InvalidArgument(`function ${spec.name} has no device rule, so no env.devices`);
    const iot = this.iot();
    if (!iot) throw new Unavailable('the iot module is not loaded');
    const props = args.props;
    if (typeof args.device !== 'string' || !props || typeof props !== 'object') throw new InvalidArgument('env.devices.set(name, {property: value})');
    const d = await iot.setDesired(args.device, props as Record<string, unknown>);
    return { desired: d.desired, version: d.desiredVersion };
  }

  private async fire(fn: string, ev: object): Promise<void> {
    try {
      const body = new TextEncoder().encode(JSON.stringify(ev));
      const res = await this.invoke(fn, { method: 'POST', url: `${this.gatewayBase()}/fn/${fn}/`, headers: [['x-llmos-trigger', 'device'], ['content-type', 'application/json']], body });
      this.logs.write(fn, 'trigger', 'system', `device trigger: function answered ${res.status}`);
    } catch (e) {
      this.logs.write(fn, 'trigger', 'error', `device trigger: ${(e as Error).message}`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.unprovide?.();
    this.unsubscribe = this.unprovide = undefined;
    this.attached = undefined;
  }
}
