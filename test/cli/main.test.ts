/** The `hayate` dispatcher: help and unknown commands. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

test('hayate demo starts the demo server from the installed entry point and answers', async () => {
  const child = spawn(
    process.execPath,
    [cli, 'demo', '--port', '0', '--no-tls', '--host', '127.0.0.1', '--workers', '1'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    let out = '';
    const ready = await new Promise<{ http: number }>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /HAYATE_DEMO_READY (\{.*\})/.exec(out);
        if (m !== null) resolve(JSON.parse(m[1]!) as { http: number });
      });
      child.once('exit', (code) => {
        reject(new Error(`hayate demo exited with ${String(code)}: ${out}`));
      });
    });
    const info = (await (await fetch(`http://127.0.0.1:${ready.http}/api/info`)).json()) as {
      protocol: string;
    };
    assert.equal(info.protocol, 'http/1.1');
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

test('hayate demo --help prints the demo options; a bad option is a usage error', () => {
  const help = spawnSync(process.execPath, [cli, 'demo', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: hayate demo/);
  const bad = spawnSync(process.execPath, [cli, 'demo', '--port', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /hayate demo: /);
});
