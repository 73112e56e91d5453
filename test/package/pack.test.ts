/**
 * The package as a dependent gets it: `npm pack`, then installed into a fresh project with install scripts
 * ignored (what npm 12 does by default) and without devDependencies, then used with no compiler on PATH.
 * The native transport must come from the prebuilt binary in the tarball; the file list must hold no tests
 * and no source map whose sources are missing.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../support/vectors.js';

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

describe('npm package (pack, install without scripts, use)', () => {
  let work: string;
  let files: string[];
  let app: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'hayate-pack-'));
    // What `prepack` does on npm pack / publish; the pack itself runs no scripts here because `prepare`
    // rebuilds dist/, which the running test suite is using.
    execFileSync(process.execPath, [join(projectRoot, 'native', 'prebuild.mjs')], { stdio: 'ignore' });
    const packed = (
      JSON.parse(
        npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], projectRoot),
      ) as PackResult[]
    )[0]!;
    files = packed.files.map((f) => f.path);
    app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(
      [
        'install',
        '--ignore-scripts',
        '--omit=dev',
        '--omit=optional',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(work, packed.filename),
      ],
      app,
    );
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('ships the prebuilt addon, the compiled code and its sources, and no tests', () => {
    assert.ok(
      files.includes('prebuilds/linux-x64-glibc/hayate.node') || process.platform !== 'linux',
      files.join('\n'),
    );
    assert.ok(files.includes('dist/src/index.js'));
    // Cross-compiled where Debian's aarch64 compiler is installed (CI installs it): test/package/arm64.test.ts.
    if (spawnSync('aarch64-linux-gnu-g++', ['--version']).status === 0) {
      assert.ok(files.includes('prebuilds/linux-arm64-glibc/hayate.node'));
    }
    assert.deepEqual(
      files.filter((f) => /^(dist\/)?(test|bench|fuzz|corpus|examples)\//.test(f) || f.includes('.test.')),
      [],
    );
  });

  it('has no dangling source map: every map source is in the tarball', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 0);
    const shipped = new Set(files);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(projectRoot, m), 'utf8')) as { sources: string[] };
      for (const s of map.sources) {
        const p = posix.normalize(posix.join(posix.dirname(m), s));
        if (!shipped.has(p)) missing.push(`${m} -> ${p}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('declares no install script, and npm runs no implicit node-gyp build (gypfile false)', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'hayate', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
      gypfile?: boolean;
      dependencies?: Record<string, string>;
    };
    for (const s of ['preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts?.[s], undefined, s);
    assert.equal(pkg.gypfile, false);
    assert.ok(pkg.dependencies?.['node-addon-api'], 'node-addon-api for a local build');
  });

  it('serves on the native transport from the prebuilt binary, with no compiler on PATH', () => {
    writeFileSync(
      join(app, 'main.js'),
      `import { createServer } from 'hayate';
const server = createServer((req, res) => { res.end('hello from ' + req.protocol); }, { transport: 'native' });
const { port, transport } = await server.listen(0);
const body = await (await fetch('http://127.0.0.1:' + port + '/')).text();
await server.close();
console.log(JSON.stringify({ transport, body }));
`,
    );
    // Only node's own folder on PATH: no cc, c++, make, python3.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: dirname(process.execPath) };
    delete env['npm_config_node_gyp'];
    const r = spawnSync(process.execPath, ['main.js'], { cwd: app, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { transport: 'native', body: 'hello from http/1.1' });
    assert.doesNotMatch(r.stderr, /native addon unavailable/);
    const which = spawnSync(process.execPath, [join('node_modules', '.bin', 'hayate'), 'native'], {
      cwd: app,
      env,
      encoding: 'utf8',
    });
    assert.equal(which.status, 0, which.stdout + which.stderr);
    assert.match(which.stdout, /native addon: prebuilt \(.*prebuilds\/linux-x64-glibc\/hayate\.node\)/);
  });

  it('falls back to node:net with one notice naming the reason and the build command', () => {
    writeFileSync(
      join(app, 'net.js'),
      `import { createServer } from 'hayate';
const server = createServer((req, res) => { res.end('ok'); });
const { transport } = await server.listen(0);
await server.close();
console.log(transport);
`,
    );
    const r = spawnSync(process.execPath, ['net.js'], {
      cwd: app,
      env: { ...process.env, HAYATE_NATIVE: '0' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'net');
    const notices = r.stderr.split('\n').filter((l) => l.startsWith('hayate:'));
    assert.equal(notices.length, 1, r.stderr);
    assert.match(notices[0]!, /disabled by HAYATE_NATIVE=0.*npx hayate build-native/);
  });
});
