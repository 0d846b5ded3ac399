import type { ResourceDefinition } from '../definitions/types.js';

export const thresholdsResource: ResourceDefinition = {
  name: 'thresholds',
  uri: 'diag://thresholds',
  title: 'Active health thresholds',
  description: 'Every threshold the assessments compare with: warning and critical levels, unit, direction (above = higher is worse) and meaning. Defaults can be overridden in the config file.',
  mimeType: 'application/json',
  ttlMs: 300_000,
  read: (services) => JSON.stringify({ thresholds: services.thresholds }, null, 2),
};
