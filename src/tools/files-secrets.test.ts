/**
 * Secrets at the edges of read_log_file and get_config, through the real tools over a temporary root: a secret
 * straddling the 16 KiB line cut never comes back in part (nor half a UTF-8 character), a private key logged on one
 * JSON line with `\n` escapes is masked, get_config redacts with the whole file's context (certificates stay
 * readable with no redaction; YAML block scalars, next-line values and INI secrets are redacted on their own lines),
 * and a 1 MiB file of hostile PEM markers is answered (its event-loop delay printed, never asserted).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { ToolDefinition } from '../definitions/types.js';
import { decodeLine, MAX_LINE_BYTES } from '../collectors/log-lines.js';
import { redactDetailed, redactDetailedSliced } from '../redaction/redact.js';
import { buildServer } from '../server/build.js';
import { createServices } from '../app/create-services.js';
import type { RunningServices } from '../app/create-services.js';
import { getConfig } from './get-config.js';
import { readLogFileTool } from './read-log-file.js';

/** 40 characters, high entropy, no run of 8 shared with anything else written here. */
const SECRET = 'Qm9vN2xxZk3pR8tWc1vJ4hLs6dYe0uTa5gBiKoXz';
const PEM_BODY = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDPlantedJsonKeyA', 'PlantedJsonKeyB9w0BAQEFAASCBKcwggSjAgEAAoIBAQDz'];

const pieces = (s: string, n: number): string[] => Array.from({ length: s.length - n + 1 }, (_, i) => s.slice(i, i + n));

describe('secrets at the edges of read_log_file and get_config', () => {
  let root: string;
  let services: RunningServices;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>): Promise<{ data: Record<string, any>; text: string }> => {
    const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent?: { data: Record<string, any> }; content: unknown };
    assert.notEqual(r.isError, true, JSON.stringify(r.content).slice(0, 400));
    return { data: r.structuredContent!.data, text: JSON.stringify(r) };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hostlens-secrets-'));
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'etc/app'), { recursive: true });
    services = createServices({ root, startSampler: false, changeWatch: false, logFiles: ['/var/log/*.log'], configFiles: ['/etc/**'] });
    const server = buildServer({ catalogue: { tools: [readLogFileTool, getConfig] as unknown as ToolDefinition[], resources: [], templates: [], prompts: [] }, services, toolsets: ['core', 'logs', 'config'], name: 't', version: '0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 't-client', version: '0' });
    await client.connect(b);
  });
  after(async () => {
    await client.close().catch(() => undefined);
    services.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('a 40-char token straddling the 16 KiB line cut never comes back in part', async () => {
    const lines: string[] = [];
    // The token starts 39 … 1 bytes before the cut (and right at it), after ASCII or 2- and 3-byte characters.
    for (const filler of ['x', 'é', '€']) {
      for (let before = 39; before >= 0; before -= 3) {
        let head = 'Nov 24 10:00:00 host app: data ';
        while (Buffer.byteLength(head) + Buffer.byteLength(filler) + 1 <= MAX_LINE_BYTES - before) head += filler;
        head += ' '.repeat(MAX_LINE_BYTES - before - Buffer.byteLength(head));
        assert.equal(Buffer.byteLength(head), MAX_LINE_BYTES - before);
        lines.push(`${head}${SECRET} tail of the line ${'y'.repeat(3000)}`);
      }
    }
    // What the redactor is handed: the line cut before the token, on a character boundary, the rest counted hidden.
    for (const line of lines) {
      const buf = Buffer.from(line);
      const [text, hidden] = decodeLine(buf, 0);
      assert.ok(Buffer.byteLength(text) <= MAX_LINE_BYTES && !text.includes('\ufffd'));
      assert.equal(Buffer.byteLength(text) + hidden, buf.length);
      for (const p of pieces(SECRET, 4)) assert.ok(!text.includes(p), `a part of the token is kept: ${p}`);
    }
    writeFileSync(join(root, 'var/log/cut.log'), `${lines.join('\n')}\n`);
    const { data, text } = await call('read_log_file', { path: '/var/log/cut.log', lines: 1000 });
    assert.ok(data.lines.length > 0);
    for (const p of pieces(SECRET, 8)) assert.ok(!text.includes(p), `a part of the token came back: ${p}`);
    for (const l of data.lines) assert.match(l.text, /…\[\+\d+ chars\]$/);
  });

  test('a private key logged on one JSON line with \\n escapes is masked', async () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\\n${PEM_BODY.join('\\n')}\\n-----END RSA PRIVATE KEY-----\\n`;
    const json = (msg: string, extra: string) => `{"time":"2026-11-24T10:00:0${msg.length % 10}Z","level":"info","msg":"${msg}"${extra}}`;
    writeFileSync(
      join(root, 'var/log/json.log'),
      [json('starting', ''), json('loaded key', `,"key":"${pem}"`), json('escaped slashes', `,"key":"${pem.replaceAll('/', '\\/')}"`), json('done', '')].join('\n') + '\n',
    );
    for (const args of [{}, { grep: 'loaded key' }]) {
      const { data, text } = await call('read_log_file', { path: '/var/log/json.log', ...args });
      for (const p of [...PEM_BODY.flatMap((b) => pieces(b, 16)), 'PlantedJsonKey']) assert.ok(!text.includes(p), `key material came back: ${p}`);
      assert.ok(data.redactionCount >= 1);
      assert.ok(data.lines.some((l: { text: string }) => l.text.includes('loaded key') && l.text.includes('[REDACTED]')));
    }
  });

  test('get_config: a certificate bundle stays readable with no redaction', async () => {
    const cert = ['-----BEGIN CERTIFICATE-----', 'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ', 'RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD', 'VQQDExlCYWx0aW1vcmUgQ3liZXJUcnVzdCBSb290MB4XDTAwMDUxMjE4NDYwMFoX', '-----END CERTIFICATE-----'];
    writeFileSync(join(root, 'etc/app/bundle.crt'), `${Array.from({ length: 40 }, () => cert.join('\n')).join('\n')}\n`);
    const { data } = await call('get_config', { path: '/etc/app/bundle.crt' });
    assert.equal(data.redactionCount, 0);
    assert.ok(data.content.includes(cert[2]!), 'base64 lines of a certificate are shown');
    assert.match(data.sha256, /^[0-9a-f]{64}$/);
  });

  test('get_config: YAML block scalars, next-line values, INI and secret-named files are redacted on their lines', async () => {
    const yaml = ['app:', '  port: 8080', '  password: |', '    PlantedBlockScalar9', '  token:', '    PlantedNextLine77', '  name: web', ''].join('\n');
    writeFileSync(join(root, 'etc/app/app.yaml'), yaml);
    const y = (await call('get_config', { path: '/etc/app/app.yaml' })).data;
    assert.deepEqual(y.redactions.map((r: { line: number }) => r.line), [4, 6]);
    assert.ok(!y.content.includes('PlantedBlockScalar9') && !y.content.includes('PlantedNextLine77'));
    assert.match(y.content, /port: 8080/);
    writeFileSync(join(root, 'etc/app/db.ini'), '[db]\nhost = db1\npassword = PlantedIniPw42\n');
    assert.deepEqual((await call('get_config', { path: '/etc/app/db.ini' })).data.redactions, [{ line: 3, kind: 'key_value', count: 1 }]);
    writeFileSync(join(root, 'etc/app/db_password'), 'PlantedBareValue31\n');
    const bare = (await call('get_config', { path: '/etc/app/db_password' })).data;
    assert.equal(bare.content, '[REDACTED]');
    assert.equal(bare.sha256, null);
  });

  test('get_config over 1 MiB of hostile PEM markers answers; the redaction is sliced', async (t) => {
    const unit = '-----BEGIN X-----\nAAAA\n-----END X-----\n';
    writeFileSync(join(root, 'etc/app/markers.conf'), `${'x = 1\n'.repeat(700)}${unit.repeat(Math.ceil((1024 * 1024 - 4200) / unit.length))}`);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const { data } = await call('get_config', { path: '/etc/app/markers.conf' });
    h.disable();
    t.diagnostic(`get_config over 1 MiB of 26,000 PEM blocks: event-loop delay max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
    assert.equal(data.redactions[0].kind, 'pem');
    assert.ok(!data.content.includes('AAAA'));
  });

  test('the sliced redactor gives exactly what the one-piece redactor gives', async () => {
    const text = [
      'a: 1',
      '  password: |',
      '    PlantedSliceA1',
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDPlanted',
      '-----END PRIVATE KEY-----',
      'url = postgres://app:PlantedSliceB2@db/x',
      ...Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? `token_${i} = Zq8${i}Xw2Lk9Pp4Rt7Vb1Nm6` : `option_${i} = ${i}`)),
    ].join('\n');
    for (const options of [{}, { keepLines: true }, { keepLines: true, wholeValue: true }]) {
      assert.deepEqual(await redactDetailedSliced(text, options, 0), redactDetailed(text, options));
    }
  });
});
