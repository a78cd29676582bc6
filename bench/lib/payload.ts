/**
 * The request every contender serves: one row of the fraud example model's
 * four features (scorer-sdk/examples/fraud/model.ts: amount,
 * account_age_days, tx_last_24h, distance_km), a body of about 200 bytes.
 */
export const MODEL = 'fraud'
export const INFER_PATH = `/v2/models/${MODEL}/infer`
export const STICKY_HEADER = 'x-user-id'
/** The data-plane API key of the "keys and quotas on" contender; not a secret. */
export const BENCH_API_KEY = 'bench-api-key-not-secret-0123456789'
export const INFER_BODY = JSON.stringify({
  id: '6f1c2a9e-bench-request-000001',
  parameters: { source: 'bench', channel: 'card-present', merchant: 'm-000123' },
  inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [250.0, 30, 3, 12.5] }]
})

/** One request as a smoke test before load: a contender that does not answer 200 with a score is a setup bug. */
export async function checkInfer (baseUrl: string, name: string, authorization?: string): Promise<Headers> {
  const res = await fetch(baseUrl + INFER_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [STICKY_HEADER]: 'smoke-test-user', ...(authorization === undefined ? {} : { authorization }) },
    body: INFER_BODY,
    signal: AbortSignal.timeout(5_000)
  })
  const text = await res.text()
  if (res.status !== 200 || !text.includes('fraud_probability')) {
    throw new Error(`${name}: smoke request to ${baseUrl}${INFER_PATH} got ${res.status} ${text.slice(0, 300)}`)
  }
  return res.headers
}
