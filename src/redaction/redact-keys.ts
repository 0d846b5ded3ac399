/**
 * Which key names hold secrets, and which values are not secrets whatever
 * their key. Key names are split into words (on `_`, `-`, `.` and camelCase
 * humps), so `DB_PASSWORD`, `x-api-key`, `clientSecret` and `dbpassword`
 * match while `author`, `bypass` and `passwordless_users_count` do not.
 *
 * Rules (documented in README "Redaction"):
 *  - a key is secret when one of its words is a secret word (password,
 *    passwd, passphrase, pass, pwd, secret(s), token(s), apikey, credential(s),
 *    auth, authorization, session, sessionid, cookie, …), or a word ends with
 *    password/passwd/secret/token/apikey (`dbpassword`, `accesstoken`), or is
 *    `key` after api/access/secret/private/signing/… (`api_key`, `AWS_SECRET_ACCESS_KEY`);
 *  - but not when its LAST word names a setting about the secret rather than
 *    the secret itself (length, min, max, timeout, file, path, dir, size,
 *    count, ttl, type, mode, name, url, enabled, …): `password_min_length=8`,
 *    `token_bucket_size=100`, `password_file=/run/x` stay;
 *  - a value is not a secret when it is a boolean/none word, an already
 *    masked value, a variable reference (`$X`, `${X}`, `%(x)s`, `{{ x }}`),
 *    a path under a variable (`$dir/private/cakey.pem`), or an absolute path
 *    (`PWD=/home/x`);
 *  - a space-separated `--flag value` needs a strong word (password, secret,
 *    token, pass, pw, pin, credentials, cookie, …); the weak words `auth` and
 *    a lone `key` (`--auth X`, `--key X`) need a credential-looking value, so
 *    `--auth-local peer`, `--key 2` and `--key server.key` stay.
 */

const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'passphrase', 'pass', 'pwd', 'secret', 'secrets', 'token', 'tokens',
  'apikey', 'credential', 'credentials', 'auth', 'authorization', 'session', 'sessionid', 'cookie', 'cookies',
  'requirepass', 'masterauth', 'psk', 'bearer', 'privatekey', 'accesskey', 'secretkey', 'passcode',
  'pw', 'pin', 'passkey', 'storepass', 'keypass', 'srcstorepass', 'deststorepass', 'srckeypass', 'destkeypass',
]);
/** Secret words strong enough to mark a space-separated `directive value` config line. */
const STRONG_WORDS = new Set([
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'requirepass', 'masterauth', 'privatekey', 'secretkey', 'accesskey', 'psk',
  'storepass', 'keypass',
]);
/** Secret words for a `--flag value` (space-separated) pair: not `auth` (`--auth-local peer`) or `session`. */
const FLAG_WORDS = new Set([...STRONG_WORDS, 'pass', 'pwd', 'pw', 'pin', 'passcode', 'passkey', 'passwords', 'secrets', 'tokens', 'credential', 'credentials', 'cookie', 'cookies', 'bearer']);
const SECRET_ENDINGS = ['password', 'passwd', 'secret', 'token', 'apikey'];
const KEY_PREFIXES = new Set(['api', 'access', 'secret', 'private', 'signing', 'encryption', 'master', 'client', 'auth', 'license', 'account', 'storage', 'shared', 'app', 'consumer', 'x']);
const SAFE_LAST = new Set([
  'length', 'len', 'min', 'max', 'minlen', 'maxlen', 'minlength', 'maxlength', 'timeout', 'file', 'files', 'path', 'dir', 'size',
  'count', 'ttl', 'age', 'expiry', 'expires', 'lifetime', 'type', 'mode', 'name', 'url', 'uri', 'endpoint', 'enabled', 'enable',
  'disable', 'disabled', 'required', 'algorithm', 'algo', 'method', 'policy', 'header', 'retries', 'interval', 'limit', 'format',
  'strength', 'level', 'location', 'prompt', 'user', 'username', 'bucket', 'rotation', 'scope', 'scopes', 'issuer', 'audience',
  'authentication', 'version', 'env', 'command', 'cmd', 'provider', 'store', 'backend', 'plugin', 'module', 'hint',
  'sec', 'secs', 'seconds', 'usec', 'ms', 'mins', 'minutes', 'hours', 'days', 'local', 'host', 'port',
  'encryption', 'scheme', 'cipher', 'role', 'config', 'conf', 'configuration', 'address', 'addr', 'socket',
  'priority', 'attempts', 'tries',
]);

/** The words of a key name, lower-cased: `X-Api-Key` → [x, api, key], `dbPassword` → [db, password]. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Every secret word contains one of these: keys without any are rejected before splitting. */
const QUICK = /pass|pw|pin|secret|token|key|auth|credential|session|cookie|bearer|psk/i;

function classify(key: string, words: ReadonlySet<string>, endings: readonly string[]): boolean {
  if (!QUICK.test(key)) return false;
  const w = keyWords(key);
  if (w.length === 0) return false;
  if (w.length > 1 && SAFE_LAST.has(w[w.length - 1] ?? '')) return false;
  for (let i = 0; i < w.length; i += 1) {
    const s = w[i] ?? '';
    if (words.has(s)) return true;
    if (s === 'key' && i > 0 && KEY_PREFIXES.has(w[i - 1] ?? '')) return true;
    for (const e of endings) if (s.length > e.length && s.endsWith(e)) return true;
  }
  return false;
}

/** A key whose value is a secret in `key=value`, `key: value`, JSON and `--key value` forms. */
export function isSecretKey(key: string): boolean {
  return classify(key, SECRET_WORDS, SECRET_ENDINGS);
}

/** A `--flag value` whose value is a secret: strong words plus pass, credentials, cookie, bearer. */
export function isSecretFlag(key: string): boolean {
  return classify(key, FLAG_WORDS, SECRET_ENDINGS);
}

/** A key whose only secret word is `pin`: its value is one token (`pin = 1234`), never prose (apt's `Pin: origin x`). */
export function isPinKey(key: string): boolean {
  const w = keyWords(key);
  return w.includes('pin') && !w.some((s) => s !== 'pin' && SECRET_WORDS.has(s));
}

/** A `--auth X` / `--key X` flag: secret only when its value looks like a credential (see the module comment). */
export function isWeakSecretFlag(key: string): boolean {
  const w = keyWords(key);
  return w.length === 1 && (w[0] === 'auth' || w[0] === 'key');
}

/** A directive whose space-separated value is a secret (`requirepass x`, `password x`); not `auth`/`session` (PAM, nginx). */
export function isStrongSecretKey(key: string): boolean {
  return classify(key, STRONG_WORDS, SECRET_ENDINGS);
}

const PLAIN_VALUE = /^(?:true|false|yes|no|on|off|none|null|nil|undefined|empty|required|optional|sufficient|requisite|include|disabled|enabled|infinity|0|1|-|\*+|x+|\.+|…|<[^>]*>|\[REDACTED\])$/i;
const REFERENCE = /^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?\/.*|\$\(.*|\$\{[^}]*\}|%\([^)]*\)s|\{\{.*\}\}|%[A-Za-z_]+%)$/;
const ABS_PATH = /^(?:\/|~\/)[A-Za-z0-9._/@+:-]*$/;

/** nsswitch.conf sources (`passwd: files systemd`) and `/etc/services` ports (`kpasswd 464/tcp`). */
const NSSWITCH = /^(?:(?:files|compat|systemd|sss|ldap|nis|nisplus|db|dns|winbind|mymachines|myhostname|resolve|altfiles|cache|\[[^\]]*\])[ \t]*)+$/;
const SERVICE_PORT = /^\d{1,5}\/(?:tcp|udp|sctp|ddp)$/;

/** A value that is a setting, a reference or a path rather than a secret. */
export function isPlainValue(value: string): boolean {
  return (
    value.length < 3 ||
    PLAIN_VALUE.test(value) ||
    REFERENCE.test(value) ||
    ABS_PATH.test(value) ||
    NSSWITCH.test(value) ||
    SERVICE_PORT.test(value) ||
    (value.includes('|') && value.split('|').every((v) => PLAIN_VALUE.test(v))) ||
    value.includes('[REDACTED]')
  );
}

/** Words that make a file name secret (`db_password`, `api.token`, `client-secret.txt`); not `passwd` (the user list). */
const FILE_WORDS = new Set(['password', 'passwords', 'passphrase', 'pass', 'pwd', 'pw', 'pin', 'secret', 'secrets', 'token', 'tokens', 'apikey', 'credential', 'credentials', 'psk', 'privatekey', 'secretkey', 'accesskey']);
const PUBLIC_EXT = /\.(?:pub|crt|cer|pem|asc|gpg|sig|csr|md|html|txt\.gz|conf|cnf|ini|ya?ml|json|toml|xml|sh|py|rb|js|ts|c|h)$/i;

/**
 * A file whose name says it holds one secret and nothing else (`/run/secrets/db_password`,
 * `/etc/app/api.token`, `…/client_secret`): its callers pass `{ wholeValue: true }` to redact(),
 * so a bare value on a line of its own is redacted although nothing around it names it.
 */
export function isSecretFileName(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === '' || PUBLIC_EXT.test(base)) return false;
  const w = keyWords(base);
  for (let i = 0; i < w.length; i += 1) {
    const s = w[i] ?? '';
    if (FILE_WORDS.has(s) || (s === 'key' && i > 0 && KEY_PREFIXES.has(w[i - 1] ?? ''))) return true;
  }
  return /\.(?:key|token|secret|password)$/i.test(base);
}
