/**
 * Loads the native addon (build/Release/hayate.node) and types its calls. When the addon is missing
 * (build failed, unsupported platform, HAYATE_NATIVE=0) callers get `undefined` and one notice line is
 * printed, and the portable node:net transport is used instead.
 *
 * Every addon call returns a number; a negative one is `-code` with `code` from {@link NativeErrno}
 * (or `ERRNO_UNMAPPED_BASE + errno` for an errno the table does not list). {@link check} turns such a
 * result into a {@link NativeError}; hot paths compare against the codes directly instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRNO_UNMAPPED_BASE, NATIVE_ABI_VERSION, NativeErrno, type NativeErrnoName } from './constants.js';

/** Arena statistics reported by the addon. */
export interface ArenaStats {
  readonly slotSize: number;
  readonly slotCount: number;
  readonly slotsInUse: number;
  readonly sizeBytes: number;
  /** The region was mapped with MAP_HUGETLB (explicit huge pages). */
  readonly hugetlb: boolean;
  /** madvise(MADV_HUGEPAGE) succeeded on the region. */
  readonly madviseHugepage: boolean;
  /** KiB of the region backed by huge pages (AnonHugePages from /proc/self/smaps); -1 when unknown. */
  readonly hugePageKiB: number;
  /** True when some of the region is huge-page backed right now. */
  readonly hugePageBacked: boolean;
}

/** The addon's exported functions. Every call returns numbers; failures are negative codes. */
export interface NativeBinding {
  abiVersion(): number;
  /** Starts the poller on Node's loop; `onBatch(count)` is called once per batch. Returns the record array. */
  pollerStart(onBatch: (count: number) => void): Int32Array | number;
  /** Whether the poller keeps the event loop alive. */
  pollerRef(on: boolean): void;
  pollerAdd(fd: number, kind: number, interest: number): number;
  pollerModify(fd: number, kind: number, interest: number): number;
  pollerRemove(fd: number): number;
  arenaInit(slotSize: number, slotCount: number, hugetlb: boolean): number;
  arenaBuffer(): ArrayBuffer | undefined;
  arenaAcquire(): number;
  arenaRelease(slot: number): number;
  arenaStats(): ArenaStats;
  listen(host: string, port: number, backlog: number, reusePort: boolean): number;
  connect(host: string, port: number): number;
  localPort(fd: number): number;
  accept(fd: number): number;
  peerName(fd: number): { address: string; port: number } | number;
  read(fd: number, into: Uint8Array): number;
  write(fd: number, bytes: Uint8Array, start: number, end: number): number;
  writev(fd: number, chunks: readonly Uint8Array[], firstOffset: number): number;
  sendfile(socketFd: number, fileFd: number, offset: number, length: number): number;
  shutdown(fd: number): number;
  close(fd: number): number;
  setSendBuffer(fd: number, bytes: number): number;
  socketpair(): [number, number] | number;
}

const errnoNames = new Map<number, NativeErrnoName>();
for (const [name, code] of Object.entries(NativeErrno)) errnoNames.set(code, name as NativeErrnoName);

/** The errno name for a negative addon result (`EAGAIN`, `ECONNRESET`, or `E<n>` when unknown). */
export function errnoName(result: number): string {
  const code = -result;
  const known = errnoNames.get(code);
  if (known !== undefined) return known;
  if (code > ERRNO_UNMAPPED_BASE) {
    const errno = code - ERRNO_UNMAPPED_BASE;
    for (const [name, value] of Object.entries(osConstants.errno)) if (value === errno) return name;
    return `E${errno}`;
  }
  return `E?${code}`;
}

/** A failed addon call. `code` is `ERR_NATIVE_<ERRNO>`, `errno` the name, `syscall` the call. */
export class NativeError extends Error {
  readonly code: string;
  readonly errno: string;
  readonly syscall: string;
  /** The raw negative result. */
  readonly result: number;

  constructor(syscall: string, result: number) {
    const errno = errnoName(result);
    super(`${syscall} failed: ${errno}`);
    this.code = `ERR_NATIVE_${errno}`;
    this.errno = errno;
    this.syscall = syscall;
    this.result = result;
  }

  override get name(): string {
    return 'NativeError';
  }
}

/** Returns `result` when it is non-negative, otherwise throws a {@link NativeError} for `syscall`. */
export function check(syscall: string, result: number): number {
  if (result < 0) throw new NativeError(syscall, result);
  return result;
}

let loaded: NativeBinding | null | undefined;
let noticePrinted = false;

/** The package root (the folder holding package.json and binding.gyp). */
export function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Why the addon is not available, or `undefined` when it is. */
export let nativeUnavailableReason: string | undefined;

/**
 * Returns the addon, or `undefined` (after printing one notice) when it cannot be loaded.
 * `quiet` suppresses the notice, for callers that only probe.
 */
export function loadNative(quiet = false): NativeBinding | undefined {
  if (loaded === undefined) {
    if (process.env['HAYATE_NATIVE'] === '0') {
      nativeUnavailableReason = 'disabled by HAYATE_NATIVE=0';
      loaded = null;
    } else {
      const path = join(findPackageRoot(), 'build', 'Release', 'hayate.node');
      try {
        const require = createRequire(import.meta.url);
        const b = require(path) as NativeBinding;
        if (b.abiVersion() !== NATIVE_ABI_VERSION) {
          nativeUnavailableReason = `stale addon at ${path} (ABI ${b.abiVersion()}, want ${NATIVE_ABI_VERSION}; run npm install)`;
          loaded = null;
        } else {
          loaded = b;
        }
      } catch (err) {
        nativeUnavailableReason = `cannot load ${path}: ${(err as Error).message.split('\n')[0] ?? ''}`;
        loaded = null;
      }
    }
  }
  if (loaded === null) {
    if (!quiet && !noticePrinted) {
      noticePrinted = true;
      console.warn(
        `hayate: native addon unavailable (${nativeUnavailableReason ?? 'unknown'}); using node:net`,
      );
    }
    return undefined;
  }
  return loaded;
}
