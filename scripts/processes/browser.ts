/**
 * Debian's headless Chromium driven by playwright-core: the console's browser
 * tests, its screenshots and bench:console share this launcher. The browser is
 * the system package the install scripts bring (never a downloaded build), in a
 * fresh profile folder removed on close, with everything that would reach
 * outside the machine turned off.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { CHROMIUM } from '../services/install.js'

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

export interface Browser {
  page: Page
  context: BrowserContext
  /** Content-Security-Policy violations the page reported, as "directive: blocked URI". */
  cspViolations: string[]
  /** Uncaught errors in the page. */
  pageErrors: string[]
  close (): Promise<void>
}

export async function launchBrowser (opts: { width?: number, height?: number } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'console-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // playwright passes the fresh profile folder as --user-data-dir.
      args: [...CHROMIUM_FLAGS],
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
      timeout: 60_000
    })
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
  const page = context.pages()[0] ?? await context.newPage()
  const out: Browser = {
    page,
    context,
    cspViolations: [],
    pageErrors: [],
    async close () {
      await context.close().catch(() => {})
      await rm(profile, { recursive: true, force: true })
    }
  }
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text()) })
  page.on('pageerror', (e) => { out.pageErrors.push(e.message) })
  return out
}

/** Signs in on the console's page with `token`; resolves once the sign-in form is gone or an error shows. */
export async function signIn (page: Page, consoleUrl: string, token: string): Promise<void> {
  await page.goto(consoleUrl)
  await page.fill('#token', token)
  await page.click('button[type=submit]')
  await page.waitForSelector('header.top, [data-testid=signin-error]', { timeout: 20_000 })
}
