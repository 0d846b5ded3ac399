/**
 * dist/ freshness for the bench and the soak (both run `node dist/app/cli.js`):
 * build when dist/app/cli.js is missing or older than the newest non-test .ts file under src/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/; returns what it did. */
export function ensureBuilt(repo: string, allowed: boolean, log: (line: string) => void): string {
  const cli = join(repo, 'dist', 'app', 'cli.js');
  const stale = !existsSync(cli) ? 'missing' : newestMtime(join(repo, 'src')) > statSync(cli).mtimeMs ? 'older than src/' : null;
  if (stale === null) return 'dist/ up to date';
  if (!allowed) return `dist/ ${stale}; not rebuilt (--no-build)`;
  log(`dist/ ${stale}: npm run build …`);
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status ?? r.signal ?? r.error?.message})`);
  return `dist/ rebuilt (was ${stale})`;
}
