// Driving the console's model page in the browser tests: open it, start a
// rollout through the form and its confirmation, record every rollout status
// the page showed.
import type { Locator, Page } from 'playwright-core'

export async function openModel (page: Page, consoleUrl: string, model = 'fraud'): Promise<void> {
  await page.goto(`${consoleUrl}#/models/${model}`)
  await page.getByTestId('model-page').waitFor({ timeout: 20_000 })
}

/** Fills the start form with a JSON plan, opens the confirmation; returns its text (the confirmation stays open). */
export async function prepareRollout (page: Page, plan: object, version = 'v3'): Promise<string> {
  const form = page.getByTestId('start-rollout')
  await form.locator('select[name=version]').selectOption(version)
  await form.locator('input[value=json]').check()
  await form.locator('textarea[name=plan-json]').fill(JSON.stringify(plan))
  await form.locator('button[data-action=start]').click()
  return (await page.getByTestId('confirm-change').textContent()) ?? ''
}

export async function confirm (page: Page): Promise<void> {
  await page.getByTestId('confirm-go').click()
  await page.getByTestId('confirm').waitFor({ state: 'detached', timeout: 20_000 })
}

/**
 * Starts recording, in the page, every value the rollout panel's data-status
 * takes. The code runs in the page (this project's TypeScript has no DOM types, so it is a string).
 */
export async function recordStatuses (page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const seen = []
    window.statuses = seen
    const note = () => {
      const s = document.querySelector('[data-testid=rollout]')?.getAttribute('data-status')
      if (s != null && seen[seen.length - 1] !== s) seen.push(s)
    }
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] })
    note()
  })()`)
  return async () => await page.evaluate('window.statuses.slice()') as string[]
}

/** The split bar inside `scope` as the page draws it: "version=basis points" per segment, in bar order. */
export async function splitShown (scope: Locator): Promise<string[]> {
  return scope.locator('[data-testid=split] .seg').evaluateAll(els => els.map(e => `${e.getAttribute('data-version')}=${e.getAttribute('data-weight')}`))
}
