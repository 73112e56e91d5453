/**
 * Interop with python-hpack (python3-hpack, importable only by /usr/bin/python3): python decodes hayate's
 * encodings of every raw-data story, and hayate decodes python's encodings. One python process per
 * direction, driven by test/hpack/interop.py over JSON on stdin/stdout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requirePythonModule } from '../support/peers.js';
import { projectRoot, vectorPath } from '../support/vectors.js';
import { HpackDecoder, HpackEncoder } from '../../src/hpack/index.js';

const script = join(projectRoot, 'test', 'hpack', 'interop.py');

function rawStories(): Array<Array<Array<[string, string]>>> | undefined {
  const dir = vectorPath('hpack', 'raw-data');
  if (dir === undefined) return undefined;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) =>
      (
        JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
          cases: Array<{ headers: Array<Record<string, string>> }>;
        }
      ).cases.map((c) => c.headers.map((h) => Object.entries(h)[0]!)),
    );
}

function runPython(python: string, request: unknown): { stories?: unknown[]; error?: string } {
  const r = spawnSync(python, [script], {
    input: JSON.stringify(request),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { stories?: unknown[]; error?: string };
}

test('python-hpack decodes hayate encodings of every raw-data story', (t) => {
  const python = requirePythonModule('hpack', 'python3-hpack');
  const stories = rawStories();
  if (python === undefined || stories === undefined) {
    t.skip('peer or vectors missing');
    return;
  }
  // Mark one field per block sensitive so never-indexed literals cross over too.
  const inputs = stories.map((story) =>
    story.map((fields) => fields.map(([n, v], i) => [n, v, i === fields.length - 1] as const)),
  );
  const wires = inputs.map((story) => {
    const encoder = new HpackEncoder();
    return story.map((fields) => Buffer.from(encoder.encode(fields)).toString('hex'));
  });
  const result = runPython(python, { mode: 'decode', stories: wires });
  assert.equal(result.error, undefined);
  assert.deepEqual(
    result.stories,
    inputs.map((story) =>
      story.map((fields) =>
        fields.map(([n, v, s]) => [
          n,
          v,
          s || n === 'authorization' || n === 'proxy-authorization' || (n === 'cookie' && v.length < 20),
        ]),
      ),
    ),
  );
});

test('hayate decodes python-hpack encodings of every raw-data story', (t) => {
  const python = requirePythonModule('hpack', 'python3-hpack');
  const stories = rawStories();
  if (python === undefined || stories === undefined) {
    t.skip('peer or vectors missing');
    return;
  }
  const result = runPython(python, { mode: 'encode', stories });
  assert.equal(result.error, undefined);
  const wires = result.stories as string[][];
  assert.equal(wires.length, stories.length);
  for (const [s, story] of stories.entries()) {
    const decoder = new HpackDecoder();
    for (const [c, fields] of story.entries()) {
      assert.deepEqual(
        decoder.decode(Buffer.from(wires[s]![c]!, 'hex')).toArray(),
        fields,
        `story ${s} case ${c}`,
      );
    }
  }
});
