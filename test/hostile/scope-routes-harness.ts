/**
 * A product server over real HTTP (in process, port 0) on a copy of the busy
 * fixture host with two planted markers: a command line (pid 4242, among the
 * top processes of every sweep) and an allow-listed config file (its path
 * and its content), plus one static token per scope combination. The
 * markers are not secrets, so the redactor keeps them: a principal holding
 * the scope must see them, which is what makes "never seen without the
 * scope" a test that can fail.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productCatalogue } from '../../src/catalogue/index.js';
import { SCOPES, TOOLSETS } from '../../src/contracts/scopes.js';
import type { Scope } from '../../src/contracts/scopes.js';
import { createHttpApp } from '../../src/http/app.js';
import type { HttpApp } from '../../src/http/app.js';
import { createAuthenticator } from '../../src/http/auth/authenticate.js';
import { scopeIndex } from '../../src/catalogue/scope-index.js';
import { sha256Hex } from '../../src/http/auth/static-tokens.js';
import { createProductFactory } from '../../src/app/product-factory.js';
import { createSnapshotStore } from '../../src/snapshots/store.js';
import { createLogger } from '../../src/util/log.js';
import { FIXTURE_HOSTS, servicesAt } from '../fixtures/fixture-services.js';
import { initializeBody, LEGACY_VERSIONS, legacyHeaders, modernMeta, postModern, readMessages } from '../http/helpers.js';
import type { JsonRpcMessage } from '../http/helpers.js';

export const PID = 4242;
/** In the planted process's argv. */
export const ARGV_MARKERS = ['ScopeMarkArgvQz', 'scope-route-worker'];
/** The planted config file's path component and a value inside it. */
export const CONFIG_MARKERS = ['ScopeMarkConfDir', 'ScopeMarkConfBodyQz'];
export const CONFIG_PATH = '/etc/ScopeMarkConfDir/app.conf';
/** A secret a client sends as a prompt argument: it must never come back. */
export const PROMPT_SECRET = 'PromptPlantedPw7q';

export const BASE: Scope[] = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config'];

/** Every subset of the four data scopes, plus every scope with admin. */
export function scopeCombos(): Scope[][] {
  const out: Scope[][] = [];
  for (let mask = 0; mask < 1 << BASE.length; mask += 1) out.push(BASE.filter((_, i) => (mask & (1 << i)) !== 0));
  out.push([...SCOPES]);
  return out;
}

export const nameOf = (scopes: readonly Scope[]): string => (scopes.length === 0 ? 'none' : scopes.map((s) => s.replace('hostlens:', '')).join('.'));
export const tokenOf = (scopes: readonly Scope[]): string => `tok-${nameOf(scopes)}-0123456789abcdef`;

export interface Harness {
  app: HttpApp;
  url: string;
  root: string;
  close(): Promise<void>;
}

export function plantHost(): string {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-scope-routes-'));
  cpSync(join(FIXTURE_HOSTS, 'busy'), root, { recursive: true, verbatim: true } as never);
  const argv = ['/usr/bin/node', '/opt/app/scope-route-worker.js', `--profile=${ARGV_MARKERS[0]}`, '--port', '8080'];
  writeFileSync(join(root, `proc/${PID}/cmdline`), `${argv.join('\0')}\0`);
  mkdirSync(join(root, 'etc/ScopeMarkConfDir'), { recursive: true });
  writeFileSync(join(root, 'etc/ScopeMarkConfDir/app.conf'), `listen 8080\nprofile ${CONFIG_MARKERS[1]}\n`);
  return root;
}

export async function startHarness(): Promise<Harness> {
  const root = plantHost();
  const services = { ...servicesAt(root), snapshots: createSnapshotStore({ maxCount: 200, maxBytes: 64 * 1024 * 1024 }) };
  const app = createHttpApp({
    factory: createProductFactory({ services, toolsets: [...TOOLSETS] }),
    port: 0,
    authenticator: createAuthenticator({ tokens: scopeCombos().map((scopes) => ({ name: nameOf(scopes), sha256: sha256Hex(tokenOf(scopes)), scopes })) }),
    scopeIndex: scopeIndex(productCatalogue, [...TOOLSETS]),
    logger: createLogger({ level: 'error', write: () => undefined }),
  });
  const { url } = await app.listen();
  return {
    app,
    url,
    root,
    async close() {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One answer: the HTTP status and the whole body text (every message of an SSE reply). */
export interface Answer {
  status: number;
  text: string;
  message: JsonRpcMessage | null;
}

async function answerOf(res: Response): Promise<Answer> {
  if (res.status !== 200) return { status: res.status, text: await res.text(), message: null };
  const messages = await readMessages(res);
  const message = messages.find((m) => 'result' in m || 'error' in m) ?? null;
  return { status: res.status, text: JSON.stringify(messages), message };
}

/** A stateless 2026-07-28 request as the principal holding `scopes`. */
export async function modernCall(url: string, scopes: readonly Scope[], method: string, params: Record<string, unknown> = {}): Promise<Answer> {
  return answerOf(await postModern(url, { method, params: { ...params, _meta: modernMeta() }, headers: { authorization: `Bearer ${tokenOf(scopes)}` } }));
}

/** A 2025-era session opened by the principal holding `scopes`; `call` sends one request in it. */
export async function legacySession(url: string, scopes: readonly Scope[]): Promise<{ sid: string; call(method: string, params?: Record<string, unknown>): Promise<Answer> }> {
  const V = LEGACY_VERSIONS[0];
  const auth = { authorization: `Bearer ${tokenOf(scopes)}` };
  const res = await fetch(url, { method: 'POST', headers: legacyHeaders(V, undefined, auth), body: JSON.stringify(initializeBody(V)) });
  const sid = res.headers.get('mcp-session-id');
  if (res.status !== 200 || !sid) throw new Error(`initialize as ${nameOf(scopes)}: ${res.status}`);
  await readMessages(res);
  const ack = await fetch(url, { method: 'POST', headers: legacyHeaders(V, sid, auth), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await ack.body?.cancel();
  let id = 1;
  return {
    sid,
    call: async (method, params = {}) =>
      answerOf(await fetch(url, { method: 'POST', headers: legacyHeaders(V, sid, auth), body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }) })),
  };
}
