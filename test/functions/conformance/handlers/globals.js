/* global DOMException, Event, EventTarget, navigator, performance, queueMicrotask, self -- the web platform of the runtime under test */
// From web-platform-tests webidl/ecmascript-binding/es-exceptions (DOMException), dom/events/,
// hr-time/, html/webappapis/microtask-queuing, timers; the Workers globals a module expects.
import { harness } from './harness.js';

export default {
  async fetch() {
    const { t, eq, ok, result } = harness();
    await t('DOMException name, message, legacy code', () => {
      const e = new DOMException('m', 'NotFoundError');
      eq(e.name, 'NotFoundError');
      eq(e.message, 'm');
      eq(e.code, 8);
      ok(e instanceof Error);
      eq(DOMException.QUOTA_EXCEEDED_ERR, 22);
    });
    await t('DOMException defaults', () => {
      const e = new DOMException();
      eq(e.name, 'Error');
      eq(e.code, 0);
    });
    await t('EventTarget dispatch and once', () => {
      const et = new EventTarget();
      let n = 0;
      et.addEventListener('x', () => n++, { once: true });
      et.dispatchEvent(new Event('x'));
      et.dispatchEvent(new Event('x'));
      eq(n, 1);
    });
    await t('Event properties and preventDefault', () => {
      const et = new EventTarget();
      let target;
      et.addEventListener('y', (e) => { target = e.target; e.preventDefault(); });
      const ev = new Event('y', { cancelable: true });
      eq(et.dispatchEvent(ev), false);
      ok(target === et);
      eq(ev.defaultPrevented, true);
      eq(ev.type, 'y');
    });
    await t('removeEventListener', () => {
      const et = new EventTarget();
      let n = 0;
      const f = () => n++;
      et.addEventListener('z', f);
      et.removeEventListener('z', f);
      et.dispatchEvent(new Event('z'));
      eq(n, 0);
    });
    await t('performance.now is monotonic and timeOrigin a number', () => {
      const a = performance.now();
      const b = performance.now();
      ok(b >= a);
      eq(typeof performance.timeOrigin, 'number');
    });
    await t('navigator.userAgent is a string', () => eq(typeof navigator.userAgent, 'string'));
    await t('queueMicrotask runs before timers', async () => {
      const order = [];
      await new Promise((r) => {
        setTimeout(() => (order.push('timer'), r()), 0);
        queueMicrotask(() => order.push('micro'));
      });
      eq(order.join(), 'micro,timer');
    });
    await t('setTimeout passes arguments; clearTimeout cancels', async () => {
      let cleared = false;
      const id = setTimeout(() => (cleared = true), 1);
      clearTimeout(id);
      const v = await new Promise((r) => setTimeout((a, b) => r(a + b), 2, 'x', 'y'));
      eq(v, 'xy');
      eq(cleared, false);
    });
    await t('setInterval repeats until cleared', async () => {
      let n = 0;
      await new Promise((r) => {
        const id = setInterval(() => {
          if (++n === 3) {
            clearInterval(id);
            r();
          }
        }, 1);
      });
      eq(n, 3);
    });
    await t('globalThis and self', () => ok(self === globalThis));
    await t('the WinterTC globals exist', () => {
      for (const k of ['AbortController', 'AbortSignal', 'Blob', 'ByteLengthQueuingStrategy', 'CompressionStream', 'CountQueuingStrategy', 'Crypto', 'CryptoKey', 'DecompressionStream', 'DOMException', 'Event', 'EventTarget', 'File', 'FormData', 'Headers', 'ReadableStream', 'Request', 'Response', 'SubtleCrypto', 'TextDecoder', 'TextDecoderStream', 'TextEncoder', 'TextEncoderStream', 'TransformStream', 'URL', 'URLSearchParams', 'WritableStream', 'atob', 'btoa', 'console', 'crypto', 'fetch', 'navigator', 'performance', 'queueMicrotask', 'reportError', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'structuredClone']) {
        if (!(k in globalThis)) throw new Error(`missing ${k}`);
      }
    });
    return result();
  },
};
