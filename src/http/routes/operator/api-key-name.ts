import { Type } from '@sinclair/typebox';
import { Closed, Enum, Id, Nullable, Params } from '../../../contract/schema.js';
import { notFound } from '../../../errors.js';
import { KeyNameBody, readKeyName } from '../../../review/settings.js';
import { idParam } from '../../readers.js';
import type { OperatorCall, Route } from '../../route.js';

/** POST /v1/operator/api_keys/{key_id}: name a key of the organization (as the pages show it). */
export const nameApiKey: Route<OperatorCall> = {
  method: 'POST',
  url: '/v1/operator/api_keys/:key_id',
  contract: {
    id: 'operatorNameApiKey',
    summary: 'Name an API key',
    params: Params('key_id'),
    body: KeyNameBody,
    bodyRequired: true,
    response: Closed(
      { type: Type.Literal('api_key'), id: Id('apikey'), name: Nullable(Type.String()), hint: Type.String(), role: Enum(['platform', 'admin', 'operator'] as const) },
      { title: 'ApiKey' },
    ),
  },
  async handle({ request, principal, deps }) {
    const missing = (id: string) => notFound(`No API key ${JSON.stringify(id)} in your organization.`);
    const id = idParam(request, 'key_id', 'apikey', missing);
    const name = readKeyName(request.body);
    if (!(await deps.store.tenancy.setKeyName(principal.organizationId, id, name))) throw missing(id);
    const label = (await deps.store.tenancy.keyLabels(principal.organizationId, [id])).get(id)!;
    return { type: 'api_key', id, name: label.name, hint: `…${label.hint}`, role: label.role };
  },
};
