// What the API needs of the dashboard module (kind llmos.dashboard.v1) to serve the web UI. Types only.

export interface DashboardApi {
  /** Absolute path of the built dashboard (index.html and assets/). */
  readonly assets: string;
  /** URL path the API serves it under. */
  readonly path: string;
}
