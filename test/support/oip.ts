/**
 * The OIP request fixture for the fraud example model, and the check every
 * gateway error answer must pass.
 */
import { expect } from 'vitest'

/** One fraud-model inference request (4 features, FP64). */
export function fraudRequest (features: readonly number[] = [620, 200, 7, 265]): { inputs: Array<{ name: string, shape: number[], datatype: string, data: number[] }> } {
  return { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [...features] }] }
}

/** The same request as a JSON string, ready to send. */
export const FRAUD_REQUEST = JSON.stringify(fraudRequest())

export interface GatewayErrorBody {
  error: string
  code: string
  model?: string
  version?: string
}

/**
 * Asserts an answer is a gateway error in the one shape: the given status and
 * code, `error` a non-empty string (what OIP clients read), an x-request-id.
 * Returns the body for further checks.
 */
export async function expectGatewayError (res: Response, status: number, code: string): Promise<GatewayErrorBody> {
  const text = await res.text()
  let body: GatewayErrorBody
  try {
    body = JSON.parse(text) as GatewayErrorBody
  } catch {
    throw new Error(`expected a JSON error body, got ${res.status}: ${text.slice(0, 200)}`)
  }
  expect({ status: res.status, code: body.code }).toEqual({ status, code })
  expect(typeof body.error).toBe('string')
  expect(body.error.length).toBeGreaterThan(0)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(res.headers.get('x-request-id')).toBeTruthy()
  return body
}
