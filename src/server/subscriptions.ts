/**
 * Resource subscriptions.
 *
 * - The overview watcher: every `periodMs` it evaluates the host's assessments
 *   (a sampler-based triage, no windowed wait) and reduces them to a map
 *   key → status. When any status differs from the previous evaluation (a key
 *   added or removed counts), it reports the change; a sample where nothing
 *   changed status reports nothing. The production wiring
 *   (`startOverviewWatch`) stores the new triage as diag://local/overview and
 *   publishes "resource updated" for that URI.
 * - Legacy (2025-era) `resources/subscribe` / `resources/unsubscribe`
 *   handlers, installed on each McpServer by `enableResourceSubscriptions`.
 *   The subscribed URIs live with that server instance, i.e. with the legacy
 *   session: they die with it (DELETE, idle TTL). An existing resource URI
 *   that never changes (diag://thresholds is fixed for the process lifetime)
 *   is accepted and simply never updated; an unknown URI answers the same
 *   error as resources/read does (-32602 with data.uri).
 * - The modern era's `subscriptions/listen` is served by the SDK entry
 *   (createMcpHandler's listen router) once `resources.subscribe` is
 *   advertised; publishing goes through the app's `notify.resourceUpdated`.
 */
import { UriTemplate } from '@modelcontextprotocol/server';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Services } from '../definitions/host-services.js';
import type { Assessment, Status } from '../contracts/assessment.js';
import { runTriage } from '../diagnostics/triage.js';
import type { ServedTools } from '../diagnostics/triage-next-steps.js';
import { OVERVIEW_URI, recordTriage } from '../resources/overview.js';
import type { Logger } from '../util/log.js';
import { HostlensError } from '../contracts/errors.js';
import { answeringErrors } from './error-mapping.js';
import type { Catalogue } from '../definitions/types.js';
import { scopesOf } from './principal.js';
import { scopeIndex } from '../catalogue/scope-index.js';
import type { Scope } from '../contracts/scopes.js';


/** Default period of the overview watcher (config `overviewCheckSec`). */
export const DEFAULT_OVERVIEW_CHECK_MS = 5_000;
/** At most this many distinct URIs per legacy session. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 32;

// ---------------------------------------------------------------- change detection

type StatusMap = ReadonlyMap<string, Status>;

export interface StatusChange {
  key: string;
  /** null: the assessment did not exist in that evaluation. */
  from: Status | null;
  to: Status | null;
}

/**
 * key → status. The key is the assessment code; codes that occur more than
 * once (one `filesystem.space` per mount) are told apart by their evidence,
 * then by occurrence order.
 */
export function statusMap(assessments: ReadonlyArray<Pick<Assessment, 'code' | 'status' | 'evidence'>>): Map<string, Status> {
  const counts = new Map<string, number>();
  for (const a of assessments) counts.set(a.code, (counts.get(a.code) ?? 0) + 1);
  const out = new Map<string, Status>();
  for (const a of assessments) {
    let key = (counts.get(a.code) ?? 0) > 1 ? `${a.code}[${(a.evidence ?? []).join('; ')}]` : a.code;
    for (let n = 2; out.has(key); n += 1) key = `${key.replace(/#\d+$/, '')}#${n}`;
    out.set(key, a.status);
  }
  return out;
}

/** Keys whose status differs between two evaluations (added and removed keys included), sorted by key. */
export function statusChanges(previous: StatusMap, next: StatusMap): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const key of new Set([...previous.keys(), ...next.keys()])) {
    const from = previous.get(key) ?? null;
    const to = next.get(key) ?? null;
    if (from !== to) changes.push({ key, from, to });
  }
  return changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------- watcher

export interface Evaluation {
  assessments: ReadonlyArray<Pick<Assessment, 'code' | 'status' | 'evidence'>>;
}

interface WatcherOptions<E extends Evaluation> {
  periodMs: number;
  /** One evaluation of the host (cheap: no windowed wait). */
  evaluate: () => Promise<E>;
  /** Called once per evaluation whose status map differs from the previous one. */
  onChange: (changes: StatusChange[], evaluation: E) => void;
  /** Called with the first evaluation (the baseline, which is never a change). */
  onBaseline?: (evaluation: E) => void;
  onError?: (error: Error) => void;
}

interface Watcher {
  start(): void;
  stop(): void;
  /** Runs one evaluation now: the changes it found, or null for the baseline, a skipped overlapping run, or a failure. */
  check(): Promise<StatusChange[] | null>;
  readonly running: boolean;
  /** Evaluations done so far. */
  readonly evaluations: number;
}

export function createWatcher<E extends Evaluation>(options: WatcherOptions<E>): Watcher {
  let previous: StatusMap | null = null;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let busy = false;
  let evaluations = 0;

  const check = async (): Promise<StatusChange[] | null> => {
    if (busy) return null;
    busy = true;
    try {
      const evaluation = await options.evaluate();
      evaluations += 1;
      const next = statusMap(evaluation.assessments);
      const before = previous;
      previous = next;
      if (before === null) {
        options.onBaseline?.(evaluation);
        return null;
      }
      const changes = statusChanges(before, next);
      if (changes.length > 0) options.onChange(changes, evaluation);
      return changes;
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      return null;
    } finally {
      busy = false;
    }
  };

  const schedule = (ms: number): void => {
    timer = setTimeout(() => {
      void check().finally(() => {
        if (running) schedule(options.periodMs);
      });
    }, ms);
    timer.unref();
  };

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
    check,
    get running() {
      return running;
    },
    get evaluations() {
      return evaluations;
    },
  };
}

interface OverviewWatchOptions {
  services: Services;
  periodMs?: number;
  /** Publishes notifications/resources/updated for a URI (the HTTP app's `notify.resourceUpdated`). */
  resourceUpdated: (uri: string) => void;
  /** The tools the server serves: the stored triage's next steps name only these. */
  servedTools: ServedTools;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The product watcher: a sampler-based triage every period; on a status change
 * the triage becomes diag://local/overview's stored result and subscribers are told.
 */
export function startOverviewWatch(options: OverviewWatchOptions): Watcher {
  const { services } = options;
  const watcher = createWatcher({
    periodMs: options.periodMs ?? DEFAULT_OVERVIEW_CHECK_MS,
    evaluate: () => runTriage(services, { servedTools: options.servedTools }),
    onBaseline: (r) => {
      if (!services.state.lastTriage) recordTriage(services, r);
    },
    onChange: (changes, r) => {
      recordTriage(services, r);
      options.logger?.info('overview changed', { uri: OVERVIEW_URI, changes: changes.slice(0, 20) });
      options.resourceUpdated(OVERVIEW_URI);
    },
    onError: (error) => options.logger?.warn('overview check failed', { error: error.message }),
  });
  watcher.start();
  return watcher;
}

// ---------------------------------------------------------------- stdio

type Factory = (ctx: { era: 'legacy' | 'modern' }) => McpServer;

/**
 * For stdio, where no HTTP app fans updates out: remembers the last few
 * servers the factory built (the pinned connection instance, and a discarded
 * server/discover probe) and sends notifications/resources/updated through
 * them — a legacy instance only when its client subscribed to the URI; a modern
 * instance always, since the SDK's stdio listen router delivers it only to
 * subscriptions/listen requests that asked for that URI and drops it otherwise.
 */
export function trackServers(factory: Factory, keep = 4): { factory: Factory; resourceUpdated(uri: string): void } {
  const built: Array<{ server: McpServer; era: 'legacy' | 'modern' }> = [];
  return {
    factory: (ctx) => {
      const server = factory(ctx);
      built.push({ server, era: ctx.era });
      if (built.length > keep) built.shift();
      return server;
    },
    resourceUpdated(uri) {
      for (const { server, era } of built) {
        if (!server.isConnected() || (era === 'legacy' && !isSubscribed(server, uri))) continue;
        void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      }
    },
  };
}

// ---------------------------------------------------------------- legacy resources/subscribe

/** Per server (legacy session): the URIs its client subscribed to, and the scopes of the principal that did. */
const subscribed = new WeakMap<McpServer, { uris: Set<string>; scopes: ReadonlySet<Scope> | null; scopeOf: ((uri: string) => Scope) | null }>();

/**
 * Whether this server's (legacy session's) client subscribed to `uri`, has not
 * unsubscribed, and may read it: an update is announced only to a principal
 * holding the URI's scope, checked again whenever one is sent.
 */
function isSubscribed(server: McpServer, uri: string): boolean {
  const s = subscribed.get(server);
  if (!s?.uris.has(uri)) return false;
  return s.scopeOf === null || (s.scopes !== null && s.scopes.has(s.scopeOf(uri)));
}

/** The catalogue resource a URI names: a static resource, or a listed member of a template. */
export function resourceExists(catalogue: Catalogue, services: Services, uri: string): boolean {
  if (catalogue.resources.some((r) => r.uri === uri)) return true;
  for (const t of catalogue.templates ?? []) {
    if (new UriTemplate(t.uriTemplate).match(uri) === null) continue;
    if (!t.list) return true;
    if (t.list(services).some((r) => r.uri === uri)) return true;
  }
  return false;
}

/**
 * Where a legacy session's subscriptions live when the session outlives the
 * server (the HTTP session store: one server per request). Without one they
 * live with the server instance (stdio's single connection).
 */
export interface SubscriptionSink {
  /** Records `uri`: 'full' when the session holds `max` others, 'gone' when the session no longer exists. */
  add(uri: string, max: number): Promise<'added' | 'present' | 'full' | 'gone'>;
  remove(uri: string): Promise<void>;
}

const indexes = new WeakMap<Catalogue, ReturnType<typeof scopeIndex>>();

/** Installs resources/subscribe and resources/unsubscribe for the product catalogue (call with `resources.subscribe: true`). */
export function enableResourceSubscriptions(server: McpServer, catalogue: Catalogue, services: Services, sink?: SubscriptionSink): void {
  // Built once per catalogue: every legacy request builds a server (≈ 1 % of a request's CPU when rebuilt each time).
  let index = indexes.get(catalogue);
  if (!index) indexes.set(catalogue, (index = scopeIndex(catalogue)));
  const scopes = index;
  handleResourceSubscriptions(server, (uri) => resourceExists(catalogue, services, uri), (uri) => scopes.resource(uri), sink);
}

/**
 * Installs resources/subscribe and resources/unsubscribe on one server: a URI
 * `exists` accepts is recorded for `isSubscribed` (the HTTP app's fan-out of
 * notifications/resources/updated to legacy sessions); another answers -32602
 * with data.uri; an invalid URI -32602; more than MAX_SUBSCRIPTIONS_PER_SESSION
 * URIs -32600. With `scopeOf`, a URI beyond the subscribing principal's scopes
 * is refused like resources/read refuses it (the HTTP layer answers 403 first).
 * Unsubscribing from a URI never subscribed to is harmless: {}.
 */
export function handleResourceSubscriptions(server: McpServer, exists: (uri: string) => boolean, scopeOf?: (uri: string) => Scope, sink?: SubscriptionSink): void {
  const uris = new Set<string>();
  const state: { uris: Set<string>; scopes: ReadonlySet<Scope> | null; scopeOf: ((uri: string) => Scope) | null } = { uris, scopes: null, scopeOf: scopeOf ?? null };
  subscribed.set(server, state);
  const validUri = (uri: string): string => {
    try {
      new URL(uri);
      return uri;
    } catch {
      throw new HostlensError('invalid_argument', `Resource URI ${uri} is invalid`, { data: { uri, reason: 'invalid_uri' } });
    }
  };
  const full = (): HostlensError =>
    new HostlensError('rate_limited', `Subscription limit reached: at most ${MAX_SUBSCRIPTIONS_PER_SESSION} resource URIs per session; unsubscribe from one first`);
  server.server.setRequestHandler('resources/subscribe', answeringErrors(async (request, ctx) => {
    const uri = validUri(request.params.uri);
    if (!exists(uri)) throw new HostlensError('not_found', `Resource not found: ${uri}`);
    if (scopeOf) {
      const held = scopesOf(ctx?.http?.authInfo);
      const scope = scopeOf(uri);
      if (!held.has(scope)) throw new HostlensError('forbidden', `Resource ${uri.slice(0, 200)} needs the scope ${scope}`);
      // A session keeps one principal (sessions.ts), so the subscriber's scopes are those of its latest subscribe.
      state.scopes = held;
    }
    if (sink) {
      // The session's record holds the URI; the store keeps the per-session bound across replicas.
      if ((await sink.add(uri, MAX_SUBSCRIPTIONS_PER_SESSION)) === 'full') throw full();
      return {};
    }
    if (!uris.has(uri) && uris.size >= MAX_SUBSCRIPTIONS_PER_SESSION) throw full();
    uris.add(uri);
    return {};
  }));
  server.server.setRequestHandler('resources/unsubscribe', answeringErrors(async (request) => {
    const uri = validUri(request.params.uri);
    if (sink) await sink.remove(uri);
    else uris.delete(uri);
    return {};
  }));
}
