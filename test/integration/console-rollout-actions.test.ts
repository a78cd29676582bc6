// Operating a good canary from the console: abort a rollout, roll back a
// canary, run a rollout that stops at a manual gate, approve the gate and see
// v3 promoted, promote a canary. Every action goes through a confirmation that
// names what will change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, signIn, type Browser } from '../../scripts/processes/browser.js'
import { adminCall, backgroundLoad, fastPlan, splitOf, warm, type BackgroundLoad, type ReleaseSetup } from './release-harness.js'
import { ADMIN_TOKEN, startConsoleSetup } from '../support/console-setup.js'
import { confirm, openModel, prepareRollout, splitShown } from '../support/console-page.js'
import { eventually } from '../support/eventually.js'

describe('the console, a good canary', () => {
  let s: ReleaseSetup & { consoleUrl: string }
  let browser: Browser
  let load: BackgroundLoad
  beforeAll(async () => {
    s = await startConsoleSetup()
    browser = await launchBrowser()
    load = backgroundLoad(s.gw.url)
    await warm(load)
    await signIn(browser.page, s.consoleUrl, ADMIN_TOKEN)
    await openModel(browser.page, s.consoleUrl)
  }, 120_000)
  afterAll(async () => {
    await load?.stop()
    await browser?.close()
    await s?.stop()
  })

  const status = async (): Promise<string | null> => browser.page.getByTestId('rollout').getAttribute('data-status', { timeout: 20_000 })
  const action = (id: string) => browser.page.locator(`[data-testid=actions] button[data-action=${id}]`)

  it('aborts a running rollout after a confirmation naming the weights that change; v1 back at 100%', async () => {
    await prepareRollout(browser.page, fastPlan({ steps: [{ weight: '20%', bake: '10m' }] }))
    await confirm(browser.page)
    await eventually(async () => { expect(await status()).toBe('running') }, { timeoutMs: 20_000 })
    await eventually(async () => { expect(await splitOf(s.gw)).toEqual({ v3: 2000, v1: 8000 }) }, { timeoutMs: 10_000 })
    await action('abort').click()
    await expect(browser.page.getByTestId('confirm-change').textContent()).resolves.toBe('Abort the rollout of v3: v3 goes from 20% to 0% and v1 back to 100%.')
    await confirm(browser.page)
    await eventually(async () => { expect(await status()).toBe('aborted') }, { timeoutMs: 20_000 })
    expect(await splitOf(s.gw)).toEqual({ v1: 10000 })
  })

  it('rolls a canary set through the API back from its button, after a confirmation naming the weights', async () => {
    expect((await adminCall(s.gw, 'POST', '/admin/models/fraud/canary', { version: 'v3', weight: 1000 })).status).toBe(200)
    await eventually(async () => { expect(await action('rollback').count()).toBe(1) }, { timeoutMs: 10_000 })
    await action('rollback').click()
    await expect(browser.page.getByTestId('confirm-change').textContent()).resolves.toBe('Roll back fraud: v3 goes from 10% to 0% and v1 back to 100%; the canary is cleared.')
    await confirm(browser.page)
    await eventually(async () => { expect(await splitOf(s.gw)).toEqual({ v1: 10000 }) }, { timeoutMs: 10_000 })
  })

  it('runs a rollout to its manual gate, approves the gate, and shows v3 promoted at 100%', async () => {
    await prepareRollout(browser.page, fastPlan({ steps: [{ weight: '20%', bake: '6s' }, { gate: true }] }))
    await confirm(browser.page)
    await eventually(async () => { expect(await status()).toBe('paused') }, { timeoutMs: 90_000, intervalMs: 200 })
    await expect(browser.page.getByTestId('rollout-step').textContent()).resolves.toBe('2/2')
    await action('resume').click()
    await expect(browser.page.getByTestId('confirm-change').textContent()).resolves.toMatch(/^Pass the manual gate at step 2\/2, v3 at /)
    await confirm(browser.page)
    await eventually(async () => { expect(await status()).toBe('promoted') }, { timeoutMs: 30_000, intervalMs: 200 })
    await eventually(async () => { expect(await splitShown(browser.page.getByTestId('model-page'))).toEqual(['v3=10000']) }, { timeoutMs: 10_000 })
    expect(await splitOf(s.gw)).toEqual({ v3: 10000 })
  })

  it('promotes a canary from its button, after a confirmation naming the weights', async () => {
    expect((await adminCall(s.gw, 'POST', '/admin/models/fraud/canary', { version: 'v1', weight: 500 })).status).toBe(200)
    await eventually(async () => { expect(await action('promote').count()).toBe(1) }, { timeoutMs: 10_000 })
    await action('promote').click()
    await expect(browser.page.getByTestId('confirm-change').textContent()).resolves.toBe('Promote v1 to stable: v1 goes from 5% to 100% and v3 from 95% to 0%. A new release starts (new sticky seed).')
    await confirm(browser.page)
    await eventually(async () => { expect(await splitOf(s.gw)).toEqual({ v1: 10000 }) }, { timeoutMs: 10_000 })
  })

  it('ran without a CSP violation or a page error', () => {
    expect(browser.cspViolations).toEqual([])
    expect(browser.pageErrors).toEqual([])
  })
})
