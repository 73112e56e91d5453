// `npm run fuzz:smoke`: for every compiled target in dist-fuzz/fuzz/, replay corpus/<target>/ with
// --regression, then fuzz for FUZZ_SECONDS (default 30) in a scratch copy of the corpus. Any crash fails.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(root, 'dist-fuzz');
// The fuzz build is CommonJS; mark its folder so Node does not treat it as ESM.
writeFileSync(join(outDir, 'package.json'), '{"type": "commonjs"}\n');
const seconds = Number(process.env.FUZZ_SECONDS ?? 30);
const only = process.argv.slice(2);
const jsfuzz = join(root, 'node_modules', 'jsfuzz', 'build', 'src', 'index.js');
const targets = readdirSync(join(outDir, 'fuzz'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .filter((t) => only.length === 0 || only.includes(t));

// jsfuzz's versifier (on by default) treats a mostly printable input as text and can blow up on long
// printable runs; only the HTTP/1 targets parse text, the rest are binary protocols.
const TEXT_TARGETS = new Set(['http1-request', 'http1-response']);

function replayCorpus(target, corpus) {
  const { fuzz } = require(target);
  for (const f of readdirSync(corpus).sort()) {
    const seed = readFileSync(join(corpus, f));
    try {
      fuzz(seed);
    } catch (err) {
      return `${f}: ${err?.stack ?? err}`;
    }
  }
  return undefined;
}

function run(args, cwd, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jsfuzz, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = limitMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, limitMs)
      : undefined;
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, out });
    });
  });
}

let failed = 0;
for (const t of targets) {
  const target = join(outDir, 'fuzz', `${t}.js`);
  const corpus = join(root, 'corpus', t);
  if (!existsSync(corpus) || readdirSync(corpus).length === 0) {
    console.log(`fuzz:smoke ${t}: FAIL no seeds in corpus/${t}`);
    failed++;
    continue;
  }
  const work = join(root, '.fuzz-work', t);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const seeds = readdirSync(corpus).length;
  // jsfuzz 1.0.15 accepts --regression but ignores it, so the replay is done here, in-process.
  const replayError = replayCorpus(target, corpus);
  if (replayError !== undefined) {
    console.log(`fuzz:smoke ${t}: FAIL replaying seeds: ${replayError}`);
    failed++;
    continue;
  }
  // jsfuzz resolves the target against its working directory even when absolute: pass a relative path.
  const rel = relative(work, target);
  cpSync(corpus, join(work, 'corpus'), { recursive: true });
  const args = [rel, 'corpus', '--rss-limit-mb=1024', '--timeout=10'];
  if (!TEXT_TARGETS.has(t)) args.push('--versifier=false');
  const fuzz = await run(args, work, seconds * 1000);
  const crashes = readdirSync(work).filter((f) => f.startsWith('crash-') || f.startsWith('timeout-'));
  if (!fuzz.timedOut || crashes.length > 0 || /crash was written|Cannot find module/.test(fuzz.out)) {
    console.log(
      `fuzz:smoke ${t}: FAIL after fuzzing (exit ${fuzz.code}, artifacts: ${crashes.join(', ')} in ${work})`,
    );
    console.log(fuzz.out.slice(-4000));
    failed++;
    continue;
  }
  // jsfuzz also exits quietly when its worker cannot load the target; require proof that it ran.
  if (!/exec\/s/.test(fuzz.out)) {
    console.log(`fuzz:smoke ${t}: FAIL jsfuzz did not run\n${fuzz.out.slice(-2000)}`);
    failed++;
    continue;
  }
  const last =
    fuzz.out
      .trim()
      .split('\n')
      .filter((l) => l.includes('execs'))
      .pop() ?? '';
  console.log(`fuzz:smoke ${t}: ok (${seeds} seeds replayed, fuzzed ${seconds}s) ${last.trim()}`);
}
console.log(`fuzz:smoke: ${targets.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && targets.length > 0 ? 0 : 1);
