// The admin API as the console calls it: the public routes only, the token in
// the Authorization header (never in a URL), errors in the catalogue's shape.
import { getToken } from './token'

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

export async function api<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, token: string | null = getToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' })
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the gateway did not answer: ${(err as Error).message}`)
  }
  const text = await res.text()
  let json: unknown = null
  try { json = text === '' ? null : JSON.parse(text) } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = json as { error?: string, code?: string } | null
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.error ?? `HTTP ${res.status}`)
  }
  return json as T
}

export const enc = encodeURIComponent

/** An error as a line for the page: the gateway's message and its code. */
export function errorText (err: unknown): string {
  return err instanceof ApiError ? `${err.message}${err.code.startsWith('GW_') ? ` (${err.code})` : ''}` : String(err)
}
