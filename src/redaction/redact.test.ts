/**
 * The redaction corpus (test/fixtures/redaction/): every secret planted in
 * positive.txt (marked «…»; ⏎ is a newline) is gone after redaction and the
 * count is ≥ 1; every negative.txt line comes out byte-identical. Prints the
 * precision/recall figures. Plus: idempotence, findings {kind, line} without
 * values, and bounded work on adversarial input.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHighEntropyToken, redact, redactDetailed, REDACTED } from './redact.js';
import { isSecretKey } from './redact-keys.js';
import { ADVERSARIAL } from '../../test/support/redact-adversarial.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'redaction');

interface Positive {
  input: string;
  secrets: string[];
}

export function loadPositives(): Positive[] {
  return readFileSync(join(dir, 'positive.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((raw) => {
      const line = raw.replaceAll('⏎', '\n');
      const secrets = [...line.matchAll(/«([^»]*)»/g)].map((m) => m[1] ?? '');
      return { input: line.replaceAll('«', '').replaceAll('»', ''), secrets };
    });
}

function loadNegatives(): string[] {
  return readFileSync(join(dir, 'negative.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.replaceAll('⏎', '\n'));
}

describe('redaction corpus', () => {
  const positives = loadPositives();
  const negatives = loadNegatives();

  test('the corpus has at least 100 positive and 50 negative lines, each positive with a planted secret', () => {
    assert.ok(positives.length >= 100, `${positives.length} positives`);
    assert.ok(negatives.length >= 50, `${negatives.length} negatives`);
    for (const p of positives) assert.ok(p.secrets.length > 0 && p.secrets.every((s) => s.length >= 6), p.input);
  });

  test('every planted secret is gone and counted; precision and recall over the corpus', () => {
    const missed: string[] = [];
    let found = 0;
    for (const p of positives) {
      const r = redact(p.input);
      const leaked = p.secrets.filter((s) => r.text.includes(s));
      if (leaked.length > 0 || r.count < 1 || !r.text.includes(REDACTED)) missed.push(`${JSON.stringify(p.input)} → ${JSON.stringify(r.text)} (count ${r.count})`);
      else found += 1;
    }
    const falsePositives = negatives.filter((n) => redact(n).text !== n);
    const recall = found / positives.length;
    const precision = found / (found + falsePositives.length);
    const untouched = (negatives.length - falsePositives.length) / negatives.length;
    console.log(
      `redaction corpus: ${positives.length} positive, ${negatives.length} negative lines; recall ${(recall * 100).toFixed(1)}% (${found}/${positives.length}), ` +
        `precision ${(precision * 100).toFixed(1)}%, negatives untouched ${(untouched * 100).toFixed(1)}% (${negatives.length - falsePositives.length}/${negatives.length})`,
    );
    assert.deepEqual(missed, [], 'secrets left in the text');
  });

  test('every negative line is byte-identical after redaction, with a zero count', () => {
    const changed = negatives.map((n) => ({ n, r: redact(n) })).filter(({ n, r }) => r.text !== n || r.count !== 0);
    assert.deepEqual(changed.map(({ n, r }) => `${n} → ${r.text}`), []);
  });

  test('redaction is idempotent: a second pass over redacted text finds nothing', () => {
    for (const p of positives) {
      const once = redact(p.input);
      const twice = redact(once.text);
      assert.equal(twice.count, 0, `${once.text} → ${twice.text}`);
      assert.equal(twice.text, once.text);
    }
  });
});

describe('redactDetailed', () => {
  test('reports kind and 1-based line of each redaction, never the value', () => {
    const text = ['# db', 'user: app', 'password: Sup3rS3cret!', 'url: postgres://app:pw0rdXYZ@db/x', '-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', '-----END PRIVATE KEY-----', 'ok: true'].join('\n');
    const r = redactDetailed(text);
    assert.deepEqual(r.findings, [
      { kind: 'key_value', line: 3 },
      { kind: 'url_userinfo', line: 4 },
      { kind: 'pem', line: 5 },
    ]);
    assert.equal(r.count, 3);
    assert.ok(!r.text.includes('Sup3rS3cret!') && !r.text.includes('pw0rdXYZ') && !r.text.includes('MIIEvQ'));
    assert.equal(r.text.split('\n')[2], 'password: [REDACTED]');
    assert.deepEqual(r.text.split('\n').slice(4, 7), ['-----BEGIN PRIVATE KEY-----', REDACTED, '-----END PRIVATE KEY-----'], 'the PEM body is one [REDACTED] line; BEGIN and END stay');
    assert.ok(!JSON.stringify(r.findings).includes('Sup3r'));
  });

  test('certificates and public keys are public: the block stays whole, its base64 lines too', () => {
    const cert = ['ca:', '-----BEGIN CERTIFICATE-----', 'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTES', 'MBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYDVQQDExlC', '-----END CERTIFICATE-----', 'token: Zq8pL2mN4xQw'].join('\n');
    const r = redactDetailed(cert);
    assert.deepEqual(r.findings, [{ kind: 'key_value', line: 6 }], 'only the token after the block');
    assert.deepEqual(r.text.split('\n').slice(0, 5), cert.split('\n').slice(0, 5));
  });

  test('keeps the key, the scheme and the quotes; replaces only the value', () => {
    assert.equal(redact('{"password": "a\\"b"}').text, '{"password": "[REDACTED]"}');
    assert.equal(redact('--db-password hunter22 --port 8080').text, '--db-password [REDACTED] --port 8080');
    assert.equal(redact('Authorization: Bearer abc.def123').text, 'Authorization: Bearer [REDACTED]');
    assert.equal(redact('redis://:s3cretpw@cache:6379').text, 'redis://:[REDACTED]@cache:6379');
  });
});

describe('key names and tokens', () => {
  test('secret keys by word, not by substring; setting suffixes are not secrets', () => {
    for (const k of ['DB_PASSWORD', 'x-api-key', 'clientSecret', 'dbpassword', 'AWS_SECRET_ACCESS_KEY', 'api_key', 'accessToken', 'session', 'Cookie', '--password'])
      assert.ok(isSecretKey(k), k);
    for (const k of ['author', 'bypass', 'password_min_length', 'token_bucket_size', 'password_file', 'session_timeout', 'port', 'keyboard', 'monkey', 'PasswordAuthentication'])
      assert.ok(!isSecretKey(k), k);
  });

  test('high-entropy tokens: base64 secrets yes; hex digests, UUIDs, paths and identifiers no', () => {
    assert.ok(isHighEntropyToken('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'));
    assert.ok(isHighEntropyToken('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo'));
    assert.ok(!isHighEntropyToken('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'));
    assert.ok(!isHighEntropyToken('550e8400-e29b-41d4-a716-446655440000-550e8400'));
    assert.ok(!isHighEntropyToken('/usr/lib/x86_64-linux-gnu/libSystemd1234abcdXYZ'));
    assert.ok(!isHighEntropyToken('kube-controller-manager-ip-10-0-1-23-internal'));
  });
});

describe('adversarial input stays bounded', () => {
  // No timing assertion (2 shared cores): the patterns are bounded and start at token boundaries,
  // so these finish in milliseconds (bench/redact.ts measures); a backtracking pattern would hit the timeout.
  for (const { name, input, unchanged } of ADVERSARIAL) {
    test(name, { timeout: 20_000 }, () => {
      const r = redact(input);
      if (unchanged) assert.ok(r.text === input && r.count === 0, `${name} is not a secret`);
      else assert.ok(r.count > 0 && r.text !== input, `${name} holds secret-looking text`);
      assert.equal(redact(r.text).count, 0, 'idempotent');
    });
  }
});
