// Logging: JSON lines to <data-dir>/llmos.log, readable lines on the terminal.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { LogFileSink } from './log-sink.js';

export function createLogger(opts: { file?: string; level?: string; terminal?: boolean }): Logger {
  const streams: pino.StreamEntry[] = [];
  if (opts.file) streams.push({ level: 'debug', stream: new LogFileSink(opts.file) });
  if (opts.terminal !== false) streams.push({ level: (opts.level ?? 'info') as pino.Level, stream: pretty({ colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true }) });
  if (streams.length === 0) return pino({ level: 'silent' });
  return pino({ level: 'debug' }, pino.multistream(streams));
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
