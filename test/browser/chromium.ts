/**
 * Debian's Chromium driven by playwright-core (no browser download). Browser tests skip, with a
 * message saying why, only when /usr/bin/chromium is absent; .ci/run installs it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots and exports go (gitignored). */
export const TEST_OUTPUT = path.join(__dirname, '..', '..', 'test-output');

export const hasChromium = existsSync(CHROMIUM_PATH);

/** `describe`, or `describe.skip` with a clear message when Chromium is missing. */
export function describeWithChromium(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
    return;
  }
  describe.skip(
    `${name} (skipped: ${CHROMIUM_PATH} is absent; install it with apt-get install chromium)`,
    body,
  );
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, no network services of its own, and a fixed viewport. */
export async function launchChromium(viewport = { width: 1500, height: 1000 }): Promise<Browser> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'stackfleet-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
