import { Command } from 'commander';
import { CliError, explain } from './context.js';
import * as backup from './backup.js';
import * as data from './data.js';
import * as emulator from './emulator.js';
import * as fixtures from './fixtures.js';
import * as keys from './keys.js';
import * as migrate from './migrate.js';
import * as openapi from './openapi.js';
import * as orgs from './orgs.js';
import * as serve from './serve.js';
import { VERSION } from './version.js';

/**
 * The `uprof` command. Each command group is a module with `register(program)`; add a module to this list to
 * add its commands. There is no default command: `uprof` alone prints help, and a typo is an unknown command
 * with a suggestion (not a surprise `serve`).
 */
const MODULES: { register(program: Command): void }[] = [serve, migrate, orgs, keys, backup, data, fixtures, emulator, openapi];

const program = new Command('uprof')
  .description('Self-hosted User Profiles API')
  .version(VERSION, '-v, --version', 'print the version')
  .option('--database <url>', 'sqlite:PATH or postgres://… (default: DATABASE_URL, else data/uprof.db here or in a folder above)')
  .showHelpAfterError('(run uprof --help for every command)')
  .showSuggestionAfterError(true);

for (const module of MODULES) module.register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`uprof: ${error instanceof CliError ? error.message : explain(error)}`);
  process.exit(1);
});
