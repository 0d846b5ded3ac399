/**
 * Opening a file without following a symlink anywhere in its path, once, so every later check (type, size, links,
 * inode, content) and the read itself use that one descriptor and cannot be raced.
 *
 * Node has no openat2(RESOLVE_NO_SYMLINKS) and no openat, but /proc/self/fd/<dirfd>/<name> is resolved by the kernel
 * relative to the open directory <dirfd>, which is openat(dirfd, name). So the path is walked one component at a
 * time from the (realpath'd) root: each directory opened O_DIRECTORY|O_NOFOLLOW through its parent's descriptor,
 * the file O_NOFOLLOW|O_NONBLOCK|O_NOCTTY. A symlink at any step fails with ELOOP (or ENOTDIR) instead of being
 * followed, so a directory swapped for a symlink between two calls can only make the open fail, never lead
 * elsewhere. O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer. Afterwards the kernel's own
 * name for the descriptor (readlink /proc/self/fd/N) must equal the requested path exactly: a second, independent
 * proof that no component was a symlink and no `..`, bind or rename moved the walk.
 *
 * Errors are fixed phrases; none names what a symlink points to.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, opendirSync, readlinkSync, readSync } from 'node:fs';
import type { BigIntStats, Dir } from 'node:fs';

// libuv opens every file close-on-exec already; the flag is passed too so that holds whatever opens it. Linux's
// value, since node's fs.constants does not export it.
const O_CLOEXEC = (constants as { O_CLOEXEC?: number }).O_CLOEXEC ?? 0o2000000;
const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | O_CLOEXEC;
const O_FILE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY | O_CLOEXEC;

interface SafeOpened {
  fd: number;
  /** fstat of the file, through the descriptor. */
  st: BigIntStats;
  /** fstat of every directory walked, root first (the last one is the file's parent). */
  dirs: BigIntStats[];
}

type SafeOpenResult = SafeOpened | { error: 'symlink' | 'notFound' | 'notDirectory' | 'verify' | 'io'; code: string };

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

function safeClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

const fdPath = (fd: number, name?: string): string => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`);

/** lstat of one name in an open directory (only to word a refusal; never followed). */
function isSymlinkAt(dirFd: number, name: string): boolean {
  try {
    return lstatSync(fdPath(dirFd, name)).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Opens `rootReal` + `hostPath` (hostPath absolute and normalised, rootReal a realpath) component by component
 * without following symlinks. The caller owns the returned descriptor.
 */
export function openNoFollow(rootReal: string, hostPath: string): SafeOpenResult {
  const parts = hostPath.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..')) return { error: 'notFound', code: 'EINVAL' };
  const dirs: BigIntStats[] = [];
  let dirFd: number;
  try {
    dirFd = openSync(rootReal, O_DIR);
  } catch (e) {
    return { error: 'io', code: errCode(e) };
  }
  try {
    dirs.push(fstatSync(dirFd, { bigint: true }));
    for (let i = 0; i < parts.length - 1; i++) {
      let next: number;
      try {
        next = openSync(fdPath(dirFd, parts[i]), O_DIR);
      } catch (e) {
        const code = errCode(e);
        // ELOOP: the component is a symlink; ENOTDIR: a symlink (O_NOFOLLOW with O_DIRECTORY) or a plain file.
        if (code === 'ELOOP' || (code === 'ENOTDIR' && isSymlinkAt(dirFd, parts[i]!))) return { error: 'symlink', code };
        if (code === 'ENOTDIR') return { error: 'notDirectory', code };
        return { error: code === 'ENOENT' ? 'notFound' : 'io', code };
      }
      safeClose(dirFd);
      dirFd = next;
      dirs.push(fstatSync(dirFd, { bigint: true }));
    }
    let fd: number;
    try {
      fd = openSync(fdPath(dirFd, parts.at(-1)), O_FILE);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ELOOP') return { error: 'symlink', code };
      return { error: code === 'ENOENT' ? 'notFound' : code === 'ENOTDIR' ? 'notDirectory' : 'io', code };
    }
    try {
      const expected = rootReal === '/' ? `/${parts.join('/')}` : `${rootReal}/${parts.join('/')}`;
      let actual: string;
      try {
        actual = readlinkSync(fdPath(fd));
      } catch (e) {
        safeClose(fd);
        return { error: 'verify', code: errCode(e) };
      }
      if (actual !== expected) {
        safeClose(fd);
        return { error: 'verify', code: 'EXDEV' };
      }
      return { fd, st: fstatSync(fd, { bigint: true }), dirs };
    } catch (e) {
      safeClose(fd);
      return { error: 'io', code: errCode(e) };
    }
  } catch (e) {
    return { error: 'io', code: errCode(e) };
  } finally {
    safeClose(dirFd);
  }
}

/** pread of up to `len` bytes at `pos`, looping over short reads; fewer bytes only at the end of the file. */
export function preadFully(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export { safeClose };

const O_SEEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | O_CLOEXEC;

/**
 * Opens a directory as the very directory an earlier lstat saw (a directory walk). Between that lstat and this open
 * the directory, or any parent, can be swapped for a symlink to, say, /root/.ssh, and opendir(path) would follow it
 * and list the names there. O_NOFOLLOW refuses a symlink in the last component, the dev+ino check on the descriptor
 * refuses a directory reached any other way (a swapped parent), and the listing is read through /proc/self/fd/N,
 * i.e. that very descriptor. Null when the directory is gone, unreadable or no longer the one seen. The caller
 * closes both the Dir and the fd.
 */
export function openDirAsSeen(abs: string, seen: { dev: number; ino: number }): { dir: Dir; fd: number } | null {
  let fd: number;
  try {
    fd = openSync(abs, O_SEEN_DIR);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.dev !== seen.dev || st.ino !== seen.ino) {
      safeClose(fd);
      return null;
    }
    return { dir: opendirSync(fdPath(fd)), fd };
  } catch {
    safeClose(fd);
    return null;
  }
}
