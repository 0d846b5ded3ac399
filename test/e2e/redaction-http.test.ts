/**
 * Redaction end to end: a fixture host (test/fixtures/hosts/busy copied to a
 * temp dir) with secrets planted where tools look — a process command line
 * (`--password=…`, a URL with userinfo), its environ, a config file under
 * etc/, a log file under var/log/ (Bearer token, AWS key, JWT) — served by the
 * real `hostlens serve --root <tmp>` with every toolset. EVERY catalogue tool
 * (iterated at run time, so tools added later are covered) is called in both
 * protocol eras with its minimal arguments (plus paths pointing at the planted
 * files), and every listed resource is read; no planted value may appear in
 * any response (structuredContent, text, errors, resource bodies).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';
import { productCatalogue } from '../../src/catalogue/index.js';
import { TOOLSETS } from '../../src/contracts/scopes.js';
import { assertNoPlanted } from '../support/planted.js';
import { killAll, MODERN, repoRoot, spawnHostlens, within } from './helpers.js';
import type { Spawned } from './helpers.js';
import { exampleArgs } from '../support/tool-examples.js';

const ERAS: ReadonlyArray<{ name: 'legacy' | 'modern'; options: ClientOptions }> = [
  { name: 'legacy', options: {} },
  { name: 'modern', options: { versionNegotiation: { mode: { pin: MODERN } } } },
];

/** The planted secret values: none may ever come back. */
const PLANTED = {
  cmdlinePassword: 'PlantedCmdPw1x',
  urlPassword: 'PlantedUrlPw2x',
  environ: 'PlantedEnvPw3x',
  configPassword: 'PlantedCfgPw4x',
  configToken: 'PlantedCfgTok5xQ9',
  bearer: 'PlantedBearer6xZ',
  awsKey: 'AKIAPLANTEDSEVENXX7Z',
  jwtBody: 'eyJzdWIiOiJwbGFudGVkLWp3dCJ9',
  stripe: 'sk_live_PlantedStripe8x',
};
const VALUES = Object.values(PLANTED);
const PID = 4242;

/** Arguments that point the tools at the planted files and process. */
const PLANTED_ARGS: Record<string, Record<string, unknown>> = {
  get_process: { pid: PID },
  get_cgroup: { target: { pid: PID } },
  read_log_file: { path: '/var/log/app.log' },
  get_config: { path: '/etc/app/config.yaml' },
  top_processes: { sortBy: 'memory' },
};

function plantHost(): string {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-redaction-'));
  cpSync(join(repoRoot, 'test/fixtures/hosts/busy'), root, { recursive: true, verbatim: true } as never);
  const argv = ['/usr/bin/app', `--password=${PLANTED.cmdlinePassword}`, `--db=postgres://app:${PLANTED.urlPassword}@db/x`, '--port', '8080'];
  writeFileSync(join(root, `proc/${PID}/cmdline`), `${argv.join('\0')}\0`);
  writeFileSync(join(root, `proc/${PID}/environ`), `HOME=/root\0DB_PASSWORD=${PLANTED.environ}\0`);
  mkdirSync(join(root, 'etc/app'), { recursive: true });
  writeFileSync(join(root, 'etc/app/config.yaml'), `db:\n  host: db\n  password: ${PLANTED.configPassword}\napi:\n  token: "${PLANTED.configToken}"\n  stripe: ${PLANTED.stripe}\n`);
  mkdirSync(join(root, 'var/log'), { recursive: true });
  writeFileSync(
    join(root, 'var/log/app.log'),
    [
      '2026-11-24T10:00:00Z INFO started',
      `2026-11-24T10:00:01Z DEBUG request Authorization: Bearer ${PLANTED.bearer}`,
      `2026-11-24T10:00:02Z WARN using key ${PLANTED.awsKey}`,
      `2026-11-24T10:00:03Z DEBUG id_token eyJhbGciOiJIUzI1NiJ9.${PLANTED.jwtBody}.c2lnbmF0dXJlLXBsYW50ZWQ`,
      '',
    ].join('\n'),
  );
  return root;
}

describe('no planted secret in any tool or resource result, all toolsets, over Streamable HTTP', { timeout: 240_000 }, () => {
  let root: string;
  let server: Spawned;
  let url: string;

  before(async () => {
    root = plantHost();
    server = spawnHostlens(['serve', '--port', '0', '--root', root, '--toolsets', TOOLSETS.join(',')]);
    ({ url } = await server.listening());
  });
  after(async () => {
    await killAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the fixture really holds the planted values (so the scan below can fail)', () => {
    assert.match(readFileSync(join(root, `proc/${PID}/cmdline`), 'utf8'), new RegExp(PLANTED.cmdlinePassword));
    assert.match(readFileSync(join(root, 'var/log/app.log'), 'utf8'), new RegExp(PLANTED.awsKey));
    assert.throws(() => assertNoPlanted({ x: `a ${PLANTED.bearer} b` }, VALUES), /planted secret/);
  });

  for (const era of ERAS) {
    describe(`${era.name} era`, () => {
      let client: Client;
      const redactedBy = new Map<string, number>();

      before(async () => {
        client = new Client({ name: `redaction-${era.name}`, version: '1.0.0' }, era.options);
        await within(15_000, 'connect', client.connect(new StreamableHTTPClientTransport(new URL(url))));
      });
      after(async () => {
        await client?.close().catch(() => undefined);
      });

      for (const def of productCatalogue.tools) {
        test(`${def.name}: no planted value in the result`, async () => {
          const args = PLANTED_ARGS[def.name] ?? exampleArgs(def, { serverPid: server.pid });
          const result = await within(60_000, def.name, client.callTool({ name: def.name, arguments: args }));
          assertNoPlanted(result, VALUES, `${def.name} ${JSON.stringify(args)}`);
          const sc = result.structuredContent as { redactions?: number } | undefined;
          if (era.name === 'legacy') console.log(`${def.name}: ${result.isError ? 'isError' : `redactions ${sc?.redactions}`}`);
          if (process.env.REDACTION_DEBUG) for (const m of JSON.stringify(sc ?? {}).matchAll(/.{0,120}\[REDACTED\].{0,40}/g)) console.log(`  ${m[0]}`);
          if (!result.isError) {
            assert.equal(typeof sc?.redactions, 'number', `${def.name}: the envelope counts redactions`);
            redactedBy.set(def.name, sc?.redactions ?? 0);
          }
        });
      }

      test('the tools that read the planted places did redact (count > 0)', () => {
        const expected = ['get_process', 'top_processes', 'read_log_file', 'get_config'].filter((n) => productCatalogue.tools.some((t) => t.name === n));
        for (const name of expected) assert.ok((redactedBy.get(name) ?? 0) > 0, `${name} redacted ${redactedBy.get(name)} value(s)`);
      });

      test('every listed resource and the planted config resource: no planted value', async () => {
        const listed = await within(10_000, 'resources/list', client.listResources());
        const uris = listed.resources.map((r) => r.uri);
        if (productCatalogue.templates?.some((t) => t.name === 'config')) uris.push('diag://local/config/etc/app/config.yaml');
        assert.ok(uris.length > 0);
        for (const uri of uris) {
          const body = await within(20_000, uri, client.readResource({ uri })).catch((error: unknown) => ({ error: String(error) }));
          assertNoPlanted(body, VALUES, uri);
        }
      });
    });
  }
});
