/**
 * The `store` setting: `memory` (one process) or a Redis URL
 * `redis[s]://[[user]:password@]HOST:PORT[/DB]` (shared by replicas). The
 * URL may carry a password, so it is shown only through redactStoreUrl.
 */

export const DEFAULT_STORE = 'memory';

/** Whether `value` is a store setting hostlens understands (the config schema's check). */
export function isStoreSetting(value: string): boolean {
  if (value === 'memory') return true;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const db = url.pathname.replace(/^\//, '');
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && (db === '' || /^\d{1,2}$/.test(db)) && url.search === '' && url.hash === '';
}

/** `url` with its password replaced by `***` (also when it does not parse), for messages and logs. */
export function redactStoreUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.includes('@') ? url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@]*@/i, '$1***@') : url;
  }
}
