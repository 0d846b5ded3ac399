import { HostlensError } from '../contracts/errors.js';
import type { ResourceTemplateDefinition } from '../definitions/types.js';
import type { Services } from '../definitions/host-services.js';
import { checkFilePath } from '../collectors/file-policy.js';
import { configAllowList, configPolicy, readConfig } from '../diagnostics/config-file.js';

/** Well-known config files offered by resources/list and completion when they exist and pass the policy (≤ 50). */
const WELL_KNOWN = [
  '/etc/hostname',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/fstab',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/crontab',
  '/etc/sysctl.conf',
  '/etc/security/limits.conf',
  '/etc/ssh/sshd_config',
  '/etc/systemd/system.conf',
  '/etc/systemd/journald.conf',
  '/etc/logrotate.conf',
  '/etc/nginx/nginx.conf',
  '/etc/apache2/apache2.conf',
  '/etc/docker/daemon.json',
  '/etc/containerd/config.toml',
  '/etc/default/grub',
  '/etc/apt/sources.list',
];

const PREFIX = 'diag://local/config';

function listed(services: Services): string[] {
  const list = configAllowList(services);
  return WELL_KNOWN.filter((p) => !('error' in checkFilePath(services.collectors, p, list, configPolicy(services))));
}

/** diag://local/config/etc/hosts → '/etc/hosts' (percent-decoded once); null when it cannot be decoded. */
function configPathOf(variable: string): string | null {
  try {
    const p = decodeURIComponent(variable);
    return p.startsWith('/') ? p : `/${p}`;
  } catch {
    return null;
  }
}

/** diag://local/config/{+path}: get_config as a resource (JSON, same data). */
export const configTemplate: ResourceTemplateDefinition = {
  name: 'config',
  uriTemplate: `${PREFIX}/{+path}`,
  scope: 'hostlens:config',
  title: 'Config file (redacted)',
  description:
    'An allow-listed config file as get_config returns it (JSON): {path, resolvedPath, sizeBytes (rounded when anything was redacted: sizeExact), mtime, sha256 of the raw bytes only when nothing was redacted, content (secrets replaced by [REDACTED]), lines{from, to, total}, readTruncated, redactions[{line, kind, count}], redactionCount}. The URI carries the host path without its leading slash: diag://local/config/etc/nginx/nginx.conf. Same allow-list (configFiles), built-in deny-list (shadow, private keys, ~/.ssh, /proc/*/environ, the server\'s own secrets) and no-symlink rule as get_config; a refused or missing file is "resource not found" with the reason. resources/list shows a few well-known files that exist here.',
  mimeType: 'application/json',
  ttlMs: 5_000,
  list: (services) =>
    listed(services).map((p) => ({ uri: `${PREFIX}${p}`, name: p, description: `config file ${p} (redacted)` })),
  completeFrom: { path: 'get_config' },
  complete: {
    path: (value, services) => {
      const v = value.replace(/^\/?/, '/');
      return listed(services)
        .filter((p) => p.startsWith(v))
        .map((p) => p.slice(1));
    },
  },
  async read(_uri, variables, services) {
    const path = configPathOf(variables.path ?? '');
    if (path === null) throw new HostlensError('not_found', 'config path is not valid percent-encoding');
    const r = await readConfig(services, path);
    if ('error' in r) throw new HostlensError('not_found', r.error);
    return JSON.stringify(r.warnings.length ? { ...r.data, warnings: r.warnings } : r.data);
  },
};
