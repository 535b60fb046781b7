// Event and EventTarget (event-target-shim), and AbortController/AbortSignal on top of them,
// with AbortSignal.abort/timeout/any and throwIfAborted as in the DOM standard.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Event, EventTarget } from 'event-target-shim';
import { DOMException } from './dom-exception.js';
import { host } from './host.js';

export { Event, EventTarget };

const signalState = new WeakMap<object, { aborted: boolean; reason: unknown }>();
let constructing = false;

export class AbortSignal extends EventTarget<any> {
  onabort: ((e: Event) => void) | null = null;
  constructor() {
    if (!constructing) throw new TypeError('Illegal constructor');
    super();
    signalState.set(this, { aborted: false, reason: undefined });
  }
  get aborted(): boolean {
    return signalState.get(this)!.aborted;
  }
  get reason(): unknown {
    return signalState.get(this)!.reason;
  }
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
  static abort(reason?: unknown): AbortSignal {
    const s = newSignal();
    abortSignal(s, reason);
    return s;
  }
  static timeout(ms: number): AbortSignal {
    const s = newSignal();
    void host.sleep(Math.max(0, Number(ms) || 0)).then(() => abortSignal(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
    return s;
  }
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const s = newSignal();
    const list = [...signals];
    const done = list.find((x) => x.aborted);
    if (done) abortSignal(s, done.reason);
    else for (const x of list) x.addEventListener('abort', () => abortSignal(s, x.reason), { once: true });
    return s;
  }
}
Object.defineProperty(AbortSignal.prototype, Symbol.toStringTag, { value: 'AbortSignal' });

function newSignal(): AbortSignal {
  constructing = true;
  try {
    return new AbortSignal();
  } finally {
    constructing = false;
  }
}

function abortSignal(s: AbortSignal, reason: unknown): void {
  const st = signalState.get(s)!;
  if (st.aborted) return;
  st.aborted = true;
  st.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
  const e = new Event('abort');
  if (typeof s.onabort === 'function') s.onabort.call(s, e);
  s.dispatchEvent(e);
}

export class AbortController {
  readonly #signal = newSignal();
  get signal(): AbortSignal {
    return this.#signal;
  }
  abort(reason?: unknown): void {
    abortSignal(this.#signal, reason);
  }
}
Object.defineProperty(AbortController.prototype, Symbol.toStringTag, { value: 'AbortController' });
