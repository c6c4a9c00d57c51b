import type { Command } from 'commander';
import type { Config } from '../config.js';
import { formatTimestamp } from '../domain/time.js';
import { ApiError } from '../errors.js';
import { readAdvance, readFault } from '../http/routes/operator/emulator/controls.js';
import type { Store } from '../store/index.js';
import { EVERY_ROUTE, type Fault } from '../store/emulator.js';
import { loadMasterKey, SecretBox } from '../webhooks/secrets.js';
import { CliError, lockAgainstServer, openCommandStore } from './context.js';

/**
 * Runs `work` on the named organization, against the same DATABASE_URL and settings as the server. The
 * emulator's controls exist only where UPROF_EMULATOR=1 (decisions §38): the CLI asks the same of its environment.
 */
async function onOrganization<T>(
  command: Command,
  name: string,
  work: (store: Store, organizationId: string, config: Config) => Promise<T>,
  options: { writesProfiles?: string } = {},
): Promise<T> {
  const { store, config, database } = await openCommandStore(command, { mayCreate: false });
  let lock = null;
  try {
    if (!config.emulator) {
      throw new CliError('the emulator controls exist only with UPROF_EMULATOR=1 (set it here as for the server it controls).');
    }
    if (options.writesProfiles) lock = lockAgainstServer(database.sqlitePath, 'A reset', options.writesProfiles);
    const organization = await store.tenancy.organizationByName(name);
    if (!organization) throw new CliError(`no organization named ${JSON.stringify(name)} (uprof orgs list names them)`);
    return await work(store, organization.id, config);
  } catch (error) {
    // the same readers as the API: their refusals are the messages to show
    if (error instanceof ApiError) throw new CliError(error.message);
    throw error;
  } finally {
    lock?.release();
    await store.close();
  }
}

const print = (json: boolean | undefined, value: object, text: string) => console.log(json ? JSON.stringify(value) : text);
const faultJson = (f: Fault) => ({ route: f.route, status: f.status, remaining: f.remaining, retry_after: f.retryAfter });

/** `uprof emulator …`: the operator API's emulator controls, from the command line (README, "Emulator"). */
export function register(program: Command): void {
  const emulator = program.command('emulator').description('emulator controls (UPROF_EMULATOR=1): reset, test clock, forced faults');

  emulator
    .command('reset')
    .description("delete an organization's data (keeping it, its workspaces and keys), and restore the fixture it was loaded from")
    .requiredOption('--org <name>', 'organization name')
    .option('--no-restore', 'only delete, even when the organization was loaded from a fixture')
    .option('--json', 'print one JSON line')
    .action(async (opts: { org: string; restore: boolean; json?: boolean }, command: Command) => {
      const instead = 'Or reset it through the running server: POST /v1/operator/emulator/reset with an operator key.';
      await onOrganization(command, opts.org, async (store, organizationId, config) => {
        const now = Date.now();
        const fixture = opts.restore ? await store.fixtures.sourceOf(organizationId, now) : null;
        const secrets = fixture ? new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile)) : null;
        await store.emulator.reset(organizationId, async (tx) => {
          if (fixture) await store.fixtures.apply(tx, fixture, secrets!, now);
        });
        const restored = fixture?.name ?? null;
        print(opts.json, { type: 'emulator_reset', organization_id: organizationId, restored_fixture: restored },
          `reset ${organizationId}${restored ? `, restored fixture ${restored}` : ''}`);
      }, { writesProfiles: instead });
    });

  emulator
    .command('clock')
    .description("show an organization's clock, after moving it forward with --advance")
    .requiredOption('--org <name>', 'organization name')
    .option('--advance <seconds>', 'move the clock forward this many seconds')
    .option('--json', 'print one JSON line')
    .action((opts: { org: string; advance?: string; json?: boolean }, command: Command) =>
      onOrganization(command, opts.org, async (store, organizationId) => {
        const offset = opts.advance === undefined
          ? await store.emulator.clockOffset(organizationId)
          : await store.emulator.advanceClock(organizationId, readAdvance({ seconds: Number(opts.advance) }));
        const now = formatTimestamp(Date.now() + offset);
        print(opts.json, { type: 'emulator_clock', organization_id: organizationId, now, offset_ms: offset }, `${now} (${offset} ms ahead)`);
      }));

  emulator
    .command('fault')
    .description('make the next requests of a route (or of every route) answer an error')
    .requiredOption('--org <name>', 'organization name')
    .requiredOption('--status <status>', '429, 500, 503 or 529')
    .option('--route <route>', 'e.g. "POST /v1/user_profiles"', EVERY_ROUTE)
    .option('--count <n>', 'how many requests', '1')
    .option('--retry-after <seconds>', 'the retry-after of a 429 (default 1)')
    .option('--json', 'print one JSON line')
    .action((opts: { org: string; status: string; route: string; count: string; retryAfter?: string; json?: boolean }, command: Command) =>
      onOrganization(command, opts.org, async (store, organizationId) => {
        const fault = readFault({
          route: opts.route, status: Number(opts.status), count: Number(opts.count),
          ...(opts.retryAfter === undefined ? {} : { retry_after: Number(opts.retryAfter) }),
        });
        await store.emulator.armFault(organizationId, fault, Date.now());
        print(opts.json, faultJson(fault), `the next ${fault.remaining} request(s) of ${fault.route} answer ${fault.status}`);
      }));

  emulator
    .command('faults')
    .description('list the armed faults (or clear them with --clear)')
    .requiredOption('--org <name>', 'organization name')
    .option('--clear', 'disarm them all')
    .option('--json', 'print one JSON line per fault')
    .action((opts: { org: string; clear?: boolean; json?: boolean }, command: Command) =>
      onOrganization(command, opts.org, async (store, organizationId) => {
        if (opts.clear) {
          const cleared = await store.emulator.clearFaults(organizationId);
          print(opts.json, { type: 'emulator_faults_cleared', cleared }, `cleared ${cleared} fault(s)`);
          return;
        }
        for (const fault of await store.emulator.faults(organizationId)) {
          print(opts.json, faultJson(fault), `${fault.route}  ${fault.status}  ${fault.remaining} left`);
        }
      }));
}
