// The host's half of how a request and its answer cross into and out of an isolate. Strings cross
// without a structured clone (measured: cloning a request's 8 header pairs in, and an answer's
// array out, cost more CPU than the handler), so the common request goes in as primitives and a
// whole text answer comes out as one string (web/handlers.ts's textAnswer). Other answers (bytes,
// streams, WebSockets) stay in the isolate under a number, taken with one more call that copies.

/** [status, statusText, headers, body, stream id (0: body is whole), socket id (0: none)]. */
export type Out = [number, string, [string, string][], ArrayBuffer | null, number, number];

/**
 * Headers as `name\nvalue\n...` (web/http.ts unpackHeaders), or undefined if one holds a newline
 * (no HTTP parser lets one through; other callers might): those go as pairs, cloned.
 */
export function packRequestHeaders(pairs: [string, string][]): string | undefined {
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    if (k.includes('\n') || v.includes('\n')) return undefined;
    out += i ? `\n${k}\n${v}` : `${k}\n${v}`;
  }
  return out;
}

export interface TextAnswer {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The body as text (encoded by the caller), or null for none. */
  text: string | null;
}

/** Reads web/handlers.ts's textAnswer: `status\nstatusText\n` + header name and value lines + an empty line + `-` or `=text`. */
export function parseTextAnswer(s: string): TextAnswer {
  let at = 0;
  const line = (): string => {
    const end = s.indexOf('\n', at);
    if (end < 0) throw new Error('malformed answer from the isolate');
    const v = s.slice(at, end);
    at = end + 1;
    return v;
  };
  const status = Number(line());
  const statusText = line();
  const headers: [string, string][] = [];
  for (let name = line(); name !== ''; name = line()) headers.push([name, line()]);
  const mark = s[at];
  if (mark !== '-' && mark !== '=') throw new Error('malformed answer from the isolate');
  return { status, statusText, headers, text: mark === '=' ? s.slice(at + 1) : null };
}
