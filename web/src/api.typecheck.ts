// Compile-time checks of the route types (`tsc -p web` runs in test/dashboard/web-units.test.ts):
// each @ts-expect-error line must fail to compile, or tsc reports the directive as unused.
import type { ApiAnswer, ApiBody, ApiPath } from './api.js';

export const served: ApiPath<'get'>[] = ['/v1/status', '/v1/containers?all=true', '/v1/autoscalers/default/web/decisions?limit=5'];
export const posted: ApiPath<'post'>[] = ['/v1/services/web/scale', '/v1/images/pull'];
// @ts-expect-error: no such route (the simulator page once asked for it)
export const missing: ApiPath<'get'> = '/v1/sim/reports';
// @ts-expect-error: /v1/status is read-only
export const wrongMethod: ApiPath<'post'> = '/v1/status';
// @ts-expect-error: pulling is a POST
export const wrongMethod2: ApiPath<'get'> = '/v1/images/pull';
// (A `{name}` parameter matches any text, slashes included: '/v1/services/web/scale' passes as a
// GET because GET /v1/services/{name} exists. Template literal types cannot say "one segment".)
// Request bodies come from the document too.
export const scale: ApiBody<'/v1/services/{name}/scale', 'post'> = { replicas: 2 };
// @ts-expect-error: replicas is a number
export const badScale: ApiBody<'/v1/services/{name}/scale', 'post'> = { replicas: 'two' };
// Answers come from the document too (each route's response schema).
export const status = (s: ApiAnswer<'/v1/status'>): string => `${s.version} ${s.node.allocatable.cpu} ${s.modules[0]?.state}`;
export const replicas = (s: ApiAnswer<'/v1/services/{name}/scale', 'post'>): number => s.spec.replicas;
// @ts-expect-error: the container list is under `containers`, not `items`
export const wrongField = (r: ApiAnswer<'/v1/containers'>): unknown => r.items;
// @ts-expect-error: a container's state is one of the workload states
export const wrongState: ApiAnswer<'/v1/containers/{id}'>['state'] = 'sleeping';
