// The PostgreSQL reference: what a straightforward Node service gets from the same database. node:http and a
// pg pool of 10, one query per request, JSON.stringify of what the query returns. It reads the very rows uprof
// serves (uprof's user_profiles table, its organization BENCH_ORG) and inserts rows of the same size into the
// same table under another organization, so both pay for the same table and indexes.
//
//   GET  /profiles/:id   one row by primary key
//   GET  /profiles       the newest 100 of the organization (a keyset page's query: ORDER BY created_at, id)
//   POST /profiles       one INSERT … RETURNING *, from the JSON body uprof's create takes
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const organization = process.env.BENCH_ORG;
const ownOrganization = 'org_naive_reference';
let inserted = 0;

const selectOne = 'SELECT * FROM user_profiles WHERE organization_id = $1 AND id = $2';
const selectPage = 'SELECT * FROM user_profiles WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 101';
const insert = `INSERT INTO user_profiles (organization_id, id, name, name_key, access_type, internal, reference_id, metadata,
  enforcement, awaiting_review, created_at, updated_at) VALUES ($1, $2, $3, $4, 'application', 0, $5, $6, '[]', 0, $7, $7) RETURNING *`;

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function answer(request) {
  if (request.method === 'GET' && request.url.startsWith('/profiles/')) {
    return (await pool.query(selectOne, [organization, request.url.slice('/profiles/'.length)])).rows[0];
  }
  if (request.method === 'GET' && request.url === '/profiles') {
    return { data: (await pool.query(selectPage, [organization])).rows.slice(0, 100) };
  }
  if (request.method === 'POST' && request.url === '/profiles') {
    const body = JSON.parse(await readBody(request));
    const now = Date.now();
    const id = `ref_${now.toString(36)}_${process.pid}_${++inserted}`;
    const name = body.name ?? null;
    const values = [ownOrganization, id, name, name?.toLowerCase() ?? null, body.external_user_details?.reference_id ?? null,
      JSON.stringify(body.metadata ?? {}), now];
    return (await pool.query(insert, values)).rows[0];
  }
  return undefined;
}

http
  .createServer((request, response) => {
    answer(request).then(
      (result) => {
        const body = JSON.stringify(result ?? { error: 'not found' });
        response.writeHead(result ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      },
      (error) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      },
    );
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
