/**
 * Loads the native addon and types its calls: a local build (build/Release/hayate.node) or the prebuilt
 * binary shipped in the package for this platform (prebuilds/<platform>-<arch>[-glibc|-musl]/hayate.node,
 * Node-API 8, so one file serves every Node version from 20 on). When neither loads (unsupported
 * platform, HAYATE_NATIVE=0) callers get `undefined`, one notice line says why and how to build it, and
 * the portable node:net transport is used instead.
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
  /**
   * WebSocket masking (RFC 6455 §5.3) in one pass: `dst[dstStart + i] = src[srcStart + i] ^ key byte
   * (phase + i) % 4` for `i < srcEnd - srcStart`, `key` the four key bytes big-endian. 0 or -EINVAL (range).
   * Absent from addons built before it.
   */
  maskCopy?(
    dst: Uint8Array,
    dstStart: number,
    src: Uint8Array,
    srcStart: number,
    srcEnd: number,
    key: number,
    phase: number,
  ): number;
  /**
   * Opens a UDP socket bound to host:port (Linux; -ENOSYS elsewhere) whose recvmmsg batches land in
   * `recv`/`recvMeta` and whose sends read `send`/`sendMeta` (UdpMeta layout, `batch` records each).
   * Returns the fd (not yet registered with the poller) or -code.
   */
  udpOpen(
    host: string,
    port: number,
    recv: Uint8Array,
    recvMeta: Int32Array,
    send: Uint8Array,
    sendMeta: Int32Array,
    batch: number,
    slotBytes: number,
    bufferBytes: number,
  ): number;
  udpConnect(fd: number, host: string, port: number): number;
  /** Sends the first `count` send records (sendmmsg, GSO runs): records consumed, or -EAGAIN. */
  udpSend(fd: number, count: number): number;
  /** UdpMeta.INFO_* bits of the socket. */
  udpInfo(fd: number): number;
  /** Datagrams dropped by udpSend for non-retryable errors. */
  udpDropped(fd: number): number;
  /** Test hook: the next `count` udpSend calls return -EAGAIN without sending. */
  udpFailSends(fd: number, count: number): number;
  /** Unregisters, closes and frees the socket. */
  udpClose(fd: number): number;
  /**
   * QUIC packet protection (native/aead.h); absent from addons built before it (then node:crypto serves).
   * `kind`: 0 AES-128-GCM, 1 AES-256-GCM, 2 ChaCha20-Poly1305. A handle, or -1.
   */
  aeadNew?(kind: number, key: Uint8Array): NativeAeadHandle | number;
  /** Encrypts `buf[start, end)` in place, tag at `buf[end, end + 16)`: 0, or -1. */
  aeadSeal?(
    h: NativeAeadHandle,
    nonce: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    start: number,
    end: number,
  ): number;
  /** Decrypts `src[start, end - 16)` (tag last) into `dst` at `dstStart`: plaintext length, or -1. */
  aeadOpen?(
    h: NativeAeadHandle,
    nonce: Uint8Array,
    aad: Uint8Array,
    src: Uint8Array,
    start: number,
    end: number,
    dst: Uint8Array,
    dstStart: number,
  ): number;
  /** Header protection (RFC 9001 §5.4); `kind` as for aeadNew (AES-ECB or ChaCha20). A handle, or -1. */
  hpNew?(kind: number, key: Uint8Array): NativeAeadHandle | number;
  /** The mask for the 16-byte sample at `bytes[offset]` into `out[0, 5)` (`out` >= 16 bytes): 0, or -1. */
  hpMask?(h: NativeAeadHandle, bytes: Uint8Array, offset: number, out: Uint8Array): number;
}

/** An opaque AEAD context owned by the addon (freed when collected). */
export interface NativeAeadHandle {
  readonly __nativeAead: never;
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

/** The Node-API version the addon is built for (binding.gyp `NAPI_VERSION`): Node 20 and later have it. */
export const ADDON_NAPI_VERSION = 8;

/**
 * The folder name of this platform's prebuilt addon under `prebuilds/` (native/prebuild.mjs writes the
 * same): `linux-x64-glibc`, `linux-arm64-glibc`, `linux-x64-musl`, `darwin-arm64`, ...
 */
export function prebuildKey(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  // glibcVersionRuntime is set only when Node runs on glibc.
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return `${base}-${header?.glibcVersionRuntime === undefined ? 'musl' : 'glibc'}`;
}

/** Which addon was loaded: a local build, the prebuilt binary shipped in the package, or none. */
export type NativeSource = 'local' | 'prebuilt' | 'none';

/** Where the addon came from (set by the first {@link loadNative}). */
export let nativeSource: NativeSource = 'none';
/** The file the addon was loaded from, or undefined. */
export let nativePath: string | undefined;
/** Why the addon is not available, or `undefined` when it is. */
export let nativeUnavailableReason: string | undefined;

/** Loads one candidate; the reason it cannot be used otherwise. */
function tryLoad(path: string): NativeBinding | string {
  if (!existsSync(path)) return `${path} not found`;
  try {
    const require = createRequire(import.meta.url);
    const b = require(path) as NativeBinding;
    if (b.abiVersion() !== NATIVE_ABI_VERSION) {
      return `stale addon at ${path} (ABI ${b.abiVersion()}, want ${NATIVE_ABI_VERSION})`;
    }
    return b;
  } catch (err) {
    return `cannot load ${path}: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
}

/**
 * Finds the addon, in this order: a local build (`build/Release/hayate.node`, from `npx hayate
 * build-native` or a development checkout: the user built it on purpose, for this machine), then the
 * prebuilt binary for this platform shipped in the package (`prebuilds/<key>/hayate.node`, no install
 * script needed), then none (node:net).
 */
function locate(): NativeBinding | null {
  if (process.env['HAYATE_NATIVE'] === '0') {
    nativeUnavailableReason = 'disabled by HAYATE_NATIVE=0';
    return null;
  }
  const napi = Number(process.versions['napi'] ?? 0);
  if (napi < ADDON_NAPI_VERSION) {
    nativeUnavailableReason = `Node-API ${napi} is older than the addon's ${ADDON_NAPI_VERSION}`;
    return null;
  }
  const root = findPackageRoot();
  const reasons: string[] = [];
  const candidates: [NativeSource, string][] = [
    ['local', join(root, 'build', 'Release', 'hayate.node')],
    ['prebuilt', join(root, 'prebuilds', prebuildKey(), 'hayate.node')],
  ];
  for (const [source, path] of candidates) {
    const r = tryLoad(path);
    if (typeof r === 'string') {
      reasons.push(r);
      continue;
    }
    nativeSource = source;
    nativePath = path;
    return r;
  }
  nativeUnavailableReason = `no prebuilt addon for ${prebuildKey()} and no local build: ${reasons.join('; ')}`;
  return null;
}

/**
 * Returns the addon, or `undefined` (after printing one notice) when it cannot be loaded.
 * `quiet` suppresses the notice, for callers that only probe.
 */
export function loadNative(quiet = false): NativeBinding | undefined {
  if (loaded === undefined) loaded = locate();
  if (loaded === null) {
    if (!quiet && !noticePrinted) {
      noticePrinted = true;
      console.warn(
        `hayate: native addon unavailable (${nativeUnavailableReason ?? 'unknown'}); using node:net. ` +
          'To build it for this machine: npx hayate build-native (needs a C++ toolchain and python3)',
      );
    }
    return undefined;
  }
  return loaded;
}
