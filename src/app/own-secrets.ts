/**
 * The server's own secrets, as paths to protect at start (collectors/protected-files.ts): the token file (its path
 * as the loader read it: relative to the config file when the config file named it, and as given otherwise; both
 * are protected, since which one applied is not recorded in Config), the config file itself, and the audit log with
 * its rotations. The config schema has no OAuth client secret file (hostlens is a resource server only).
 */
import { dirname, resolve } from 'node:path';
import type { Config } from './config-schema.js';
import { defaultAuditPath } from '../http/audit.js';

export function ownSecretPaths(config: Config, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): { files: string[]; families: string[] } {
  const files: string[] = [];
  if (configFile) files.push(resolve(configFile));
  if (config.authTokenFile) {
    files.push(resolve(config.authTokenFile));
    if (configFile) files.push(resolve(dirname(configFile), config.authTokenFile));
  }
  // Unset = on at the default path when auth is on: protected whether or not it is written, so it is never readable.
  const audit = config.auditLog.path === null ? null : (config.auditLog.path ?? defaultAuditPath(env));
  return { files, families: audit ? [audit] : [] };
}
