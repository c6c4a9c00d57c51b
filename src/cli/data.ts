import { createReadStream, existsSync, renameSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { openStore } from '../store/index.js';
import { inSnapshot } from '../store/snapshot.js';
import { exportEndpoints, exportHistory, exportProfiles, exportWorkspaces, ImportWriter, refreshStatistics } from '../store/transfer.js';
import {
  endpointLine, headerLine, historyLine, parseHeader, parseLine, profileLine, RecordError, workspaceLine,
} from '../transfer/records.js';
import { loadMasterKey, SecretBox } from '../webhooks/secrets.js';
import { announceDatabase, CliError, commandConfig, lockAgainstServer, say } from './context.js';
import { Progress } from './progress.js';

/** Writes a line, waiting when the stream asks (a slow pipe or disk): memory stays flat at any size. */
async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write one organization as NDJSON (profiles, webhook endpoints; --history adds history) to stdout or a file')
    .requiredOption('--org <name>', 'the organization, by name')
    .option('--history', 'include every profile\'s change history')
    .option('--reveal-secrets', 'write webhook signing secrets in clear (default: sealed with the master key, as stored)')
    .option('-o, --output <file>', 'write to this file (made whole or not at all) instead of stdout')
    .action(async (opts: { org: string; history?: boolean; revealSecrets?: boolean; output?: string }, command: Command) => {
      const { config, database } = commandConfig(command);
      announceDatabase(database, { mayCreate: false });
      const box = opts.revealSecrets ? new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile)) : null;
      if (opts.output && existsSync(opts.output)) throw new CliError(`${opts.output} exists: choose a new file name (export never overwrites)`);
      const partial = opts.output ? `${opts.output}.partial` : null;
      const out: Writable = partial ? createWriteStream(partial, { flags: 'wx', mode: 0o600 }) : process.stdout;
      const started = Date.now();
      const counts = { profiles: 0, history: 0, endpoints: 0 };
      try {
        await inSnapshot({ databaseUrl: database.url }, async (sql) => {
          const organization = await sql.get<{ id: string; name: string; created_at: number }>('SELECT id, name, created_at FROM organizations WHERE name = ?', [opts.org]);
          if (!organization) throw new CliError(`no organization named ${JSON.stringify(opts.org)}: see uprof orgs list`);
          const orgId = organization.id;
          await writeLine(out, headerLine({
            organization: { id: orgId, name: organization.name, createdAt: organization.created_at },
            history: opts.history === true, signingSecrets: box ? 'clear' : 'sealed',
          }));
          for await (const w of exportWorkspaces(sql, orgId)) await writeLine(out, workspaceLine(w));
          for await (const p of exportProfiles(sql, orgId)) {
            await writeLine(out, profileLine(p));
            counts.profiles++;
          }
          if (opts.history) {
            for await (const h of exportHistory(sql, orgId)) {
              await writeLine(out, historyLine(h));
              counts.history++;
            }
          }
          for await (const e of exportEndpoints(sql, orgId, box ? (sealed) => box.open(sealed) : null)) {
            await writeLine(out, endpointLine(e));
            counts.endpoints++;
          }
        });
        if (partial) {
          await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
          renameSync(partial, opts.output!);
        }
      } catch (error) {
        if (partial) {
          out.destroy();
          rmSync(partial, { force: true });
        }
        throw error;
      }
      say(`exported ${counts.profiles} profiles${opts.history ? `, ${counts.history} history records` : ''}, ${counts.endpoints} webhook endpoints ` +
        `of ${JSON.stringify(opts.org)} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (box ? '; the signing secrets are IN CLEAR in this file: keep it like a password' : '; signing secrets sealed: importing needs this master key'));
    });

  program
    .command('import [file]')
    .description('read an export (a file, or stdin when omitted or "-") into this database, by id, all or nothing')
    .option('--json', 'print the summary as one JSON line')
    .action(async (file: string | undefined, opts: { json?: boolean }, command: Command) => {
      const { config, database } = commandConfig(command);
      const fromStdin = file === undefined || file === '-';
      if (!fromStdin && !existsSync(file)) throw new CliError(`no file ${file}`);
      announceDatabase(database, { mayCreate: true });
      const lock = lockAgainstServer(database.sqlitePath, 'An import');
      const started = Date.now();
      try {
        const store = await openStore({ databaseUrl: database.url, sqliteSynchronous: config.sqliteSynchronous, postgresPoolSize: config.postgresPoolSize });
        try {
          const box = new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile));
          const input = fromStdin ? process.stdin : createReadStream(file);
          const progress = new Progress(fromStdin ? null : statSync(file).size);
          const bytesRead = () => (fromStdin ? 0 : (input as ReturnType<typeof createReadStream>).bytesRead);
          const counts = { workspaces: 0, profiles: 0, history: 0, endpoints: 0 };
          let organizationName = '';
          let lineNumber = 0;
          await store.sql.transaction(async (tx) => {
            let writer: ImportWriter | null = null;
            let organizationId = '';
            const lines = createInterface({ input, crlfDelay: Infinity });
            try {
              for await (const text of lines) {
                lineNumber++;
                if (text.trim() === '') continue;
                try {
                  if (writer === null) {
                    const header = parseHeader(text);
                    organizationId = header.organization.id;
                    organizationName = header.organization.name;
                    writer = new ImportWriter(tx, organizationId);
                    if ((await writer.organization(header.organization)) === 'name_taken') {
                      throw new RecordError(`another organization here is already named ${JSON.stringify(organizationName)} (a different id): rename one of them first`);
                    }
                    continue;
                  }
                  const line = parseLine(text, organizationId);
                  switch (line.type) {
                    case 'workspace':
                      await writer.workspace(line.record);
                      counts.workspaces++;
                      break;
                    case 'profile':
                      await writer.profile(line.record);
                      counts.profiles++;
                      break;
                    case 'history':
                      await writer.history(line.record);
                      counts.history++;
                      break;
                    case 'webhook_endpoint': {
                      const secret = line.record.secret;
                      let sealed: string;
                      if ('clear' in secret) sealed = box.seal(secret.clear);
                      else {
                        try {
                          box.open(secret.sealed);
                        } catch {
                          throw new RecordError(
                            `the signing secret of ${line.record.id} does not open with this master key (${config.masterKey ? 'UPROF_MASTER_KEY' : config.masterKeyFile}): ` +
                              'import with the master key the export was made with, or export again with --reveal-secrets');
                        }
                        sealed = secret.sealed;
                      }
                      await writer.endpoint(line.record, sealed);
                      counts.endpoints++;
                      break;
                    }
                  }
                } catch (error) {
                  if (error instanceof RecordError) throw new CliError(`line ${lineNumber}: ${error.message}. Nothing was imported.`);
                  throw error;
                }
                if ((lineNumber & 1023) === 0) progress.update(lineNumber, bytesRead());
              }
            } finally {
              lines.close();
            }
            if (writer === null) throw new CliError('the input is empty: nothing was imported.');
            await writer.flushProfiles();
            const defaults = await writer.defaultWorkspaces();
            if (defaults !== 1) throw new CliError(`the organization would have ${defaults} default workspaces (it needs exactly one): nothing was imported.`);
          });
          progress.done(lineNumber, bytesRead());
          await refreshStatistics(store.sql);
          const seconds = (Date.now() - started) / 1000;
          const summary = { organization: organizationName, ...counts, seconds: Math.round(seconds * 10) / 10 };
          if (opts.json) console.log(JSON.stringify(summary));
          else {
            console.log(`imported ${counts.profiles} profiles, ${counts.history} history records, ${counts.endpoints} webhook endpoints and ` +
              `${counts.workspaces} workspaces into ${JSON.stringify(organizationName)} in ${seconds.toFixed(1)} s`);
          }
        } finally {
          await store.close();
        }
      } finally {
        lock?.release();
      }
    });
}
