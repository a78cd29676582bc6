/**
 * Recognises the inference URLs the fast path serves, without a router:
 * `/v2/models/{model}/infer` and `/v2/models/{model}/versions/{version}/infer`,
 * with an optional trailing slash and query string, and the outcome intake's
 * `/v2/models/{model}/outcomes`. Anything else goes to fastify.
 */
export interface InferTarget {
  model: string
  version: string | undefined
}

const PREFIX = '/v2/models/'
const INFER = '/infer'
const VERSIONS = '/versions/'

/** Where the path ends: before the query string and one trailing slash. */
function pathEnd (url: string): number {
  let end = url.indexOf('?')
  if (end === -1) end = url.length
  return url.charCodeAt(end - 1) === 47 /* / */ ? end - 1 : end
}

export function matchInferUrl (url: string): InferTarget | null {
  if (!url.startsWith(PREFIX)) return null
  const end = pathEnd(url)
  if (!url.endsWith(INFER, end)) return null
  const inner = url.slice(PREFIX.length, end - INFER.length)
  const slash = inner.indexOf('/')
  if (slash === -1) {
    const model = decode(inner)
    return model === null ? null : { model, version: undefined }
  }
  if (!inner.startsWith(VERSIONS, slash)) return null
  const rawVersion = inner.slice(slash + VERSIONS.length)
  if (rawVersion.length === 0 || rawVersion.includes('/')) return null
  const model = decode(inner.slice(0, slash))
  const version = decode(rawVersion)
  return model === null || version === null ? null : { model, version }
}

const OUTCOMES = '/outcomes'

/** The model of `/v2/models/{model}/outcomes` (trailing slash and query allowed), else null. */
export function matchOutcomesUrl (url: string): string | null {
  if (!url.startsWith(PREFIX)) return null
  const end = pathEnd(url)
  if (!url.endsWith(OUTCOMES, end)) return null
  const inner = url.slice(PREFIX.length, end - OUTCOMES.length)
  return inner.includes('/') ? null : decode(inner)
}

function decode (segment: string): string | null {
  if (segment.length === 0) return null
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}
