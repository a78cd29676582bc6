// The signed-in token: in memory and in this tab's sessionStorage (gone when
// the tab closes; never in a URL, a cookie or localStorage).
const KEY = 'model-gateway.token'

export interface Who { name: string, role: 'read' | 'admin' }

let token: string | null = sessionStorage.getItem(KEY)

export function getToken (): string | null {
  return token
}

export function keepToken (t: string): void {
  token = t
  sessionStorage.setItem(KEY, t)
}

export function forgetToken (): void {
  token = null
  sessionStorage.removeItem(KEY)
}
