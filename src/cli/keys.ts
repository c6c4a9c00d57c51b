import { Option, type Command } from 'commander';
import { ApiError } from '../errors.js';
import { mintKey } from '../keys.js';
import { KEY_NAME_MAX, readKeyName } from '../review/settings.js';
import { OrganizationNameError } from '../organizations.js';
import type { KeyRole } from '../store/tenancy.js';
import { CliError, say, withStore } from './context.js';
import { table } from './table.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `--rate-limit`: requests per second above 0, or `none` (stored as 0: this key is never limited). */
export function parseRateLimit(raw: string): number {
  if (raw.trim().toLowerCase() === 'none') return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 1_000_000) {
    throw new CliError(`--rate-limit must be a number of requests per second above 0 (such as 10 or 0.5), or none for no limit (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** `--name`: the operator API's rule for key names (review/settings.ts), as a CLI error. */
function keyName(raw: string): string | null {
  try {
    return readKeyName({ name: raw });
  } catch (error) {
    if (error instanceof ApiError) throw new CliError(`--${error.message}`);
    throw error;
  }
}

/** How `keys list` shows a key's limit: its own, none, or the server's RATE_LIMIT_RPS. */
const rateLimitText = (rps: number | null | undefined) => (rps === null || rps === undefined ? 'RATE_LIMIT_RPS' : rps === 0 ? 'none' : `${rps}/s`);

export function register(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('mint an API key for an existing organization (--create-org to create it), creating the workspace if missing')
    .requiredOption('--org <name>', 'organization name, exactly as `uprof orgs list` shows it')
    .option('--create-org', 'create the organization if no organization has this name')
    .option('--workspace <name>', 'bind the key to this workspace (default: an organization-wide key)')
    .addOption(new Option('--admin', 'an Admin API key').conflicts('operator'))
    .addOption(new Option('--operator', 'an operator key for the review console and operator API').conflicts('admin'))
    .option('--rate-limit <rps>', "this key's own limit in requests per second (default: the server's RATE_LIMIT_RPS), or none")
    .option('--name <name>', `what history and the console call the key (at most ${KEY_NAME_MAX} characters), instead of its last four`)
    .option('--json', 'print one JSON line')
    .action(async (opts: { org: string; createOrg?: boolean; workspace?: string; admin?: boolean; operator?: boolean; rateLimit?: string; name?: string; json?: boolean }, command: Command) => {
      const role: KeyRole = opts.admin ? 'admin' : opts.operator ? 'operator' : 'platform';
      const rateLimitRps = opts.rateLimit === undefined ? null : parseRateLimit(opts.rateLimit);
      const name = opts.name === undefined ? null : keyName(opts.name);
      const hint = 'Start the server first (npm start), name the database with --database URL or DATABASE_URL, or add --create-org to start a new one.';
      await withStore(command, { mayCreate: opts.createOrg === true, hint }, async (store) => {
        let key;
        try {
          key = await mintKey(store, { organization: opts.org, createOrganization: opts.createOrg === true, workspace: opts.workspace, role, rateLimitRps, name });
        } catch (error) {
          if (error instanceof OrganizationNameError) throw new CliError(error.message);
          throw error;
        }
        if (opts.json) console.log(JSON.stringify(key));
        else {
          console.log(`API key (shown once, store it now): ${key.api_key}`);
          console.log(`key ${key.key_id} (${role}) for organization ${JSON.stringify(opts.org)} ${key.organization_id}, workspace ${key.workspace_id}${key.organization_wide ? ' (organization-wide)' : ''}`);
          if (rateLimitRps !== null) console.log(`rate limit: ${rateLimitText(rateLimitRps)}`);
          if (name !== null) console.log(`name: ${name}`);
        }
      });
    });

  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--org <name>', 'only this organization')
    .option('--json', 'print one JSON line per key')
    .action(async (opts: { org?: string; json?: boolean }, command: Command) => {
      await withStore(command, { mayCreate: false }, async (store) => {
        let organizationId: string | null = null;
        if (opts.org) {
          const organization = await store.tenancy.organizationByName(opts.org);
          if (!organization) throw new CliError(`no organization named ${JSON.stringify(opts.org)}: see uprof orgs list`);
          organizationId = organization.id;
        }
        const listed = await store.tenancy.listKeysWithNames(organizationId);
        const rows = listed.map((key) => ({
          id: key.id, organization_id: key.organizationId, organization_name: key.organizationName, workspace_id: key.workspaceId,
          workspace_name: key.workspaceName, role: key.role, name: key.name, hint: `…${key.hint}`, created_at: iso(key.createdAt), revoked_at: iso(key.revokedAt),
          // null: the server's RATE_LIMIT_RPS applies; 0: never limited
          rate_limit_rps: key.rateLimitRps ?? null,
        }));
        if (opts.json) {
          for (const row of rows) console.log(JSON.stringify(row));
          return;
        }
        if (rows.length === 0) {
          say('no keys yet: mint one with uprof keys create --org NAME');
          return;
        }
        console.log(table(
          ['ID', 'ROLE', 'NAME', 'ORGANIZATION', 'WORKSPACE', 'KEY', 'RATE LIMIT', 'CREATED', 'REVOKED'],
          rows.map((r) => [r.id, r.role, r.name ?? '', r.organization_name, r.workspace_name ?? '(organization-wide)', r.hint, rateLimitText(r.rate_limit_rps), r.created_at!, r.revoked_at ?? '']),
        ));
      });
    });

  keys
    .command('revoke <id>')
    .description('revoke a key by its id (apikey_…)')
    .action(async (id: string, _opts, command: Command) => {
      await withStore(command, { mayCreate: false }, async (store, config) => {
        if (!(await store.tenancy.revokeKey(id, Date.now()))) throw new CliError(`no active key with id ${JSON.stringify(id)}: see uprof keys list`);
        console.log(`revoked ${id}; running servers stop accepting it within ${config.keyCacheTtlMs} ms`);
      });
    });
}
