/**
 * The real `hostlens serve --port 0` over Streamable HTTP on 127.0.0.1, driven
 * by the SDK v2 client in both protocol eras (legacy: the default plain
 * `initialize`; modern: pinned to 2026-07-28). Every tool is listed and called
 * with representative arguments, and every structuredContent is validated
 * against the outputSchema from tools/list with the SDK's Ajv-based JSON
 * Schema validator. Also: annotations and input bounds, unknown tools,
 * sanity ranges against this very host, progress, resources (with cache hints
 * in the modern era), the triage prompt and its completion, and the
 * DNS-rebinding guard of the real server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult, ClientOptions, JsonSchemaType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { productCatalogue } from '../../src/catalogue/index.js';
import type { CpuData } from '../../src/diagnostics/cpu.js';
import type { FilesystemsData } from '../../src/diagnostics/filesystems.js';
import type { MemoryData } from '../../src/diagnostics/memory.js';
import type { TopProcessesData } from '../../src/diagnostics/processes.js';
import type { TriageData } from '../../src/diagnostics/triage.js';
import { delay, expectJsonRpcErrorBody, INITIALIZE, killAll, MCP_POST_HEADERS, MODERN, rawHttp, repoRoot, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';

const PKG_VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** The core tools this file exercises with representative arguments (catalogue-http.test.ts calls every tool). */
const TOOL_NAMES = ['triage_host', 'get_system_info', 'get_cpu', 'get_memory', 'get_filesystems', 'top_processes', 'get_disk_io', 'get_network', 'get_pressure', 'get_limits'] as const;
const CORE_TOOLS = productCatalogue.tools.filter((t) => t.toolset === 'core').map((t) => t.name);

interface Envelope<D> {
  host: string;
  collectedAt: string;
  windowSec?: number;
  data: D;
  assessments: Array<{ area: string; status: string; code: string; message: string; value: number | null; threshold: number | null; unit: string }>;
  truncated?: { returned: number; total: number; nextCursor?: string };
  warnings?: string[];
}

interface SystemInfoData {
  hostname: string | null;
  kernel: string | null;
  arch: string | null;
  uptimeSec: number | null;
  bootedAt: string | null;
  cpus: { model: string | null; logical: number | null; effective: number | null };
  memoryTotalBytes: number | null;
}

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions; version: string }> = [
  { name: 'legacy', options: {}, version: '2025-11-25' },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } }, version: MODERN },
];

const validator = new AjvJsonSchemaValidator();

function inRange(value: number | null | undefined, lo: number, hi: number, what: string): void {
  assert.equal(typeof value, 'number', `${what} should be a number, got ${String(value)}`);
  assert.ok((value as number) >= lo && (value as number) <= hi, `${what} = ${String(value)} should be within [${lo}, ${hi}]`);
}

function near(a: number, b: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b} (tolerance ${tolerance})`);
}

describe('hostlens serve (product catalogue) over Streamable HTTP', { timeout: 120_000 }, () => {
  let server: Spawned;
  let url: string;
  let port: number;

  before(async () => {
    server = spawnHostlens(['serve', '--port', '0']);
    ({ url, port } = await server.listening());
    // Let the 1 Hz sampler complete a full window, so sampler-based answers are steady-state
    // (the first second after start is covered separately below).
    await delay(1_300);
  });
  after(async () => {
    await killAll();
  });

  test('listens on 127.0.0.1 and logs JSON on stderr only', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.ok(port > 0);
    assert.equal(server.stdout(), '', 'nothing may go to stdout in HTTP mode');
  });

  test('DNS rebinding: a foreign Host or Origin is refused with 403 and a JSON-RPC error body', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await rawHttp(port, { headers: { ...MCP_POST_HEADERS, host }, body: INITIALIZE });
      expectJsonRpcErrorBody(res, 403);
    }
    const badOrigin = await rawHttp(port, { headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, body: INITIALIZE });
    expectJsonRpcErrorBody(badOrigin, 403);
    // The same request with a loopback Host (and origin) is served: the 403s above are the guard, not a bad request.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const ok = await rawHttp(port, { headers: { ...MCP_POST_HEADERS, host, origin: `http://${host}` }, body: INITIALIZE });
      assert.equal(ok.status, 200, ok.body);
      assert.ok(ok.headers['mcp-session-id'], 'initialize issues a session');
    }
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let client: Client;
      const tools = new Map<string, Tool>();
      const progressSeen: Array<{ progress: number; total?: number }> = [];

      const call = async (name: string, args: Record<string, unknown> = {}, options: Parameters<Client['callTool']>[1] = {}): Promise<CallToolResult> =>
        within(30_000, `${name} ${JSON.stringify(args)}`, client.callTool({ name, arguments: args }, options));

      /** Calls a tool, requires success, validates structuredContent against the listed outputSchema, returns it. */
      const callOk = async <D>(name: string, args: Record<string, unknown> = {}, options: Parameters<Client['callTool']>[1] = {}): Promise<Envelope<D>> => {
        const result = await call(name, args, options);
        const text = result.content.find((c) => c.type === 'text');
        assert.ok(!result.isError, `${name} ${JSON.stringify(args)} failed: ${text && 'text' in text ? text.text : JSON.stringify(result)}`);
        assert.ok(text && 'text' in text && text.text.trim().length > 0, `${name} must render a compact text block`);
        assert.ok(result.structuredContent, `${name} must return structuredContent`);
        const tool = tools.get(name);
        assert.ok(tool?.outputSchema, `${name} has an outputSchema`);
        const verdict = validator.getValidator(tool.outputSchema as JsonSchemaType)(result.structuredContent);
        assert.ok(verdict.valid, `${name} ${JSON.stringify(args)}: structuredContent does not match outputSchema: ${verdict.errorMessage}`);
        const env = result.structuredContent as unknown as Envelope<D>;
        assert.equal(env.host, 'local');
        const at = Date.parse(env.collectedAt);
        assert.ok(Number.isFinite(at) && Math.abs(Date.now() - at) < 60_000, `collectedAt ${env.collectedAt} is a recent RFC 3339 time`);
        assert.match(env.collectedAt, /Z$/, 'collectedAt is UTC');
        for (const a of env.assessments) assert.ok(['ok', 'warning', 'critical', 'unknown'].includes(a.status), JSON.stringify(a));
        return env;
      };

      before(async () => {
        client = new Client({ name: `e2e-${era.name}`, version: '1.0.0' }, era.options);
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
        const listed = await within(10_000, 'tools/list', client.listTools());
        for (const t of listed.tools) tools.set(t.name, t);
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });

      test('negotiates the expected era and identifies the server', async () => {
        assert.equal(client.getProtocolEra(), era.name);
        assert.equal(client.getNegotiatedProtocolVersion(), era.version);
        const info = client.getServerVersion();
        assert.equal(info?.name, 'hostlens');
        assert.equal(info?.version, PKG_VERSION);
        assert.match(client.getInstructions() ?? '', /triage_host/);
        const caps = client.getServerCapabilities();
        assert.ok(caps?.tools && caps.resources && caps.prompts && caps.completions, JSON.stringify(caps));
      });

      test('tools/list: exactly the product tools, each with title, description, bounded input, outputSchema, annotations', async () => {
        assert.deepEqual([...tools.keys()].sort(), [...CORE_TOOLS].sort());
        assert.ok(CORE_TOOLS.length <= 15, `core has at most 15 tools (${CORE_TOOLS.length})`);
        for (const name of TOOL_NAMES) assert.ok(CORE_TOOLS.includes(name), `${name} is a core tool`);
        assert.ok(![...tools.keys()].some((n) => n.startsWith('test_')), 'no conformance fixture in the product catalogue');
        for (const t of tools.values()) {
          assert.ok(t.title && t.title.length > 3, `${t.name} has a title`);
          assert.ok(t.description && t.description.length > 40, `${t.name} has a description written for an agent`);
          assert.equal(t.inputSchema.type, 'object');
          assert.equal((t.inputSchema as { additionalProperties?: unknown }).additionalProperties, false, `${t.name} input refuses unknown keys`);
          assert.equal(t.outputSchema?.type, 'object', `${t.name} has an object outputSchema`);
          const required = (t.outputSchema as { required?: string[] }).required ?? [];
          for (const key of ['host', 'collectedAt', 'data', 'assessments']) assert.ok(required.includes(key), `${t.name} outputSchema requires ${key}`);
          assert.equal(t.annotations?.readOnlyHint, true, `${t.name} readOnlyHint`);
          assert.equal(t.annotations?.idempotentHint, productCatalogue.tools.find((d) => d.name === t.name)?.annotations?.idempotentHint ?? true, `${t.name} idempotentHint`);
          assert.equal(t.annotations?.openWorldHint, false, `${t.name} openWorldHint`);
          assert.equal(t.annotations?.destructiveHint, false, `${t.name} destructiveHint`);
        }
        const top = tools.get('top_processes')?.inputSchema.properties as Record<string, { minimum?: number; maximum?: number; enum?: string[] }>;
        assert.equal(top.limit?.maximum, 50);
        assert.equal(top.limit?.minimum, 1);
        assert.deepEqual(top.sortBy?.enum, ['cpu', 'memory', 'fds']);
        const cpu = tools.get('get_cpu')?.inputSchema.properties as Record<string, { minimum?: number; maximum?: number }>;
        assert.equal(cpu.windowSec?.minimum, 0.2);
        assert.equal(cpu.windowSec?.maximum, 10);
      });

      if (era.name === 'modern') {
        test('modern list results carry cache hints', async () => {
          const listed = await client.listTools(undefined, { cacheMode: 'bypass' });
          assert.equal(listed.ttlMs, 60_000);
          assert.equal(listed.cacheScope, 'private');
          const prompts = await client.listPrompts(undefined, { cacheMode: 'bypass' });
          assert.equal(typeof prompts.ttlMs, 'number');
          assert.equal(prompts.cacheScope, 'private');
        });
      }

      test('the validator is not vacuous: it rejects a broken envelope', async () => {
        const result = await call('get_memory');
        const schema = tools.get('get_memory')?.outputSchema as JsonSchemaType;
        const v = validator.getValidator(schema);
        const sc = result.structuredContent as Record<string, unknown>;
        assert.equal(v(sc).valid, true);
        const { data: _data, ...noData } = sc;
        assert.equal(v(noData).valid, false, 'missing data must be invalid');
        assert.equal(v({ ...sc, data: { ...(sc.data as object), totalBytes: 'lots' } }).valid, false, 'a string in a number field must be invalid');
      });

      test('triage_host {}: overall status, all areas, ranked findings, next steps naming real tools', async () => {
        const r = await callOk<TriageData>('triage_host');
        const d = r.data;
        for (const area of ['cpu', 'load', 'memory', 'filesystem', 'pressure'] as const) assert.ok(d.areas[area], `area ${area}`);
        inRange(d.areas.cpu.busyPct, 0, 100, 'areas.cpu.busyPct');
        inRange(d.areas.cpu.iowaitPct, 0, 100, 'areas.cpu.iowaitPct');
        if (d.areas.memory.availablePct !== null) inRange(d.areas.memory.availablePct, 0, 100, 'areas.memory.availablePct');
        d.findings.forEach((f, i) => {
          assert.equal(f.rank, i + 1, 'findings are ranked 1..n');
          assert.notEqual(f.status, 'ok', 'findings are non-ok assessments');
        });
        for (const step of d.nextSteps) assert.ok(tools.has(step.tool), `nextSteps names a real tool: ${step.tool}`);
        inRange(r.windowSec, 0.1, 5, 'triage windowSec (sampler window)');
      });

      test('triage_host {windowSec: 1} with a progressToken: increasing progress, window in the result', async () => {
        const seen: number[] = [];
        const r = await callOk<TriageData>('triage_host', { windowSec: 1 }, { onprogress: (p) => seen.push(p.progress) });
        assert.ok(seen.length >= 2, `expected several progress notifications over 1 s, got ${JSON.stringify(seen)}`);
        for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number), `progress must increase: ${JSON.stringify(seen)}`);
        inRange(r.windowSec, 0.9, 2, 'windowSec of a 1 s measurement');
      });

      test('get_system_info {}: matches what node sees of this host', async () => {
        const d = (await callOk<SystemInfoData>('get_system_info')).data;
        assert.equal(d.hostname, hostname());
        assert.equal(d.kernel, release());
        inRange(d.uptimeSec, 1, 10 * 365 * 86400, 'uptimeSec');
        assert.ok(d.bootedAt && Date.parse(d.bootedAt) < Date.now(), 'bootedAt in the past');
        inRange(d.cpus.logical, 1, 4096, 'cpus.logical');
        assert.equal(d.cpus.logical, cpus().length);
        inRange(d.cpus.effective, 0.01, d.cpus.logical ?? 4096, 'cpus.effective');
        near(d.memoryTotalBytes ?? 0, totalmem(), totalmem() * 0.01, 'memoryTotalBytes vs os.totalmem()');
      });

      test('get_cpu {}: sampler window, percentages add up', async () => {
        const r = await callOk<CpuData>('get_cpu');
        const d = r.data;
        assert.equal(d.source, 'sampler');
        inRange(r.windowSec, 0.1, 5, 'sampler windowSec');
        for (const k of ['busyPct', 'userPct', 'nicePct', 'systemPct', 'iowaitPct', 'irqPct', 'softirqPct', 'stealPct', 'idlePct'] as const) inRange(d[k], 0, 100, k);
        // On a live host proc/stat always advances over ~1 s, so none of these is null (inRange checked it).
        const n = (k: keyof CpuData): number => d[k] as number;
        near(n('busyPct') + n('iowaitPct') + n('idlePct'), 100, 0.6, 'busy + iowait + idle');
        near(n('userPct') + n('nicePct') + n('systemPct') + n('irqPct') + n('softirqPct') + n('stealPct'), n('busyPct'), 0.6, 'busy = user + nice + system + irq + softirq + steal');
        inRange(d.logicalCpus, 1, 4096, 'logicalCpus');
        if (d.load1 !== null) inRange(d.load1, 0, 100_000, 'load1');
        assert.equal(d.perCore, undefined, 'no per-core breakdown unless asked');
      });

      test('get_cpu {windowSec: 0.3, perCore: true} with a progressToken: measured window, per-core, progress', async () => {
        const seen: Array<{ progress: number; total?: number }> = [];
        const r = await callOk<CpuData>('get_cpu', { windowSec: 0.3, perCore: true }, { onprogress: (p) => seen.push(p) });
        assert.equal(r.data.source, 'measured');
        inRange(r.windowSec, 0.25, 1.5, 'measured windowSec');
        assert.ok(seen.length >= 1, 'progress notifications arrived');
        for (let i = 1; i < seen.length; i++) assert.ok((seen[i]?.progress ?? 0) > (seen[i - 1]?.progress ?? 0), `progress must increase: ${JSON.stringify(seen)}`);
        const last = seen[seen.length - 1];
        if (last?.total !== undefined) assert.ok(last.progress <= last.total, 'progress never exceeds total');
        progressSeen.push(...seen);
        const cores = r.data.perCore ?? [];
        assert.equal(cores.length, r.data.logicalCpus, 'one entry per logical CPU');
        assert.equal(new Set(cores.map((c) => c.cpu)).size, cores.length, 'distinct cpu ids');
        for (const c of cores) inRange(c.busyPct, 0, 100, `cpu${c.cpu}.busyPct`);
      });

      test('get_memory {}: sane byte counts and shares', async () => {
        const d = (await callOk<MemoryData>('get_memory')).data;
        inRange(d.totalBytes, 1, Number.MAX_SAFE_INTEGER, 'totalBytes');
        inRange(d.availableBytes, 0, d.totalBytes ?? 0, 'availableBytes');
        inRange(d.usedBytes, 0, d.totalBytes ?? 0, 'usedBytes');
        inRange(d.availablePct, 0, 100, 'availablePct');
        if (d.swapTotalBytes !== null && d.swapUsedBytes !== null) inRange(d.swapUsedBytes, 0, d.swapTotalBytes, 'swapUsedBytes');
        if (d.oomKillsSinceBoot !== null) inRange(d.oomKillsSinceBoot, 0, Number.MAX_SAFE_INTEGER, 'oomKillsSinceBoot');
      });

      test('get_filesystems: default hides pseudo filesystems; includePseudo shows them; mount filters', async () => {
        const plain = (await callOk<FilesystemsData>('get_filesystems')).data;
        assert.ok(plain.mounts.length >= 1, 'at least one real filesystem');
        assert.ok(plain.mounts.every((m) => !m.pseudo), 'no pseudo filesystem by default');
        assert.ok(plain.hiddenPseudoCount > 0, 'a Linux host always has pseudo filesystems to hide');
        for (const m of plain.mounts) {
          if (m.sizeBytes) {
            inRange(m.usedPct, 0, 100, `${m.mount} usedPct`);
            inRange(m.availBytes, 0, m.sizeBytes, `${m.mount} availBytes`);
          }
        }
        const all = (await callOk<FilesystemsData>('get_filesystems', { includePseudo: true })).data;
        assert.ok(all.mounts.length > plain.mounts.length, 'includePseudo lists more');
        assert.ok(all.mounts.some((m) => m.pseudo), 'includePseudo lists pseudo filesystems');
        assert.equal(all.hiddenPseudoCount, 0);
        const root = (await callOk<FilesystemsData>('get_filesystems', { mount: '/' })).data;
        assert.deepEqual(root.mounts.map((m) => m.mount), ['/']);
        // limit + cursor page through the same list, each mount once, in order.
        const paged: string[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 200; i++) {
          const page = await callOk<FilesystemsData>('get_filesystems', { includePseudo: true, limit: 2, ...(cursor ? { cursor } : {}) });
          assert.ok(page.data.mounts.length <= 2);
          paged.push(...page.data.mounts.map((m) => m.mount));
          cursor = page.truncated?.nextCursor;
          if (!cursor) break;
          assert.equal(page.truncated?.total, all.mounts.length);
        }
        assert.deepEqual(paged, all.mounts.map((m) => m.mount));
        const foreign = await call('get_filesystems', { limit: 2, cursor: (await callOk<FilesystemsData>('get_filesystems', { includePseudo: true, limit: 2 })).truncated?.nextCursor ?? 'x' });
        assert.equal(foreign.isError, true);
        assert.match(JSON.stringify(foreign.content), /cursor/);
      });

      test('get_disk_io {} and {windowSec: 0.3, devices}: sampler then measured window, sane rates', async () => {
        type Dev = { name: string; utilPct: number; readsPerSec: number; writeBytesPerSec: number; avgQueueDepth: number };
        const r = await callOk<{ source: string; devices: Dev[] }>('get_disk_io');
        assert.equal(r.data.source, 'sampler');
        inRange(r.windowSec, 0.1, 5, 'sampler windowSec');
        for (const d of r.data.devices) {
          inRange(d.utilPct, 0, 100, `${d.name}.utilPct`);
          inRange(d.readsPerSec, 0, 1e9, `${d.name}.readsPerSec`);
          inRange(d.avgQueueDepth, 0, 1e6, `${d.name}.avgQueueDepth`);
        }
        const first = r.data.devices[0]?.name;
        const m = await callOk<{ source: string; devices: Dev[] }>('get_disk_io', { windowSec: 0.3, ...(first ? { devices: [first] } : {}) });
        assert.equal(m.data.source, 'measured');
        inRange(m.windowSec, 0.25, 1.5, 'measured windowSec');
        if (first) assert.deepEqual(m.data.devices.map((d) => d.name), [first]);
      });

      test('get_pressure {} and {windowSec: 0.3, topCgroups: 3}: PSI shares within 0–100, bounded cgroup list', async () => {
        type Line = { avg10Pct: number; avg60Pct: number; avg300Pct: number; stallPctInWindow: number | null };
        type Res = { some: Line; full: Line | null } | null;
        type P = { available: boolean; system: { cpu: Res; memory: Res; io: Res }; cgroups: Array<{ path: string; memoryFullPct: number | null }>; cgroupsExamined: number };
        const r = await callOk<P>('get_pressure');
        if (!r.data.available) assert.ok(r.assessments.some((a) => a.code === 'pressure.unavailable' && a.status === 'unknown'));
        for (const k of ['cpu', 'memory', 'io'] as const) {
          const res = r.data.system[k];
          if (!res) continue;
          inRange(res.some.avg10Pct, 0, 100, `${k}.some.avg10Pct`);
          if (res.some.stallPctInWindow !== null) inRange(res.some.stallPctInWindow, 0, 100, `${k}.some.stallPctInWindow`);
        }
        assert.ok(r.data.cgroups.length <= 5);
        const m = await callOk<P>('get_pressure', { windowSec: 0.3, topCgroups: 3 });
        inRange(m.windowSec, 0.25, 1.5, 'measured windowSec');
        assert.ok(m.data.cgroups.length <= 3);
        const bad = await call('get_pressure', { topCgroups: 21 });
        assert.equal(bad.isError, true);
      });

      test('get_limits {}: shares within 0–100, at most 10 fd holders, the ephemeral-port figure labelled an estimate', async () => {
        type U = { usedPct: number | null; max: number } | null;
        type L = { fds: U; pids: U; threads: U; ephemeralPorts: { inUseEstimate: number | null; usedPct: number | null; rangeSize: number } | null; topFdProcesses: Array<{ pid: number; fdCount: number; usedPct: number | null }> };
        const r = await callOk<L>('get_limits');
        for (const [k, u] of [['fds', r.data.fds], ['pids', r.data.pids], ['threads', r.data.threads]] as const) if (u?.usedPct != null) inRange(u.usedPct, 0, 100, `${k}.usedPct`);
        assert.ok(r.data.fds && r.data.fds.max > 0, 'fs/file-nr is readable');
        assert.ok(r.data.topFdProcesses.length >= 1 && r.data.topFdProcesses.length <= 10);
        assert.ok(r.assessments.some((a) => a.code === 'limits.fds'));
        const listed = tools.get('get_limits');
        assert.match(JSON.stringify(listed?.outputSchema), /ESTIMATE/);
      });

      test('get_network {} and {windowSec: 0.3}: loopback listed, TCP states counted, sane rates', async () => {
        type Net = {
          source: string;
          interfaces: Array<{ name: string; rxBytesPerSec: number | null; rxDropsPerSec: number | null }>;
          tcp: { states: Record<string, number> | null; statesTruncated: boolean; retransPct: number | null };
          conntrack: { count: number; max: number; usedPct: number | null } | null;
        };
        const r = await callOk<Net>('get_network');
        assert.equal(r.data.source, 'sampler');
        inRange(r.windowSec, 0.1, 5, 'sampler windowSec');
        const lo = r.data.interfaces.find((i) => i.name === 'lo');
        assert.ok(lo, 'lo is listed');
        inRange(lo.rxBytesPerSec, 0, 1e12, 'lo.rxBytesPerSec');
        // Our own HTTP connection is an established TCP socket.
        assert.ok((r.data.tcp.states?.ESTABLISHED ?? 0) >= 1, JSON.stringify(r.data.tcp.states));
        assert.equal(r.data.tcp.statesTruncated, false);
        if (r.data.tcp.retransPct !== null) inRange(r.data.tcp.retransPct, 0, 100, 'retransPct');
        const m = await callOk<Net>('get_network', { windowSec: 0.3 });
        assert.equal(m.data.source, 'measured');
        inRange(m.windowSec, 0.25, 1.5, 'measured windowSec');
      });

      test('top_processes {sortBy: memory, limit: 50}: our own server is there, sorted by RSS', async () => {
        const r = await callOk<TopProcessesData>('top_processes', { sortBy: 'memory', limit: 50 });
        const d = r.data;
        assert.equal(d.sortBy, 'memory');
        assert.ok(d.processes.length >= 1 && d.processes.length <= 50);
        for (let i = 1; i < d.processes.length; i++) assert.ok((d.processes[i - 1]?.rssBytes ?? 0) >= (d.processes[i]?.rssBytes ?? 0), 'sorted by rssBytes, largest first');
        const self = d.processes.find((p) => p.pid === server.pid);
        if (d.processes.length < 50 || !self) {
          // Either it is listed, or the list is full of processes at least as large as ours.
          const ownRss = Number(readFileSync(`/proc/${server.pid}/statm`, 'utf8').split(' ')[1]) * 4096;
          const smallest = d.processes[d.processes.length - 1]?.rssBytes ?? 0;
          assert.ok(self || (d.processes.length === 50 && smallest >= ownRss * 0.8), `server pid ${server.pid} (RSS ${ownRss}) missing from the top 50 by memory`);
        }
        if (self) {
          assert.equal(self.comm, 'node');
          assert.match(self.cmdline ?? '', /src\/app\/cli\.ts serve --port 0/);
          inRange(self.rssBytes, 1024 * 1024, 8 * 1024 ** 3, 'server rssBytes');
          inRange(self.threads, 1, 10_000, 'server threads');
          assert.ok(self.fdCount === null || self.fdCount > 2, 'server fdCount');
        }
        assert.ok(d.totals.processCount >= d.processes.length);
        assert.ok(d.states.total >= d.processes.length);
        if (r.truncated) {
          assert.equal(r.truncated.returned, d.processes.length);
          assert.ok(r.truncated.total > r.truncated.returned);
        } else {
          assert.equal(d.processes.length, d.totals.processCount, 'not truncated means every process is listed');
        }
      });

      test('top_processes {sortBy: memory, limit: 5} and {sortBy: fds}: limits and sort orders', async () => {
        const five = await callOk<TopProcessesData>('top_processes', { sortBy: 'memory', limit: 5 });
        assert.ok(five.data.processes.length <= 5);
        if (five.data.totals.processCount > 5) assert.deepEqual(five.truncated && { returned: five.truncated.returned, total: five.truncated.total > 5 }, { returned: 5, total: true });
        const fds = await callOk<TopProcessesData>('top_processes', { sortBy: 'fds' });
        assert.equal(fds.data.sortBy, 'fds');
        assert.ok(fds.data.processes.length <= 10, 'default limit is 10');
        // The ranking and the reported fdCount come from two separate reads of /proc/PID/fd
        // (src/diagnostics/processes.ts), so a busy process can drift a little in between.
        const counts = fds.data.processes.map((p) => p.fdCount ?? -1);
        for (let i = 1; i < counts.length; i++) {
          const a = counts[i - 1] as number;
          const b = counts[i] as number;
          assert.ok(a >= b || b - a <= Math.max(5, a * 0.2), `sorted by fdCount: ${JSON.stringify(counts)}`);
        }
        assert.ok((counts[0] as number) >= Math.max(...counts) * 0.8, `the largest fd count comes first: ${JSON.stringify(counts)}`);
        const cpu = await callOk<TopProcessesData>('top_processes', { windowSec: 0.3, limit: 3 });
        assert.equal(cpu.data.sortBy, 'cpu');
        assert.equal(cpu.data.cpuWindowSource, 'measured');
        inRange(cpu.windowSec, 0.25, 1.5, 'measured process window');
        for (const p of cpu.data.processes) if (p.cpuPct !== null) inRange(p.cpuPct, 0, 100 * (cpus().length + 1), `cpuPct of ${p.pid}`);
      });

      test('input bounds are refused as tool errors (isError) naming the field', async () => {
        const cases: Array<[string, Record<string, unknown>, RegExp]> = [
          ['top_processes', { limit: 51 }, /limit/],
          ['top_processes', { limit: 0 }, /limit/],
          ['top_processes', { sortBy: 'disk' }, /sortBy/],
          ['get_cpu', { windowSec: 11 }, /windowSec/],
          ['get_cpu', { windowSec: 0.1 }, /windowSec/],
          ['get_memory', { bogus: 1 }, /bogus/],
          ['triage_host', { windowSec: 'soon' }, /windowSec/],
        ];
        for (const [name, args, field] of cases) {
          const r = await call(name, args);
          assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} must be refused, got ${JSON.stringify(r)}`);
          assert.equal(r.structuredContent, undefined);
          const text = r.content.map((c) => ('text' in c ? c.text : '')).join(' ');
          assert.match(text, /Input validation error/);
          assert.match(text, field);
          assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
        }
        const other = await call('get_memory', { host: 'elsewhere' });
        assert.equal(other.isError, true);
        assert.match(other.content.map((c) => ('text' in c ? c.text : '')).join(' '), /unknown host "elsewhere"/);
      });

      test('an unknown tool is a JSON-RPC error -32602', async () => {
        await assert.rejects(
          () => within(10_000, 'unknown tool', client.callTool({ name: 'no_such_tool', arguments: {} })),
          (e: unknown) => (e as { code?: unknown }).code === -32602 && /no_such_tool/.test((e as Error).message),
        );
      });

      test('resources: list, read diag://thresholds and diag://local/overview', async () => {
        const listed = await client.listResources(undefined, { cacheMode: 'bypass' });
        const fixed = listed.resources.filter((r) => !/^diag:\/\/(?:runbooks\/|snapshots\/|local\/config\/)/.test(r.uri)); // template members: test/e2e/evidence-http.test.ts
        assert.deepEqual(fixed.map((r) => r.uri).sort(), ['diag://admin/audit', 'diag://local/capabilities', 'diag://local/overview', 'diag://thresholds']); // auth off: anonymous holds hostlens:admin
        for (const r of fixed) assert.equal(r.mimeType, 'application/json');

        const th = await client.readResource({ uri: 'diag://thresholds' }, { cacheMode: 'bypass' });
        const thContent = th.contents[0];
        assert.ok(thContent && 'text' in thContent);
        assert.equal(thContent.uri, 'diag://thresholds');
        const thresholds = (JSON.parse(thContent.text) as { thresholds: Record<string, { warning: number; critical: number; unit: string; direction: string }> }).thresholds;
        assert.deepEqual(
          { ...thresholds['cpu.busyPct'], description: undefined },
          { warning: 85, critical: 95, unit: '%', direction: 'above', description: undefined },
        );
        for (const [key, t] of Object.entries(thresholds)) {
          assert.ok(typeof t.unit === 'string' && t.unit.length > 0, `${key} has a unit`);
          assert.ok(t.direction === 'above' || t.direction === 'below', `${key} direction`);
        }

        await callOk('triage_host');
        const ov = await client.readResource({ uri: 'diag://local/overview' }, { cacheMode: 'bypass' });
        const ovContent = ov.contents[0];
        assert.ok(ovContent && 'text' in ovContent);
        const overview = JSON.parse(ovContent.text) as { host: string; collectedAt: string; ageSec: number; triage: { data: TriageData } | null };
        assert.equal(overview.host, 'local');
        assert.ok(overview.triage, 'the overview holds a triage');
        assert.ok(['ok', 'warning', 'critical', 'unknown'].includes(overview.triage.data.overall));
        inRange(overview.ageSec, 0, 30, 'overview ageSec right after a triage');

        if (era.name === 'modern') {
          assert.equal(th.ttlMs, 300_000);
          assert.equal(th.cacheScope, 'private');
          assert.equal(ov.ttlMs, 5_000);
          assert.equal(ov.cacheScope, 'private');
        } else {
          assert.equal(th.ttlMs, undefined, 'no cache hints in the legacy era');
        }
      });

      test('prompts: triage, with and without a symptom', async () => {
        const listed = await client.listPrompts(undefined, { cacheMode: 'bypass' });
        const triage = listed.prompts.find((p) => p.name === 'triage');
        assert.ok(triage, 'triage prompt listed');
        assert.ok(triage.title && triage.description);
        assert.deepEqual(
          triage.arguments?.map((a) => ({ name: a.name, required: a.required ?? false })),
          [{ name: 'symptom', required: false }],
        );
        const plain = await client.getPrompt({ name: 'triage' });
        const plainText = plain.messages.map((m) => ('text' in m.content ? m.content.text : '')).join('\n');
        assert.equal(plain.messages[0]?.role, 'user');
        assert.match(plainText, /triage_host/);
        assert.match(plainText, /No specific symptom was reported/);
        const oom = await client.getPrompt({ name: 'triage', arguments: { symptom: 'out of memory' } });
        const oomText = oom.messages.map((m) => ('text' in m.content ? m.content.text : '')).join('\n');
        assert.match(oomText, /The reported symptom is: "out of memory"/);
      });

      test('completion/complete for the triage symptom', async () => {
        const o = await client.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'symptom', value: 'o' } });
        assert.deepEqual(o.completion.values, ['out of memory', 'oom kills']);
        const none = await client.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'symptom', value: 'zzz' } });
        assert.deepEqual(none.completion.values, []);
        const all = await client.complete({ ref: { type: 'ref/prompt', name: 'triage' }, argument: { name: 'symptom', value: '' } });
        assert.ok(all.completion.values.length >= 10 && all.completion.values.length <= 100);
      });

      test('every tool was called and the server is still healthy', async () => {
        const res = await fetch(url.replace(/\/mcp$/, '/healthz'));
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        await res.body?.cancel();
        const calls = new Set(server.logs().filter((l) => l.msg === 'request' && l.rpcMethod === 'tools/call' && l.era === era.name).map((l) => l.tool));
        for (const name of TOOL_NAMES) assert.ok(calls.has(name), `${name} was called in the ${era.name} era (request log)`);
        assert.ok(progressSeen.length >= 1);
      });
    });
  }

  test('request logs are JSON lines with era, method, tool, status and duration, never tool output', () => {
    const requests = server.logs().filter((l) => l.msg === 'request');
    assert.ok(requests.length > 20);
    for (const l of requests) {
      assert.equal(typeof l.status, 'number');
      assert.equal(typeof l.durationMs, 'number');
    }
    const toolCall = requests.find((l) => l.rpcMethod === 'tools/call' && l.tool === 'get_system_info');
    assert.ok(toolCall && (toolCall.era === 'legacy' || toolCall.era === 'modern'));
    assert.ok(!server.stderr().includes('"hostname":'), 'tool output (get_system_info data) never reaches the logs');
    assert.ok(!server.stderr().includes('Input validation error'), 'tool errors are not logged verbatim');
  });
});

describe('right after start', { timeout: 60_000 }, () => {
  after(async () => {
    await killAll();
  });

  test(
    'the first calls report rates over a real window, never a few milliseconds',
    async () => {
      // A long sampler interval keeps the server in its "just started" state for the whole test,
      // so the outcome does not depend on how fast this machine connects.
      const s = spawnHostlens(['serve', '--port', '0'], { env: { HOSTLENS_SAMPLER_INTERVAL_MS: '30000' } });
      const { url } = await s.listening();
      const client = new Client({ name: 'e2e-startup', version: '1.0.0' });
      try {
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
        for (const name of ['get_cpu', 'triage_host', 'get_memory']) {
          const r = await within(10_000, name, client.callTool({ name, arguments: {} }));
          assert.ok(!r.isError, JSON.stringify(r.content));
          const windowSec = (r.structuredContent as { windowSec?: number }).windowSec;
          assert.ok(windowSec === undefined || windowSec >= 0.2, `${name} answered over a ${String(windowSec)} s window right after start`);
        }
      } finally {
        await client.close().catch(() => undefined);
        await s.kill();
      }
    },
  );
});
