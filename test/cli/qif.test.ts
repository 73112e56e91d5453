/** Runs the built CLI (node dist/src/cli/main.js) as a user would. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { projectRoot, vectorPath } from '../support/vectors.js';

const cli = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'hayate-qif-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function hayate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bin entry starts with a node shebang', () => {
  assert.ok(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('qif encode then decode round-trips a QIF file', { skip: vectorPath('qpack') === undefined }, () => {
  const qif = join(vectorPath('qpack')!, 'qifs', 'netbsd-hq.qif');
  const encoded = join(work, 'netbsd-hq.out.256.100.1');
  const back = join(work, 'netbsd-hq.qif');
  let r = hayate('qif', 'encode', qif, encoded, '--table', '256', '--blocked', '100', '--ack', '1');
  assert.equal(r.status, 0, r.stderr);
  r = hayate('qif', 'decode', encoded, back, '--table', '256', '--blocked', '100', '--strict');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(back), readFileSync(qif));
});

test(
  'qif decode reads settings from the file name and sorts by stream id',
  { skip: vectorPath('qpack') === undefined },
  () => {
    // f5 writes stream 1 before the inserts it needs (blocked), settings 256/100 from the name.
    const input = join(vectorPath('qpack')!, 'encoded', 'qpack-05', 'f5', 'netbsd-hq.out.256.100.0');
    const out = join(work, 'f5.qif');
    const r = hayate('qif', 'decode', input, out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(join(vectorPath('qpack')!, 'qifs', 'netbsd-hq.qif')));
  },
);

test(
  'qif decode reports a QPACK error with exit status 1',
  { skip: vectorPath('qpack') === undefined },
  () => {
    const r = hayate(
      'qif',
      'decode',
      join(vectorPath('qpack')!, 'encoded', 'errors', 'err4'),
      join(work, 'e.qif'),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ERR_QPACK_INVALID_BASE \(wire 0x200\)/);
  },
);

test('help and usage errors', () => {
  let r = hayate('qif', '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /hayate qif encode <in\.qif> <out>/);
  assert.match(r.stdout, /--strict/);
  r = hayate('qif', 'encode', 'only-one-arg');
  assert.equal(r.status, 2);
  r = hayate('qif', 'decode', 'a', 'b', '--ack', '2');
  assert.equal(r.status, 2);
  r = hayate('nope');
  assert.equal(r.status, 2);
  r = hayate('qif', 'decode', join(work, 'missing'), join(work, 'x'));
  assert.equal(r.status, 2);
});
