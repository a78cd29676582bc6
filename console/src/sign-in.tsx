// Sign-in: the token goes to /admin/whoami in a header; a refused one is said so.
import { useState } from 'preact/hooks'
import { ApiError } from './api'

export function SignIn ({ onSignIn }: { onSignIn: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await onSignIn(token.trim())
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'This token is not accepted by the gateway.' : `Could not sign in: ${(err as Error).message}`)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class='signin'>
      <h1>model-gateway console</h1>
      <form onSubmit={(e) => { void submit(e) }} autocomplete='off'>
        <label for='token'>Admin token</label>
        <input id='token' name='token' type='password' value={token} onInput={(e) => { setToken((e.target as HTMLInputElement).value) }} required autofocus />
        <button type='submit' disabled={busy || token.trim() === ''}>Sign in</button>
        {error !== null && <p class='error' role='alert' data-testid='signin-error'>{error}</p>}
      </form>
      <p class='hint'>The token stays in this tab (sessionStorage) and goes to the gateway only in the Authorization header. Read tokens see; admin tokens act.</p>
    </main>
  )
}
