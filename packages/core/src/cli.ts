/**
 * Runs a stage CLI's main: an error prints as one clear message (the stack only with GOODHART_DEBUG=1, since
 * config and artifact errors already name the field or file) and exits 1.
 */
export function runCli(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const stack = process.env.GOODHART_DEBUG === '1' && error instanceof Error && error.stack ? `\n${error.stack}` : '';
    process.stderr.write(`${name}: ${message}${stack}\n`);
    process.exit(1);
  });
}
