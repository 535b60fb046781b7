// The deploy fields of a device rule (`--on-device SELECTOR --when EXPR`, issue 21), checked with
// the iot contract's parser so a bad rule is a 400 at deploy, not a silent rule that never fires.
import { ExprError, parseExpr, parseSelector } from '../../contracts/iot-expr.js';
import type { DeployInput, FunctionSpec } from '../../contracts/functions.js';
import { InvalidArgument } from '../../kernel/errors.js';

/** The binding behind `env.devices` (a name no KV binding can have: they are identifiers). */
export const DEVICES_BINDING = '@devices';

export function deviceRuleSpec(input: DeployInput): Pick<FunctionSpec, 'device'> {
  if (input.onDevice === undefined && input.when === undefined) return {};
  if (input.onDevice === undefined || input.when === undefined) throw new InvalidArgument('--on-device and --when go together');
  try {
    parseSelector(input.onDevice);
  } catch (e) {
    throw new InvalidArgument(`--on-device ${JSON.stringify(input.onDevice)}: ${(e as Error).message}`);
  }
  try {
    parseExpr(input.when);
  } catch (e) {
    if (e instanceof ExprError) throw new InvalidArgument(`--when ${JSON.stringify(input.when)}: ${e.message}`);
    throw e;
  }
  return { device: { selector: input.onDevice, when: input.when } };
}

/** The KV names of a spec plus the devices binding when it has a device rule. */
export const withDevicesBinding = (kv: string[], rule: Pick<FunctionSpec, 'device'>): string[] => (rule.device ? [...kv, DEVICES_BINDING] : kv);
