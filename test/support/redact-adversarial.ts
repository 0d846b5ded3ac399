/** Inputs that would make a backtracking redaction pattern explode; shared by the redact tests and bench/redact.ts. */
export const ADVERSARIAL: ReadonlyArray<{ name: string; input: string; unchanged: boolean }> = [
  { name: '100 KB a=a=…', input: 'a='.repeat(50_000), unchanged: true },
  { name: '100 KB eyJ…', input: 'eyJ'.repeat(34_000), unchanged: true },
  { name: '1 MB base64', input: Buffer.from(Array.from({ length: 768 * 1024 }, (_, i) => (i * 7919) % 256)).toString('base64'), unchanged: false },
  { name: '100 KB password…', input: 'password'.repeat(12_800), unchanged: true },
  { name: '100 KB --password …', input: '--password '.repeat(9_300), unchanged: true },
  { name: '100 KB BEGIN markers', input: '-----BEGIN PRIVATE KEY-----'.repeat(3_800), unchanged: false },
  { name: '100 KB "password": "', input: '"password": "'.repeat(7_700), unchanged: true },
  { name: '100 KB http://a:', input: 'http://a:'.repeat(11_000), unchanged: true },
  { name: '100 KB Bearer Bearer', input: 'Bearer '.repeat(14_600), unchanged: true },
  { name: '1 MB of log lines', input: 'Nov 24 10:00:00 host app[123]: request id=42 user=bob status=200 took 12ms\n'.repeat(14_000), unchanged: true },
];
