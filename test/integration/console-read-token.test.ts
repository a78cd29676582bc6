// A read token in the console sees the model but no action, and a write call
// forged from the page with that token is refused with 403 GW_FORBIDDEN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, signIn, type Browser } from '../../scripts/processes/browser.js'
import { splitOf, type ReleaseSetup } from './release-harness.js'
import { READ_TOKEN, startConsoleSetup } from '../support/console-setup.js'
import { openModel } from '../support/console-page.js'

describe('the console with a read token', () => {
  let s: ReleaseSetup & { consoleUrl: string }
  let browser: Browser
  beforeAll(async () => {
    s = await startConsoleSetup()
    browser = await launchBrowser()
    await signIn(browser.page, s.consoleUrl, READ_TOKEN)
    await openModel(browser.page, s.consoleUrl)
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await s?.stop()
  })

  it('says the token is read only and shows the model with no action button and no start form', async () => {
    await expect(browser.page.getByTestId('who').textContent()).resolves.toBe('viewer · read only')
    await browser.page.getByTestId('versions').waitFor()
    expect(await browser.page.locator('button[data-action]').count()).toBe(0)
    expect(await browser.page.getByTestId('start-rollout').count()).toBe(0)
  })

  it('reads the per-version series the model page draws: 60 five-second points per version from this instance', async () => {
    const answer = await browser.page.evaluate(`fetch('/admin/models/fraud/series?seconds=300&step=5', {
      headers: { authorization: 'Bearer ' + sessionStorage.getItem('model-gateway.token') }
    }).then(r => r.json())`) as { source: string, step: number, versions: Array<{ version: string, points: unknown[] }> }
    expect(answer.source).toBe('local')
    expect(answer.versions.map(v => [v.version, v.points.length])).toEqual([['v1', 60], ['v3', 60]])
  })

  it('gets 403 GW_FORBIDDEN for a rollback forged from the page with its token; the split is unchanged', async () => {
    const before = await splitOf(s.gw)
    const answer = await browser.page.evaluate(`fetch('/admin/models/fraud/rollback', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + sessionStorage.getItem('model-gateway.token'), 'content-type': 'application/json' },
      body: '{}'
    }).then(async r => ({ status: r.status, body: await r.json() }))`) as { status: number, body: { code: string } }
    expect(answer.status).toBe(403)
    expect(answer.body.code).toBe('GW_FORBIDDEN')
    expect(await splitOf(s.gw)).toEqual(before)
  })
})
