/** Log templates: each kind of variable part is masked, words and device names are kept, groups are ranked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupPatterns, templateOf } from './log-patterns.js';

test('templateOf masks numbers, IPs, MACs, UUIDs, hex ids and paths with digits; keeps words and device names', () => {
  const cases: Array<[string, string]> = [
    ['Failed password for invalid user admin from 192.168.1.23 port 51234 ssh2', 'Failed password for invalid user admin from <ip> port <n> ssh2'],
    ['connect to [2001:db8::1]:443 failed', 'connect to [<ip>]:<n> failed'],
    ['eth0: Link is Down', 'eth0: Link is Down'],
    ['EXT4-fs error (device sda1): inode #2', 'EXT4-fs error (device sda1): inode #<n>'],
    ['lease 00:11:22:aa:bb:cc renewed', 'lease <mac> renewed'],
    ['job 8d2f6a4e-1234-4abc-9def-0123456789ab done', 'job <uuid> done'],
    ['ip 000055d5c2a1b2c3 code 0x1f', 'ip <hex> code <hex>'],
    ['opened /var/lib/docker/overlay2/123abc/merged', 'opened <path>'],
    ['took 12.5ms at 10:20:30', 'took <n> at <n>:<n>:<n>'],
    ['  many   spaces  ', 'many spaces'],
  ];
  for (const [msg, want] of cases) assert.equal(templateOf(msg), want, msg);
});

test('groupPatterns: counts, first/last, newest example, ranked by count; distinct templates bounded', () => {
  const items = [
    { message: 'restart counter is at 1', tsUs: 10 },
    { message: 'disk full', tsUs: 15 },
    { message: 'restart counter is at 2', tsUs: 20 },
    { message: 'restart counter is at 3', tsUs: 5 },
  ];
  const { groups, overflow } = groupPatterns(items);
  assert.equal(overflow, 0);
  assert.deepEqual(groups[0], { template: 'restart counter is at <n>', count: 3, firstUs: 5, lastUs: 20, example: 'restart counter is at 2', exampleUs: 20 });
  assert.equal(groups[1]?.template, 'disk full');
  const bounded = groupPatterns([{ message: 'a', tsUs: 1 }, { message: 'b', tsUs: 2 }, { message: 'c', tsUs: 3 }, { message: 'a', tsUs: 4 }], 2);
  assert.deepEqual(bounded.groups.map((g) => [g.template, g.count]), [['a', 2], ['b', 1]]);
  assert.equal(bounded.overflow, 1);
});
