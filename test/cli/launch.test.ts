/**
 * Every way of starting hostlens runs with the same V8 settings
 * (src/app/node-flags.ts), because the entry applies them itself: the built
 * entry is run as `node …/dist/app/cli.js serve` (npm start, a client's
 * "command": "node"), executed through its shebang (the `hostlens` bin, npx)
 * and with the flags on node's command line as well. The behaviour checked is
 * the young generation's size as the server itself reports it
 * (`nodejs_heap_space_size_total_bytes{space="new"}` on /metrics): the same in
 * each, and smaller than with a semi-space an operator chose on the command
 * line (which the entry leaves alone). The package's scripts and the shebang
 * carry no other V8 flags.
 *
 * The source is built without type checking into a temporary directory (tsx
 * allocates on the main thread before the entry runs, so only plain JavaScript
 * starts the way users start it).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NODE_FLAGS } from '../../src/app/node-flags.js';
import { childEnv, parseLogLines, repoRoot, within } from '../e2e/helpers.js';
import type { LogLine } from '../e2e/helpers.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

/** The V8 options in a node command line (`node --a --b file …` → ['--a', '--b']). */
function nodeOptionsOf(commandLine: string): string[] {
  const words = commandLine.trim().split(/\s+/);
  const out: string[] = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('--')) break;
    if (w === '--import') break;
    out.push(w);
  }
  return out;
}

describe('node flags in the package', () => {
  test('npm start runs the bin entry with no V8 flag of its own (the entry applies NODE_FLAGS)', () => {
    assert.equal(pkg.scripts.start, `node ${pkg.bin.hostlens} serve`);
  });

  test('the bin entry\'s shebang adds no flag; the bench process runs with exactly NODE_FLAGS', () => {
    const shebang = readFileSync(join(repoRoot, 'src', 'app', 'cli.ts'), 'utf8').split('\n')[0];
    assert.equal(shebang, '#!/usr/bin/env node');
    assert.equal(pkg.bin.hostlens, 'dist/app/cli.js');
    assert.deepEqual(nodeOptionsOf(pkg.scripts.bench ?? ''), [...NODE_FLAGS]);
  });
});

interface Launch {
  name: string;
  command: (entry: string) => [string, string[]];
  /** How the 'node flags' log line says each flag took effect. */
  how: string[];
}

const LAUNCHES: Launch[] = [
  { name: 'node dist/app/cli.js serve', command: (e) => [process.execPath, [e]], how: ['set at start as --semi-space-growth-factor=1', 'set at start'] },
  { name: 'the bin, by its shebang', command: (e) => [e, []], how: ['set at start as --semi-space-growth-factor=1', 'set at start'] },
  { name: 'the flags on node\'s command line too', command: (e) => [process.execPath, [...NODE_FLAGS, e]], how: ['command line', 'command line'] },
];
const OWN_CHOICE: Launch = {
  name: 'an operator\'s own --max-semi-space-size=16',
  command: (e) => [process.execPath, ['--max-semi-space-size=16', e]],
  how: ['left to the command line: --max-semi-space-size=16', 'set at start'],
};

interface Started {
  logs: LogLine[];
  newSpaceBytes: number;
}

/** Starts `serve --port 0`, waits for the listening line, reads the new space size from /metrics, stops it. */
async function startAndMeasure(launch: Launch, entry: string): Promise<Started> {
  const [cmd, args] = launch.command(entry);
  const child = spawn(cmd, [...args, 'serve', '--port', '0'], { env: childEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await within(
      30_000,
      `${launch.name} to listen`,
      new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: string) => {
          stderr += d;
          const line = parseLogLines(stderr).find((l) => l.msg === 'listening');
          if (line) resolve(String(line.url));
        });
        child.once('exit', (code) => reject(new Error(`${launch.name} exited (${code}): ${stderr}`)));
        child.once('error', reject);
      }),
    );
    const metrics = await (await fetch(url.replace(/\/mcp$/, '/metrics'))).text();
    const row = metrics.split('\n').find((l) => l.startsWith('nodejs_heap_space_size_total_bytes{space="new"}'));
    assert.ok(row, `no new space size in /metrics:\n${metrics.slice(0, 500)}`);
    return { logs: parseLogLines(stderr), newSpaceBytes: Number(row.split(' ').pop()) };
  } finally {
    child.kill('SIGKILL');
    await within(5_000, `${launch.name} to exit`, exited).catch(() => undefined);
  }
}

describe('launch paths run with the same V8 settings', { timeout: 180_000 }, () => {
  let dir = '';
  let entry = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hostlens-launch-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.json'), '--noCheck', '--sourceMap', 'false', '--outDir', join(dir, 'dist')], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(built.status, 0, `build: ${built.stdout}${built.stderr}`);
    copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    entry = join(dir, pkg.bin.hostlens ?? 'dist/app/cli.js');
    // npm link, npm install and npx make the bin executable; tsc does not.
    chmodSync(entry, 0o755);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('same young generation in every launch path, logged as applied; a command-line choice is left alone', async () => {
    const results = await Promise.all([...LAUNCHES, OWN_CHOICE].map((l) => startAndMeasure(l, entry)));
    const own = results.pop()!;
    for (const [i, launch] of [...LAUNCHES, OWN_CHOICE].entries()) {
      const r = i < LAUNCHES.length ? results[i]! : own;
      const line = r.logs.find((l) => l.msg === 'node flags');
      assert.deepEqual(line?.nodeFlags, Object.fromEntries(NODE_FLAGS.map((f, j) => [f, launch.how[j]])), `${launch.name}: ${JSON.stringify(r.logs)}`);
    }
    const sizes = results.map((r) => r.newSpaceBytes);
    assert.deepEqual(sizes, sizes.map(() => sizes[0]), `new space per launch path: ${LAUNCHES.map((l, i) => `${l.name} ${sizes[i]}`).join(', ')}`);
    assert.ok(own.newSpaceBytes > sizes[0]! * 4, `a 16 MiB semi-space grows past the capped one: ${own.newSpaceBytes} vs ${sizes[0]} bytes`);
  });
});
