// The agents' watch of the network map (GET /v1/cluster/agent/network/watch): a long-poll. The
// agent sends the version of the map it holds; the server answers as soon as the node's map
// differs from it, or with the same map when waitSeconds pass (the agent then asks again).
import { z } from 'zod';
import { clusterNetworkMapSchema } from './network.js';

export const networkWatchPath = '/v1/cluster/agent/network/watch';

export const networkWatchQuerySchema = z.object({
  /** The version the agent holds ('' or absent: none, answer at once). */
  since: z.string().max(128).optional(),
  /** How long the server may hold the request (default 25 s). */
  waitSeconds: z.coerce.number().int().min(0).max(120).optional(),
});

/** The map and its version (a hash of its content: equal maps, equal versions, on any server). */
export const networkWatchAnswerSchema = z.object({ version: z.string(), map: clusterNetworkMapSchema });
export type NetworkWatchAnswer = z.infer<typeof networkWatchAnswerSchema>;
