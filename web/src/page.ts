// What every page gets: its root element and registration of timers, live subscriptions and charts
// that are all torn down when the user leaves the page.
import { ApiError } from './api.js';
import { h, render } from './dom.js';
import * as live from './live.js';

export interface PageCtx {
  root: HTMLElement;
  /** Runs fn now and every ms while the page is shown. */
  every(ms: number, fn: () => unknown): void;
  /** Live events with this topic prefix while the page is shown. */
  on(prefix: string, fn: (e: live.LlmosEvent) => void): void;
  cleanup(fn: () => void): void;
  /** False once the user has left the page (late answers must not render). */
  alive(): boolean;
}

export type Page = (ctx: PageCtx) => void;

export function mountPage(root: HTMLElement, page: Page): () => void {
  const cleanups: (() => void)[] = [];
  let alive = true;
  const ctx: PageCtx = {
    root,
    every(ms, fn) {
      const run = () => void Promise.resolve(fn()).catch((e) => console.warn(e));
      run();
      const t = setInterval(run, ms);
      cleanups.push(() => clearInterval(t));
    },
    on(prefix, fn) {
      cleanups.push(live.on(prefix, fn));
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
    alive: () => alive,
  };
  page(ctx);
  return () => {
    alive = false;
    for (const c of cleanups.splice(0)) c();
  };
}

/**
 * Renders an API failure into a section in place of its content: a module that is not loaded
 * (503) or an API this daemon does not have (404) is a plain notice, not a broken page.
 */
export function failure(el: Element, err: unknown, what: string): void {
  if (err instanceof ApiError && err.unavailable) {
    render(
      el,
      h(
        'div',
        { class: 'notice', 'data-unavailable': what },
        h('strong', null, `${what} unavailable. `),
        err.status === 503 ? `${err.message}. Load the module on the Overview page or with \`llmos modules load\`.` : `This daemon does not serve this API (${err.message}).`,
      ),
    );
    return;
  }
  render(el, h('div', { class: 'notice bad' }, h('strong', null, `Could not load ${what}: `), err instanceof Error ? err.message : String(err)));
}

/** Loads data into a section; failures render as a notice. Returns whether it succeeded. */
export async function load<T>(el: Element, what: string, fetcher: () => Promise<T>, draw: (data: T) => void): Promise<boolean> {
  try {
    draw(await fetcher());
    return true;
  } catch (e) {
    failure(el, e, what);
    return false;
  }
}
