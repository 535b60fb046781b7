// The edge node's copies of the server's device rules (issue 21): each sync answer lists the rules
// whose selector matches a device bound to this node; they are deployed here through this node's
// own functions module (with the server's `origin`, so the functions module's cluster copy pass on
// the server sees them as current), so they fire here, cut off or not, and `env.devices` acts on
// this node's twins. The functions module keeps them in this node's store: an agent restarted
// while the server is away still has them. A copy is redeployed only when its origin, selector or
// expression changed, and removed when the server no longer lists it. A function this node
// deployed itself (no origin) is never touched.
import type { Logger } from 'pino';
import type { DeviceRuleHost, EdgeRule } from '../../contracts/iot.js';
import { errorMessage } from '../../kernel/errors.js';

/** A copy of a server rule: origin set and a device trigger (the cluster copies without a trigger have none). */
const isRuleCopy = (s: { origin?: string; device?: unknown }): boolean => s.origin !== undefined && s.device !== undefined;

export class EdgeRules {
  private readonly warned = new Set<string>();

  constructor(
    private readonly host: () => DeviceRuleHost | undefined,
    private readonly log: Logger,
  ) {}

  private warnOnce(key: string, text: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size > 1000) this.warned.clear();
    this.warned.add(key);
    this.log.warn(text);
  }

  /** Brings this node's rule copies to what the server listed; failures are logged, the sync goes on. */
  async apply(rules: EdgeRule[]): Promise<void> {
    const fns = this.host();
    if (!fns) {
      if (rules.length) this.warnOnce('no-functions', `iot edge: the server has ${rules.length} device rule(s) for this node's devices, but no functions module is loaded here to run them`);
      return;
    }
    const have = new Map(fns.list().map((f) => [f.spec.name, f.spec]));
    const want = new Set<string>();
    for (const r of rules) {
      want.add(r.name);
      const cur = have.get(r.name);
      if (cur && cur.origin === undefined) {
        this.warnOnce(`own ${r.name}`, `iot edge: this node has a function ${r.name} of its own: the server's device rule of that name does not run here`);
        continue;
      }
      if (cur && cur.origin === r.origin && cur.device?.selector === r.onDevice && cur.device?.when === r.when) continue;
      const { code, ...input } = r;
      try {
        await fns.deploy(input, code && { files: code.files, entry: code.entry ?? 'index.js' });
        this.log.info(`iot edge: device rule ${r.name} (${r.onDevice} when ${r.when}) deployed here from the server`);
      } catch (e) {
        this.warnOnce(`${r.name}@${r.origin}`, `iot edge: cannot deploy the server's device rule ${r.name} here: ${errorMessage(e)}`);
      }
    }
    for (const [name, spec] of have) {
      if (want.has(name) || !isRuleCopy(spec)) continue;
      try {
        await fns.remove(name);
        this.log.info(`iot edge: device rule ${name} removed here (the server no longer lists it for this node)`);
      } catch (e) {
        this.warnOnce(`rm ${name}`, `iot edge: cannot remove device rule ${name}: ${errorMessage(e)}`);
      }
    }
  }
}
