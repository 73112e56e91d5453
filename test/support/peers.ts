/**
 * Finds interop peer tools (curl, nghttp, h2load, wrk, /usr/bin/python3 modules...). A missing peer fails
 * the test in CI and skips it, with a printed reason, elsewhere (DEVELOPERS.md: no silent skips).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadQuiche } from '../../src/transport/quic-quiche.js';
import { isCI } from './vectors.js';

function which(bin: string): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? bin : undefined;
  // Some peers (nghttpd, gtlsserver) install into sbin, which a non-root PATH may lack.
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const p = `${dir}/${bin}`;
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/** The absolute path of `bin`, or `undefined` (after printing why; throws in CI) when it is missing. */
export function requirePeer(bin: string, hint: string): string | undefined {
  const p = which(bin);
  if (p !== undefined) return p;
  const why = `peer tool '${bin}' not found (${hint})`;
  if (isCI) throw new Error(why);
  console.log(`# skip: ${why}`);
  return undefined;
}

/** True when /usr/bin/python3 can import `module`; throws in CI when it cannot. */
export function requirePythonModule(module: string, debPackage: string): string | undefined {
  const py = '/usr/bin/python3';
  if (existsSync(py) && spawnSync(py, ['-c', `import ${module}`]).status === 0) return py;
  const why = `python module '${module}' not importable by ${py} (apt-get install ${debPackage})`;
  if (isCI) throw new Error(why);
  console.log(`# skip: ${why}`);
  return undefined;
}

/**
 * True when the quiche QUIC provider (`@matrixai/quic`) loads. Missing in CI is a failure (the error is
 * thrown); elsewhere the test is skipped with the reason (`t.skip`, or a printed `# skip` line).
 */
export async function quicheAvailable(t?: { skip(message: string): void }): Promise<boolean> {
  try {
    await loadQuiche();
    return true;
  } catch (err) {
    if (isCI) throw err;
    if (t === undefined) console.log(`# skip: QUIC provider unavailable: ${String(err)}`);
    else t.skip(String(err));
    return false;
  }
}
