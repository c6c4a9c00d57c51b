import { Command, Option } from 'commander';
import { loadConfig } from './config.js';
import { mintKey } from './keys.js';
import { register as registerEmulator } from './cli/emulator.js';
import { register as registerFixtures } from './cli/fixtures.js';
import { buildApp } from './server.js';
import { migrate } from './store/migrations.js';
import { openSql, openStore } from './store/index.js';
import type { KeyRole } from './store/tenancy.js';

const program = new Command('uprof').description('Self-hosted User Profiles API').showHelpAfterError();

function storeOptions() {
  const config = loadConfig();
  return { config, options: { databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize } };
}

program
  .command('serve', { isDefault: true })
  .description('serve the API (runs pending migrations first)')
  .action(async () => {
    const { config, options } = storeOptions();
    const store = await openStore({ ...options, serve: { profileCacheSize: config.profileCacheSize } });
    const app = await buildApp(config, store);
    const address = await app.listen({ host: config.host, port: config.port });
    console.log(`uprof is serving the User Profiles API at ${address}`);
    console.log(`database: ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
    console.log('mint an API key with: npx uprof keys create --org "My platform" --json');
    let closing = false;
    const shutdown = async () => {
      if (closing) return;
      closing = true;
      await app.close();
      await store.close();
      process.exit(0);
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const { options } = storeOptions();
    const sql = openSql(options);
    try {
      const applied = await migrate(sql);
      console.log(applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date');
    } finally {
      await sql.close();
    }
  });

const keys = program.command('keys').description('manage API keys');

keys
  .command('create')
  .description('mint an API key, creating the organization and workspace if missing')
  .requiredOption('--org <name>', 'organization name')
  .option('--workspace <name>', 'bind the key to this workspace (default: an organization-wide key)')
  .addOption(new Option('--admin', 'an Admin API key').conflicts('operator'))
  .addOption(new Option('--operator', 'an operator key for the review console and operator API').conflicts('admin'))
  .option('--json', 'print one JSON line')
  .action(async (opts: { org: string; workspace?: string; admin?: boolean; operator?: boolean; json?: boolean }) => {
    const role: KeyRole = opts.admin ? 'admin' : opts.operator ? 'operator' : 'platform';
    const { options } = storeOptions();
    const store = await openStore(options);
    try {
      const key = await mintKey(store, { organization: opts.org, workspace: opts.workspace, role });
      if (opts.json) console.log(JSON.stringify(key));
      else {
        console.log(`API key (shown once, store it now): ${key.api_key}`);
        console.log(`key ${key.key_id} (${role}) for organization ${key.organization_id}, workspace ${key.workspace_id}${key.organization_wide ? ' (organization-wide)' : ''}`);
      }
    } finally {
      await store.close();
    }
  });

keys
  .command('list')
  .description('list keys (never their secrets)')
  .option('--org <name>', 'only this organization')
  .option('--json', 'print one JSON line per key')
  .action(async (opts: { org?: string; json?: boolean }) => {
    const { options } = storeOptions();
    const store = await openStore(options);
    try {
      let organizationId: string | null = null;
      if (opts.org) {
        const organization = await store.tenancy.organizationByName(opts.org);
        if (!organization) throw new Error(`no organization named ${JSON.stringify(opts.org)}`);
        organizationId = organization.id;
      }
      for (const key of await store.tenancy.listKeys(organizationId)) {
        const row = {
          id: key.id, organization_id: key.organizationId, workspace_id: key.workspaceId, role: key.role,
          hint: `…${key.hint}`, created_at: new Date(key.createdAt).toISOString(),
          revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
        };
        console.log(opts.json ? JSON.stringify(row) : `${row.id}  ${row.role.padEnd(8)}  ${row.organization_id}  ${row.workspace_id ?? '(organization-wide)'}  ${row.hint}${row.revoked_at ? `  revoked ${row.revoked_at}` : ''}`);
      }
    } finally {
      await store.close();
    }
  });

keys
  .command('revoke <id>')
  .description('revoke a key by its id (apikey_…)')
  .action(async (id: string) => {
    const { config, options } = storeOptions();
    const store = await openStore(options);
    try {
      if (!(await store.tenancy.revokeKey(id, Date.now()))) throw new Error(`no active key with id ${JSON.stringify(id)}`);
      console.log(`revoked ${id}; running servers stop accepting it within ${config.keyCacheTtlMs} ms`);
    } finally {
      await store.close();
    }
  });

registerFixtures(program);
registerEmulator(program);

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`uprof: ${error.message}`);
  process.exit(1);
});
