// The console: sign in with an admin token, then the models, one model, the fleet.
// Pages are chosen by the URL's hash (#/models/fraud), so the admin listener
// serves one file and no route of the console ever carries the token.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import 'uplot/dist/uPlot.min.css'
import './style.css'
import { api } from './api'
import { forgetToken, getToken, keepToken, type Who } from './token'
import { SignIn } from './sign-in'
import { ModelsPage } from './models-page'
import { ModelPage } from './model-page'
import { FleetPage } from './fleet-page'

function useHash (): string {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = (): void => { setHash(location.hash) }
    addEventListener('hashchange', on)
    return () => { removeEventListener('hashchange', on) }
  }, [])
  return hash
}

function App () {
  const [who, setWho] = useState<Who | null>(null)
  const [checking, setChecking] = useState(getToken() !== null)
  const hash = useHash()

  // A token kept in this tab from before a reload: ask the gateway whether it still holds.
  useEffect(() => {
    if (getToken() === null) return
    api<Who>('GET', '/admin/whoami').then(setWho, () => { forgetToken() }).finally(() => { setChecking(false) })
  }, [])

  const signIn = async (token: string): Promise<void> => {
    const w = await api<Who>('GET', '/admin/whoami', undefined, token)
    keepToken(token)
    setWho(w)
  }
  const signOut = (): void => { forgetToken(); setWho(null) }

  if (checking) return <main class='page'><p>Checking the token…</p></main>
  if (who === null) return <SignIn onSignIn={signIn} />
  const canAct = who.role === 'admin'
  const m = /^#\/models\/([^/]+)$/.exec(hash)
  const page = m !== null ? <ModelPage model={decodeURIComponent(m[1]!)} canAct={canAct} /> : hash === '#/fleet' ? <FleetPage /> : <ModelsPage />
  return (
    <>
      <header class='top'>
        <a class='brand' href='#/models'>model-gateway</a>
        <nav>
          <a href='#/models' class={m === null && hash !== '#/fleet' ? 'on' : ''}>Models</a>
          <a href='#/fleet' class={hash === '#/fleet' ? 'on' : ''}>Fleet</a>
        </nav>
        <span class='who' data-testid='who'>{who.name} · {canAct ? 'can act' : 'read only'}</span>
        <button type='button' class='link' onClick={signOut}>Sign out</button>
      </header>
      <main class='page'>{page}</main>
    </>
  )
}

render(<App />, document.getElementById('app')!)
