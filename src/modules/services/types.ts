// The services module's store keys and labels; its data model is the services contract.
export type { AutoscalerRecord, ExposureRecord, PortProtocol, ProbeSpec, ReplicaStatus, ReplicaTemplate, RolloutPhase, RolloutRecord, ServicePort, ServiceRecord, ServiceSpec, ServiceStatus } from '../../contracts/services.js';

export const serviceKey = (ns: string, name: string): string => `/services/${ns}/${name}`;
export const exposureKey = (ns: string, name: string): string => `/service-exposures/${ns}/${name}`;
export const autoscalerKey = (ns: string, name: string): string => `/autoscalers/${ns}/${name}`;
export const ownerOf = (name: string): string => `service/${name}`;

export const LABEL_SERVICE = 'llmos.io/service';
export const LABEL_HASH = 'llmos.io/template-hash';

