/**
 * diag://local/capabilities: which collectors can work on this host and, for
 * each that cannot, why not — so an agent knows up front that list_services
 * will say "systemd not available" or that search_logs has no journal.
 */
import type { ResourceDefinition } from '../definitions/types.js';
import { readCapabilities } from '../collectors/capabilities.js';

const CAPABILITIES_URI = 'diag://local/capabilities';

export const capabilitiesResource: ResourceDefinition = {
  name: 'local-capabilities',
  uri: CAPABILITIES_URI,
  title: 'What hostlens can read on this host',
  description:
    'Which collectors work here and why not: systemd (is it PID 1? systemctl installed?), journald (journalctl and journal files), cgroup version, PSI, /dev/kmsg readability, a Docker/Podman API socket, and process visibility (can other users\' /proc/<pid>/fd be read). Each entry has available plus a reason when it is not, and the tools it affects. Read it before relying on the logs, services or containers tools.',
  mimeType: 'application/json',
  ttlMs: 60_000,
  read: (services) => JSON.stringify(readCapabilities(services), null, 2),
};
