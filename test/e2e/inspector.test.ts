/**
 * `../shared/tools/inspector-smoke.sh URL get_cpu '{}'` (the MCP Inspector
 * CLI: tools/list, resources/list, prompts/list, tools/call get_cpu) against a
 * spawned `hostlens serve`, once with MCP_SMOKE_ERA=legacy and once with
 * MCP_SMOKE_ERA=modern. The script installs the Inspector from npm into /tmp
 * on first use, hence the generous bound.
 *
 * In CI (CI=true) a missing script is a failure; elsewhere the test is skipped
 * with the reason when ../shared is absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { productCatalogue } from '../../src/catalogue/index.js';
import { childEnv, killAll, repoRoot, spawnHostlens } from './helpers.js';
import type { Spawned } from './helpers.js';

/** tools/list with the default toolsets (core only). */
const CORE_TOOL_COUNT = productCatalogue.tools.filter((t) => t.toolset === 'core').length;

const SCRIPT = resolve(repoRoot, '..', 'shared', 'tools', 'inspector-smoke.sh');
const IN_CI = process.env.CI === 'true';
const PRESENT = existsSync(SCRIPT);
const SKIP = !PRESENT && !IN_CI ? `${SCRIPT} not found (../shared is absent outside CI)` : false;

const RUN_TIMEOUT_MS = 300_000;

interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the smoke script in its own process group so a timeout kills the Inspector too. */
function runSmoke(url: string, era: string): Promise<ScriptResult> {
  return new Promise<ScriptResult>((resolveRun, reject) => {
    const child = spawn('bash', [SCRIPT, url, 'get_cpu', '{}'], {
      cwd: repoRoot,
      env: childEnv({ MCP_SMOKE_ERA: era }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      reject(new Error(`inspector-smoke.sh (${era}) ran longer than ${RUN_TIMEOUT_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

describe('MCP Inspector smoke test against hostlens serve', { timeout: 2 * RUN_TIMEOUT_MS + 60_000 }, () => {
  let server: Spawned | undefined;
  let url = '';

  before(async () => {
    if (SKIP) return;
    server = spawnHostlens(['serve', '--port', '0']);
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
  });

  test('the smoke script exists', { skip: SKIP }, () => {
    assert.ok(PRESENT, `${SCRIPT} is missing${IN_CI ? ' (CI=true: this is a failure, not a skip)' : ''}`);
  });

  for (const era of ['legacy', 'modern'] as const) {
    test(`MCP_SMOKE_ERA=${era}: every step passes with get_cpu`, { skip: SKIP, timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
      assert.ok(PRESENT, `${SCRIPT} is missing`);
      const r = await runSmoke(url, era);
      const detail = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
      assert.equal(r.code, 0, detail);
      const lines = r.stdout.trim().split('\n');
      const last = lines[lines.length - 1] ?? '';
      const m = /^(\d+) passed, 0 failed$/.exec(last);
      assert.ok(m, `last line should be "N passed, 0 failed": ${detail}`);
      assert.equal(Number(m[1]), 4, `tools/list, resources/list, prompts/list and tools/call: ${detail}`);
      assert.match(r.stdout, /PASS\s+tools\/call get_cpu\s+.*structuredContent/, detail);
      assert.match(r.stdout, new RegExp(`PASS\\s+tools/list\\s+${CORE_TOOL_COUNT} tools`), detail);
      // The server saw the Inspector in the asked-for era.
      const calls = server?.logs().filter((l) => l.msg === 'request' && l.rpcMethod === 'tools/call' && l.tool === 'get_cpu') ?? [];
      assert.ok(calls.some((l) => l.era === era), `a get_cpu call in the ${era} era reached the server`);
    });
  }
});
