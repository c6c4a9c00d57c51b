import type { FastifyInstance } from 'fastify';
import { DIALECT_NAMES, dialectNamed, openApiDocument } from '../contract/openapi.js';
import { invalidRequest } from '../errors.js';
import { queryParam } from './readers.js';
import type { Deps } from './route.js';

/**
 * `GET /v1/openapi.json[?dialect=NAME]`: the OpenAPI document of what this server serves (the emulator's controls
 * only under UPROF_EMULATOR=1), public like any API description. Made once per dialect, on first request.
 */
export function registerOpenApi(app: FastifyInstance, deps: Deps): void {
  const made = new Map<string, string>();
  app.get('/v1/openapi.json', async (request, reply) => {
    const name = queryParam(request, 'dialect');
    const dialect = name === undefined ? null : dialectNamed(name);
    if (dialect === undefined) {
      throw invalidRequest(`dialect: must be one of ${DIALECT_NAMES.map((n) => `"${n}"`).join(', ')} (got ${JSON.stringify(name)}).`);
    }
    const key = name ?? '';
    let text = made.get(key);
    if (text === undefined) {
      text = JSON.stringify(openApiDocument({ dialect, emulator: deps.config.emulator, serverUrl: deps.config.publicUrl }));
      made.set(key, text);
    }
    reply.type('application/json; charset=utf-8');
    return text;
  });
}
