// Response schemas on every route: the shared error body on 4xx/5xx, and the answer's schema
// checked on the way out. The check rejects a success answer its schema does not accept (a 500:
// the schema or the handler is wrong), but sends the handler's value unchanged, so a declared
// schema never silently drops a field a client reads. An error answer is always sent: failing it
// would turn a client's 4xx into a 500 (test/api checks the error bodies against the schema).
import type { FastifySchema, RouteOptions } from 'fastify';
import { ResponseSerializationError, jsonSchemaTransform } from 'fastify-type-provider-zod';
import { safeParse, type $ZodType } from 'zod/v4/core';
import { errorBodySchema } from '../../contracts/system.js';
import { Internal } from '../../kernel/errors.js';
import { fallbackResponses } from './routes/fallback-responses.js';

/** What every route may answer besides its success: `{ error, code }`. */
export const errorResponses = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

/** onRoute hook: adds the error body (and a fallback success schema, see fallback-responses.ts) to every documented route. */
export function addResponseSchemas(route: RouteOptions): void {
  const schema = (route.schema ?? {}) as FastifySchema & { hide?: boolean; response?: Record<string, unknown> };
  if (schema.hide) return;
  const fallback = fallbackResponses[`${route.method as string} ${route.url}`];
  route.schema = { ...schema, response: { ...fallback, ...errorResponses, ...schema.response } };
}

/** Fastify serializer compiler: validates against the zod schema, then serializes the value as it was. */
export const checkedSerializer =
  ({ schema, method, url, httpStatus }: { schema: unknown; method: string; url: string; httpStatus?: string }) =>
  (data: unknown): string => {
    if (httpStatus === undefined || httpStatus.startsWith('2')) {
      const result = safeParse(schema as $ZodType, data);
      if (result.error) throw new ResponseSerializationError(method, url, { cause: result.error });
      // Tests also refuse fields the schema does not declare, so the document is the whole answer.
      const extra = process.env.LLMOS_STRICT_RESPONSES === '1' ? undeclared(data, result.data) : [];
      if (extra.length) throw new Internal(`${method} ${url}: the answer has fields its schema does not declare: ${extra.join(', ')}`);
    }
    return JSON.stringify(data);
  };

/** Paths of the fields in `sent` that zod's parse (which drops undeclared keys) did not keep. */
export function undeclared(sent: unknown, kept: unknown, at = ''): string[] {
  if (Array.isArray(sent) && Array.isArray(kept)) return sent.flatMap((v, i) => undeclared(v, kept[i], `${at}[${i}]`));
  if (!sent || typeof sent !== 'object' || !kept || typeof kept !== 'object' || Array.isArray(sent)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(sent)) {
    if (v === undefined) continue;
    if (!(k in kept)) out.push(`${at}.${k}`);
    else out.push(...undeclared(v, (kept as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return out;
}

/** The OpenAPI transform: zod to JSON schema, and 204 as an answer without content (OpenAPI has no null body). */
export const openapiTransform: typeof jsonSchemaTransform = (input) => {
  const out = jsonSchemaTransform(input);
  const schema = out.schema as { response?: Record<string, unknown>; produces?: string[] } | undefined;
  const response = schema?.response;
  if (response?.['204']) response['204'] = { type: 'null', description: 'No Content' };
  // A route that answers another media type (Prometheus text, a file) still answers errors in JSON.
  if (response && schema?.produces?.length) {
    for (const [code, s] of Object.entries(response)) response[code] = { content: { [/^2/.test(code) ? schema.produces[0]! : 'application/json']: { schema: s } } };
    delete schema.produces;
  }
  return out;
};
