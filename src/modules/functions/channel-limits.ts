// The limits of what stays open after a response (streamed bodies, WebSockets), per function:
// deploy options with Workers-like defaults and validated ranges (outside one: refused, not clamped).
import type { FunctionSpec } from '../../contracts/functions.js';
import { int, ms, size } from './spec-parse.js';

export const CHANNEL_DEFAULTS = {
  /** Bytes one streamed response may carry. */
  streamMaxBytes: 256 * 2 ** 20,
  /** Longest wait for a stream's next chunk, ms. */
  streamIdleMs: 30_000,
  /** WebSockets one instance may hold open. */
  wsMaxSockets: 32,
  /** Largest WebSocket message either way. */
  wsMaxMessageBytes: 2 ** 20,
} as const;

export const CHANNEL_LIMITS = {
  streamMaxBytes: [1024, 4 * 2 ** 30],
  streamIdleMs: [100, 15 * 60_000],
  wsMaxSockets: [1, 1024],
  wsMaxMessageBytes: [1024, 32 * 2 ** 20],
} as const;

export type ChannelLimits = Pick<FunctionSpec, keyof typeof CHANNEL_DEFAULTS>;

/** The deploy input's channel options (text or numbers), validated. Pure. */
export function channelLimits(input: { streamMax?: string | number; streamIdle?: string | number; wsMaxSockets?: number; wsMaxMessage?: string | number }): ChannelLimits {
  return {
    streamMaxBytes: size(input.streamMax, CHANNEL_DEFAULTS.streamMaxBytes, CHANNEL_LIMITS.streamMaxBytes, 'stream max'),
    streamIdleMs: ms(input.streamIdle, CHANNEL_DEFAULTS.streamIdleMs, CHANNEL_LIMITS.streamIdleMs, 'stream idle timeout'),
    wsMaxSockets: int(input.wsMaxSockets, CHANNEL_DEFAULTS.wsMaxSockets, CHANNEL_LIMITS.wsMaxSockets, 'WebSockets per instance'),
    wsMaxMessageBytes: size(input.wsMaxMessage, CHANNEL_DEFAULTS.wsMaxMessageBytes, CHANNEL_LIMITS.wsMaxMessageBytes, 'WebSocket message max'),
  };
}

/** Specs stored before these options existed get the defaults. */
export const withChannelDefaults = (s: Partial<ChannelLimits>): ChannelLimits => ({
  streamMaxBytes: s.streamMaxBytes ?? CHANNEL_DEFAULTS.streamMaxBytes,
  streamIdleMs: s.streamIdleMs ?? CHANNEL_DEFAULTS.streamIdleMs,
  wsMaxSockets: s.wsMaxSockets ?? CHANNEL_DEFAULTS.wsMaxSockets,
  wsMaxMessageBytes: s.wsMaxMessageBytes ?? CHANNEL_DEFAULTS.wsMaxMessageBytes,
});
