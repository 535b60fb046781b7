// The one list of route groups the API serves. Each group looks its module up per request.
import type { KernelHandle } from '../../../kernel/kernel.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { systemRoutes } from './system.js';

export type RouteGroup = (app: Api, kernel: KernelHandle, services: KernelServices) => void;

export const allRoutes: readonly RouteGroup[] = [systemRoutes];
