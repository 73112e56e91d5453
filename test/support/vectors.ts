/**
 * Resolves the shared vector folder: `VECTORS_DIR`, else `../shared/vectors` beside the project root.
 * In CI a missing folder fails the test; elsewhere the test skips with a printed reason.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json), found from this file's location. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
})();

/** Absolute path of the vectors folder (may not exist). */
export const vectorsDir: string = resolve(
  process.env['VECTORS_DIR'] ?? join(projectRoot, '..', 'shared', 'vectors'),
);

/** True when running under CI (the CI environment variable is set and not "false"/"0"). */
export const isCI: boolean =
  process.env['CI'] !== undefined && process.env['CI'] !== 'false' && process.env['CI'] !== '0';

/**
 * Returns the vectors path joined with `parts` when present. When absent: throws in CI, else returns
 * `undefined` after printing why, so the caller can `t.skip()`.
 */
export function vectorPath(...parts: string[]): string | undefined {
  const p = join(vectorsDir, ...parts);
  if (existsSync(p)) return p;
  const why = `vectors not found at ${p} (set VECTORS_DIR)`;
  if (isCI) throw new Error(why);
  console.log(`# skip: ${why}`);
  return undefined;
}
