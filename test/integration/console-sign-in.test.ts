// The console on `npm run demo`: a wrong token is refused, the demo's token
// signs in and the page shows the demo's split; under a strict CSP with no
// violation, and the token never in a URL or the gateway's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { launchBrowser, signIn, type Browser } from '../../scripts/processes/browser.js'
import { startDemo, type DemoProcess } from '../support/demo-process.js'
import { eventually } from '../support/eventually.js'
import { splitShown } from '../support/console-page.js'

describe('the console on the demo', () => {
  let demo: DemoProcess
  let browser: Browser
  const urls: string[] = []
  beforeAll(async () => {
    demo = await startDemo()
    browser = await launchBrowser()
    browser.page.on('request', (r) => { urls.push(r.url()) })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await demo?.stop()
  })

  it('serves /console/ with a Content-Security-Policy that allows no inline script', async () => {
    const res = await request(demo.consoleUrl)
    await res.body.text()
    expect(res.statusCode).toBe(200)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).toContain("default-src 'none'")
  })

  it('weighs under 300 KB gzipped on first load: the page and every file it links', async () => {
    const get = async (url: string): Promise<{ bytes: number, text: string, encoding: unknown }> => {
      const res = await request(url, { headers: { 'accept-encoding': 'gzip' } })
      const body = Buffer.from(await res.body.arrayBuffer())
      expect(res.statusCode, url).toBe(200)
      return { bytes: body.length, text: res.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString(), encoding: res.headers['content-encoding'] }
    }
    const index = await get(demo.consoleUrl)
    const linked = [...index.text.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map(m => m[1]!)
    expect(linked.some(l => l.endsWith('.js'))).toBe(true)
    expect(linked.some(l => l.endsWith('.css'))).toBe(true)
    let total = index.bytes
    for (const l of linked) {
      const f = await get(new URL(l, demo.consoleUrl).href)
      expect(f.encoding, l).toBe('gzip')
      total += f.bytes
    }
    expect(total).toBeLessThan(300 * 1024)
  })

  it('refuses a wrong token with a message and stays on the sign-in form', async () => {
    await signIn(browser.page, demo.consoleUrl, 'not-the-demo-token')
    await expect(browser.page.getByTestId('signin-error').textContent()).resolves.toMatch(/not accepted/)
    expect(await browser.page.locator('header.top').count()).toBe(0)
  })

  it('signs in with the demo token and shows the split: v1 90%, v2 10%', async () => {
    await signIn(browser.page, demo.consoleUrl, demo.token)
    const split = browser.page.getByTestId('model-fraud').getByTestId('split')
    await eventually(async () => {
      expect((await splitShown(browser.page.getByTestId('model-fraud'))).sort()).toEqual(['v1=9000', 'v2=1000'])
    }, { timeoutMs: 20_000 })
    await expect(split.textContent()).resolves.toMatch(/v2 10%.*v1 90%/)
  })

  it('ran without a CSP violation or a page error', () => {
    expect(browser.cspViolations).toEqual([])
    expect(browser.pageErrors).toEqual([])
  })

  it('never put the token in a URL the page requested', () => {
    expect(urls.length).toBeGreaterThan(3)
    expect(urls.filter(u => u.includes(demo.token))).toEqual([])
  })

  it('never wrote the token to the gateway log', async () => {
    const logFile = /logs\s+(\S+)/.exec(demo.output())![1]!
    const log = await readFile(logFile, 'utf8')
    expect(log).toContain('admin call refused')
    expect(log).not.toContain(demo.token)
  })
})
