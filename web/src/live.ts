// The live channel: one EventSource on /v1/events?follow=true for the whole tab. Pages subscribe by
// topic prefix and re-fetch what changed, so nothing needs a reload. EventSource reconnects by itself.
import { eventSourceUrl, type ApiAnswer } from './api.js';

/** An event of the stream: the items GET /v1/events answers (the document's type). */
export type LlmosEvent = ApiAnswer<'/v1/events'>['events'][number];

type Handler = (e: LlmosEvent) => void;

const subscribers = new Set<{ prefix: string; fn: Handler }>();
const statusListeners = new Set<(live: boolean) => void>();
/** The most recent events, newest last, bounded. */
export const recentEvents: LlmosEvent[] = [];
const RECENT_MAX = 500;
let source: EventSource | null = null;
let lastSeq = 0;

export function connect(): void {
  if (source) return;
  source = new EventSource(eventSourceUrl('/v1/events?follow=true&limit=200'));
  source.addEventListener('open', () => statusListeners.forEach((f) => f(true)));
  source.addEventListener('error', () => statusListeners.forEach((f) => f(false)));
  source.addEventListener('event', (m) => {
    const e = JSON.parse((m as MessageEvent<string>).data) as LlmosEvent;
    // A reconnect replays the recent history: skip what was already seen.
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    recentEvents.push(e);
    if (recentEvents.length > RECENT_MAX) recentEvents.splice(0, recentEvents.length - RECENT_MAX);
    for (const s of subscribers) if (e.topic.startsWith(s.prefix)) s.fn(e);
  });
}

export function disconnect(): void {
  source?.close();
  source = null;
}

/** Subscribes to events whose topic starts with prefix; returns the unsubscribe function. */
export function on(prefix: string, fn: Handler): () => void {
  const s = { prefix, fn };
  subscribers.add(s);
  return () => subscribers.delete(s);
}

export function onStatus(fn: (live: boolean) => void): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

/** Calls fn at most once per `ms` however many events arrive (re-fetching on bursts of events). */
export function throttle(fn: () => void, ms = 500): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
