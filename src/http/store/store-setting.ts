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

/** The URL with any user and password replaced by `***` (for messages and logs); anything unparsable is shown as `<invalid URL>`. */
export function redactStoreUrl(value: string): string {
  if (value === 'memory') return value;
  try {
    const url = new URL(value);
    if (url.username || url.password) {
      url.username = '';
      url.password = '';
      return url.toString().replace('//', '//***@');
    }
    return url.toString();
  } catch {
    return '<invalid URL>';
  }
}
