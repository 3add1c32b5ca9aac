// taskwire/dashboard: the operators' web page as one (req, res) handler. Kept off the root export
// so a client or worker never loads it.
export { createDashboardHandler } from './create-dashboard-handler.js';
export type { DashboardHandler, DashboardOptions } from './create-dashboard-handler.js';
export { createMetricsHandler } from './create-metrics-handler.js';
export type { MetricsHandler, MetricsHandlerOptions } from './create-metrics-handler.js';
