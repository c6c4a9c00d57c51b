// The bare baseline: node:http answering one profile's JSON (BENCH_PROFILE) to every request, as cheaply as
// Node can. uprof's SQLite figures are ratios to this server, measured in the same run.
import http from 'node:http';

const profile = JSON.parse(process.env.BENCH_PROFILE);
http
  .createServer((_request, response) => {
    const body = JSON.stringify(profile);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
