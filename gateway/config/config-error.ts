/** A config that cannot be used: the file, the path inside it and the reason. */
export class ConfigError extends Error {
  constructor (readonly file: string, readonly path: string, readonly reason: string) {
    super(`${file}: ${path === '' ? '(root)' : path}: ${reason}`)
    this.name = 'ConfigError'
  }
}
