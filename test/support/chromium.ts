/**
 * Headless Chromium for the interop tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
 * puppeteer-core, which downloads no browser. Each launch gets its own throwaway profile.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** puppeteer-core's `launch`. */
export type Launch = typeof import('puppeteer-core').launch;
/** A puppeteer-core browser. */
export type Browser = import('puppeteer-core').Browser;

/** The Chromium binary the tests drive. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** A performance entry as the page code reads it (the project compiles without the DOM library). */
export interface BrowserEntry {
  readonly name: string;
  readonly nextHopProtocol: string;
  readonly responseStatus: number;
  readonly encodedBodySize: number;
}

/** The few browser globals the page code uses. */
export interface BrowserGlobals {
  readonly document: { getElementById(id: string): { readonly textContent: string | null } | null };
  readonly performance: { getEntriesByType(type: string): BrowserEntry[] };
  fetch(
    url: string,
    init?: { method?: string; body?: Uint8Array; cache?: string; headers?: Record<string, string> },
  ): Promise<{ readonly status: number; json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> }>;
  readonly crypto: {
    readonly subtle: { digest(alg: string, data: Uint8Array | ArrayBuffer): Promise<ArrayBuffer> };
  };
}

/** puppeteer-core's `launch` when Chromium is installed and puppeteer-core imports, else why not. */
export async function importChromium(): Promise<Launch | string> {
  if (!existsSync(CHROMIUM)) {
    return `${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`;
  }
  try {
    return (await import('puppeteer-core')).launch;
  } catch (err) {
    return `puppeteer-core not importable (npm install): ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
}

/** A running headless Chromium and its profile folder. */
export interface LaunchedChromium {
  readonly browser: Browser;
  /** The profile folder (`--user-data-dir`), removed by `close()` unless asked to keep it. */
  readonly profile: string;
  /** Closes the browser and removes the profile unless `isKeepingProfile`. */
  readonly close: (isKeepingProfile?: boolean) => Promise<void>;
}

/**
 * Launches headless Chromium on a fresh profile under a temporary folder named from `prefix`;
 * `extraArgs` receives the profile path (for files Chromium should write there, like a net log).
 */
export async function launchChromium(
  launch: Launch,
  prefix: string,
  extraArgs: (profile: string) => readonly string[] = () => [],
): Promise<LaunchedChromium> {
  const profile = mkdtempSync(join(tmpdir(), prefix));
  const browser = await launch({
    executablePath: CHROMIUM,
    headless: true, // --headless=new
    args: [
      '--no-sandbox', // root, and no user namespaces in containers
      `--user-data-dir=${profile}`, // also required for --ignore-certificate-errors-spki-list to apply
      '--no-first-run',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      ...extraArgs(profile),
    ],
  });
  return {
    browser,
    profile,
    close: async (isKeepingProfile = false) => {
      await browser.close();
      if (!isKeepingProfile) rmSync(profile, { recursive: true, force: true });
    },
  };
}
