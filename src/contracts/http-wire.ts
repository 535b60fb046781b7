// How the API's answers look on the wire, read the same way by both of its clients (the CLI's
// ApiClient and the dashboard's api.ts): an error is JSON `{ error, code }` (errors-http.ts), a
// body is JSON or plain text, and live streams are server-sent events. Pure functions: no I/O.

/** What an error answer says: the body's `error` (or `message`), else its text; and its code. */
export function errorAnswer(text: string): { message?: string; code?: string } {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown; code?: unknown } | null;
    if (j && typeof j === 'object') {
      const message = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : text || undefined;
      return { message, code: typeof j.code === 'string' ? j.code : undefined };
    }
  } catch {
    /* plain text */
  }
  return { message: text || undefined };
}

/** A body as JSON when it parses, else its text; undefined when empty. */
export function parseAnswer<T>(text: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as unknown as T;
  }
}

export interface SseEvent {
  event?: string;
  /** The data lines joined with "\n". */
  data: string;
}

/** Server-sent events framing (WHATWG "event stream"): push decoded text, get the complete events. */
export class SseReader {
  private buf = '';

  push(text: string): SseEvent[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) out.push({ event, data: data.join('\n') });
    }
    return out;
  }
}
