/**
 * Resolves the conformance vectors: the full set (`VECTORS_DIR`, else `../shared/vectors` beside the project
 * root) when present, else the compact subset committed in test/fixtures/vectors, so a fresh clone runs
 * every vector test. `.ci/run` requires the full set.
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

/** The full shared set (`VECTORS_DIR`, else `../shared/vectors`), which may not exist. */
const fullDir: string = resolve(process.env['VECTORS_DIR'] ?? join(projectRoot, '..', 'shared', 'vectors'));

/** The compact subset committed with the tests (test/fixtures/vectors/README.md says what it holds). */
const compactDir: string = join(projectRoot, 'test', 'fixtures', 'vectors');

/** Which vector set the tests read: the full shared set when present, else the committed subset. */
export const vectorSet: 'full' | 'compact' = existsSync(fullDir) ? 'full' : 'compact';

/** Absolute path of the vectors folder in use. */
export const vectorsDir: string = vectorSet === 'full' ? fullDir : compactDir;

/**
 * Counts over the set in use, each computed from the vector files themselves (story JSON, QIF text), not
 * by hayate: tests assert that they read the whole set.
 */
export interface VectorFacts {
  /** Story files per hpack folder. */
  readonly hpackStories: number;
  /** Header fields in one encoded folder (the same lists in every folder). */
  readonly hpackFields: number;
  /** Bytes of nghttp2's encoding of the stories (what hayate's encoder is compared with). */
  readonly hpackNghttp2WireBytes: number;
  /** QIF input files. */
  readonly qifs: number;
  /** Encoded files of ls-qpack, nghttp3 and f5 together. */
  readonly qpackEncodedFiles: number;
  /** Field sections in those files. */
  readonly qpackSections: number;
}

export const vectorFacts: VectorFacts =
  vectorSet === 'full'
    ? {
        hpackStories: 32,
        hpackFields: 39359,
        hpackNghttp2WireBytes: 360319,
        qifs: 7,
        qpackEncodedFiles: 264,
        qpackSections: 68992,
      }
    : {
        hpackStories: 4,
        hpackFields: 229,
        hpackNghttp2WireBytes: 1179,
        qifs: 3,
        qpackEncodedFiles: 88,
        qpackSections: 1584,
      };

if (vectorSet === 'compact') {
  console.log(`# vectors: the compact subset in ${compactDir} (full set not found at ${fullDir})`);
}

/** True when running under CI (the CI environment variable is set and not "false"/"0"). */
export const isCI: boolean =
  process.env['CI'] !== undefined && process.env['CI'] !== 'false' && process.env['CI'] !== '0';

/**
 * The vectors path joined with `parts` when present. When absent (a file only the full set has): throws in
 * CI, else returns `undefined` after printing why, so the caller can `t.skip()`.
 */
export function vectorPath(...parts: string[]): string | undefined {
  const p = join(vectorsDir, ...parts);
  if (existsSync(p)) return p;
  const why = `vector ${p} not found (${vectorSet} set; set VECTORS_DIR to the full set)`;
  if (isCI) throw new Error(why);
  console.log(`# skip: ${why}`);
  return undefined;
}
