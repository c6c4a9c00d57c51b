import type { Command } from 'commander';
import { DIALECT_NAMES, dialectNamed, openApiDocument } from '../contract/openapi.js';
import { CliError } from './context.js';

export function register(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the API (what GET /v1/openapi.json serves) and exit')
    .option('--dialect <name>', `one User Profiles dialect only: ${DIALECT_NAMES.join(', ')} (default: all, as anyOf)`)
    .option('--emulator', 'include the emulator controls (served only with UPROF_EMULATOR=1)')
    .option('--server-url <url>', "the document's server URL, e.g. this server's PUBLIC_URL")
    .action((options: { dialect?: string; emulator?: boolean; serverUrl?: string }) => {
      const dialect = options.dialect === undefined ? null : dialectNamed(options.dialect);
      if (dialect === undefined) throw new CliError(`--dialect: no dialect ${JSON.stringify(options.dialect)}; choose one of ${DIALECT_NAMES.join(', ')}.`);
      process.stdout.write(`${JSON.stringify(openApiDocument({ dialect, emulator: options.emulator, serverUrl: options.serverUrl }), null, 2)}\n`);
    });
}
