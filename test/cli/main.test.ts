/** The `hayate` dispatcher: help and unknown commands. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../support/vectors.js';

const cli = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

test('hayate --help lists the qif command; no command is a usage error', () => {
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /qif encode/);
  const none = spawnSync(process.execPath, [cli], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  const bad = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});
