// A rollout of a bad canary started from the console: the page shows it
// running, then rolled back by the errors check, with that check's figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, signIn, type Browser } from '../../scripts/processes/browser.js'
import { backgroundLoad, fastPlan, splitOf, warm, type BackgroundLoad, type ReleaseSetup } from './release-harness.js'
import { ADMIN_TOKEN, startConsoleSetup } from '../support/console-setup.js'
import { confirm, openModel, prepareRollout, recordStatuses, splitShown } from '../support/console-page.js'
import { eventually } from '../support/eventually.js'

describe('the console, a canary answering 5% of requests with 500', () => {
  let s: ReleaseSetup & { consoleUrl: string }
  let browser: Browser
  let load: BackgroundLoad
  beforeAll(async () => {
    s = await startConsoleSetup({ errorRate: 0.05 })
    browser = await launchBrowser()
    load = backgroundLoad(s.gw.url)
    await warm(load)
  }, 120_000)
  afterAll(async () => {
    await load?.stop()
    await browser?.close()
    await s?.stop()
  })

  it('starts the rollout after a confirmation that names the version, the stable and the plan', async () => {
    await signIn(browser.page, s.consoleUrl, ADMIN_TOKEN)
    await openModel(browser.page, s.consoleUrl)
    const change = await prepareRollout(browser.page, fastPlan())
    expect(change).toMatch(/Start a rollout of v3 on fraud against stable v1, with this plan: 2 steps \(20% for 6s, then 50% for 4s\); checks: errors, latency, outputs/)
    const statuses = await recordStatuses(browser.page)
    await confirm(browser.page)
    const rollout = browser.page.getByTestId('rollout')
    await eventually(async () => { expect(await rollout.getAttribute('data-status')).toBe('rolled-back') }, { timeoutMs: 90_000, intervalMs: 200 })
    expect(await statuses()).toEqual(['running', 'rolled-back'])
  })

  it('shows the errors check failed with its figures: canary error rate over 2%, stable 0', async () => {
    const row = browser.page.locator('[data-testid=rollout] tr[data-check=errors]')
    await expect(row.getAttribute('data-verdict')).resolves.toBe('fail')
    const canaryRate = Number(await row.locator('dd[data-figure=canaryErrorRate]').textContent())
    expect(canaryRate).toBeGreaterThan(0.02)
    await expect(row.locator('dd[data-figure=stableErrorRate]').textContent()).resolves.toBe('0')
    await expect(browser.page.getByTestId('rollout-reason').textContent()).resolves.toMatch(/^errors failed/)
  })

  it('shows the split back at v1 100%, as the admin API has it', async () => {
    await eventually(async () => { expect(await splitShown(browser.page.getByTestId('model-page'))).toEqual(['v1=10000']) }, { timeoutMs: 10_000 })
    expect(await splitOf(s.gw)).toEqual({ v1: 10000 })
  })

  it('shows the rollback in the timeline and the audit trail', async () => {
    await eventually(async () => {
      await expect(browser.page.getByTestId('timeline').textContent()).resolves.toContain('rollback')
      await expect(browser.page.getByTestId('audit').textContent()).resolves.toMatch(/rollout-start/)
    }, { timeoutMs: 15_000 })
    expect(browser.cspViolations).toEqual([])
    expect(browser.pageErrors).toEqual([])
  })
})
