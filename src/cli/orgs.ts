import type { Command } from 'commander';
import { OrganizationNameError, organizationNamed } from '../organizations.js';
import { CliError, say, withStore } from './context.js';
import { table } from './table.js';

export function register(program: Command): void {
  const orgs = program.command('orgs').description('manage organizations (the tenants: each has its own profiles, keys and webhooks)');

  orgs
    .command('create <name>')
    .description('create an organization with its default workspace')
    .option('--json', 'print one JSON line')
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      await withStore(command, { mayCreate: true }, async (store) => {
        let result;
        try {
          result = await organizationNamed(store, name, { create: true, now: Date.now() });
        } catch (error) {
          if (error instanceof OrganizationNameError) throw new CliError(error.message);
          throw error;
        }
        if (!result.created) throw new CliError(`organization ${JSON.stringify(name)} already exists (${result.organization.id})`);
        const { organization } = result;
        if (opts.json) console.log(JSON.stringify({ id: organization.id, name: organization.name, created_at: new Date(organization.createdAt).toISOString() }));
        else console.log(`created organization ${JSON.stringify(organization.name)} ${organization.id}; mint a key with: uprof keys create --org ${JSON.stringify(organization.name)}`);
      });
    });

  orgs
    .command('list')
    .description('list organizations')
    .option('--json', 'print one JSON line per organization')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withStore(command, { mayCreate: false }, async (store) => {
        const rows = (await store.tenancy.listOrganizations()).map((o) => ({
          id: o.id, name: o.name, created_at: new Date(o.createdAt).toISOString(), active_keys: o.activeKeys,
        }));
        if (opts.json) {
          for (const row of rows) console.log(JSON.stringify(row));
          return;
        }
        if (rows.length === 0) {
          say('no organizations yet: create one with uprof orgs create NAME');
          return;
        }
        console.log(table(['ID', 'NAME', 'CREATED', 'ACTIVE KEYS'], rows.map((r) => [r.id, r.name, r.created_at, String(r.active_keys)])));
      });
    });
}
