/** One `model-gateway` command: a summary for the help list, and its run, which returns the exit code. */
export interface Command {
  summary: string
  run (argv: string[]): Promise<number>
}
