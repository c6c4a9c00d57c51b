import type { TSchema } from '@sinclair/typebox';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { shapeFor, type Contract } from '../../src/contract/route-contract.ts';
import { ErrorEnvelope } from '../../src/contract/schema.ts';
import { dialectFor, type Dialect } from '../../src/dialects/index.ts';
import { ApiError } from '../../src/errors.ts';
import type { RouteConfig } from '../../src/http/route.ts';

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** A contract schema's validator, compiled once (Ajv, JSON Schema 2020-12: lengths in code points, as the contract means them). */
export function validatorOf(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(JSON.parse(JSON.stringify(schema)))));
  return validate;
}

/**
 * Checks answers against their route's contract (src/contract/): a 200 against the route's response schema for
 * the request's dialect, any 4xx/5xx JSON answer against the error envelope.
 */
export class ResponseGuard {
  /**
   * What is wrong with an answer, or null when it keeps the contract. `contract` is null for answers outside the
   * key-authenticated APIs (unknown routes, health): only their errors are checked.
   */
  violations(contract: Contract | null, status: number, dialect: Dialect | null, body: unknown): string | null {
    let schema: TSchema;
    if (status >= 400) schema = ErrorEnvelope;
    else if (contract === null) return null;
    else if (status !== 200) return `status ${status}: the contract declares only 200 and the error envelope`;
    else if (contract.response === undefined) return 'a JSON answer where the contract declares none';
    else if (typeof contract.response === 'function' && dialect === null) return 'a per-dialect answer without a dialect';
    else schema = shapeFor(contract.response, dialect!);
    const validate = validatorOf(schema);
    if (validate(body)) return null;
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
  }

  /**
   * Installs the guard on a test server: every JSON answer is checked as it is sent; an answer that breaks its
   * contract is replaced by a 500 naming the violation (so the test that received it fails, saying why), and
   * recorded in `broken` (the harness fails the suite on close with them all).
   */
  install(app: FastifyInstance, broken: string[]): void {
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const type = reply.getHeader('content-type');
      if (typeof type !== 'string' || !type.startsWith('application/json')) return payload;
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      const config = request.routeOptions.config as Partial<RouteConfig> | undefined;
      const contract = config?.contract ?? null;
      let dialect: Dialect | null = null;
      if (contract !== null && reply.statusCode === 200 && typeof contract.response === 'function') {
        dialect = dialectFor(request.headers['anthropic-beta']);
      }
      let body: unknown;
      try {
        body = JSON.parse(payload.toString());
      } catch {
        body = payload.toString();
      }
      const problem = this.violations(contract, reply.statusCode, dialect, body);
      if (problem === null) return payload;
      const report = `${request.method} ${request.url} → ${reply.statusCode} breaks its contract: ${problem}`;
      broken.push(report);
      throw new ApiError(500, 'api_error', `Response contract violated (test guard): ${report}`);
    });
  }
}
