import { Type } from '@sinclair/typebox';
import { Closed, Enum, Nullable, Params } from '../../../contract/schema.js';
import { CUSTOM_ID, MAX_BATCH_REQUESTS } from '../../../gateway/batches.js';

/*
 * The contracts of the inference gateway's routes (decisions §39). Bodies go upstream byte for byte and answers
 * may be the upstream's, so these schemas name what uprof reads (the attribution, the stub model, metering) and
 * what it writes itself, and let every other field pass: objects stay open unless uprof makes the whole answer.
 */

const Count = Type.Integer({ minimum: 0 });
const Blocks = Type.Array(Type.Object({ type: Type.String() }));

/** `?beta=true`: how the SDK's beta clients call the same routes (passed upstream as sent). */
const Beta = { beta: Type.Optional(Type.Literal('true', { description: "the SDK's beta clients add it; passed upstream as sent" })) };
export const BetaQuery = Closed(Beta);

const BillingPolicy = Type.Object(
  { type: Type.Literal('billing_policy'), bill_to: Type.Optional(Nullable(Enum(['self', 'user_profile']))) },
  { title: 'BillingPolicy', description: 'Who is billed: `user_profile` needs the profile named in anthropic-user-profile-id and its billing authorized.' },
);

/** what the stub model reads of a request, and what attribution reads (billing_policy) */
const request = {
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(
    Type.Object({ role: Enum(['user', 'assistant']), content: Type.Union([Type.String(), Blocks]) }),
    { minItems: 1 },
  ),
  system: Type.Optional(Type.Union([Type.String(), Blocks])),
  metadata: Type.Optional(Type.Object({}, { description: 'passed upstream as sent' })),
  billing_policy: Type.Optional(Nullable(BillingPolicy)),
};

const createFields = {
  ...request,
  max_tokens: Type.Integer({ minimum: 1 }),
  stream: Type.Optional(Type.Boolean({ description: 'true: the answer is a stream of server-sent events' })),
};

export const MessageCreateParams = Type.Object(createFields, {
  title: 'MessageCreateParams',
  description: 'The Messages API body; every field goes upstream as sent (the stub model reads those named here).',
});

export const MessageCountTokensParams = Type.Object(request, {
  title: 'MessageCountTokensParams',
  description: 'Counting tokens bills nobody: billing_policy is accepted and ignored.',
});

export const MessageBatchCreateParams = Type.Object(
  {
    requests: Type.Array(
      Type.Object({
        custom_id: Type.String({ pattern: CUSTOM_ID.source }),
        params: Type.Object({
          ...createFields,
          user_profile_id: Type.Optional(Type.String({ description: "must agree with the batch's anthropic-user-profile-id; removed before forwarding" })),
        }),
      }),
      { minItems: 1, maxItems: MAX_BATCH_REQUESTS },
    ),
  },
  { title: 'MessageBatchCreateParams' },
);

const Usage = Type.Object({
  input_tokens: Count,
  output_tokens: Count,
  cache_creation_input_tokens: Type.Optional(Nullable(Count)),
  cache_read_input_tokens: Type.Optional(Nullable(Count)),
});

export const MessageSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('message'),
    role: Type.Literal('assistant'),
    model: Type.String(),
    content: Blocks,
    stop_reason: Nullable(Type.String()),
    stop_sequence: Nullable(Type.String()),
    usage: Usage,
  },
  { title: 'Message', description: "The stub model's answer, or the upstream's as it came." },
);

/** `"stream": true` (Message and its events: src/gateway/stub.ts, or the upstream's as they come) */
export const MessageStream = Type.String({
  description:
    'Server-sent events, in the API\'s order: message_start, content_block_start, ping, content_block_delta…, ' +
    'content_block_stop, message_delta (with the usage), message_stop.',
});

export const MessageTokensCount = Type.Object({ input_tokens: Count }, { title: 'MessageTokensCount' });

const Time = Type.String({ format: 'date-time' });

export const MessageBatchSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('message_batch'),
    processing_status: Enum(['in_progress', 'canceling', 'ended']),
    request_counts: Type.Object({ processing: Count, succeeded: Count, errored: Count, canceled: Count, expired: Count }),
    ended_at: Nullable(Time),
    created_at: Time,
    expires_at: Time,
    archived_at: Nullable(Time),
    cancel_initiated_at: Nullable(Time),
    results_url: Nullable(Type.String({ format: 'uri', description: "on uprof: its results are read through uprof" })),
  },
  {
    title: 'MessageBatch',
    description: "The stub's batch, or the upstream's with uprof's errored requests counted in and its results_url on uprof.",
  },
);

/** uprof's own page of the workspace's batches made through it (src/gateway/index.ts listBatches) */
export const MessageBatchList = Closed(
  { data: Type.Array(MessageBatchSchema), has_more: Type.Boolean(), first_id: Nullable(Type.String()), last_id: Nullable(Type.String()) },
  { title: 'MessageBatchList' },
);

export const ListQuery = Closed({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 20' })),
  after_id: Type.Optional(Type.String({ description: 'the page after this batch (not with before_id)' })),
  before_id: Type.Optional(Type.String({ description: 'the page before this batch (not with after_id)' })),
  ...Beta,
});

export const BatchParams = Params('message_batch_id');

/** The results as the stub writes them or the upstream sends them, with uprof's errored lines after the upstream's. */
export const BatchResults = Type.String({
  description: 'JSON Lines: one {"custom_id", "result"} per request; result.type is succeeded (with its message), errored, canceled or expired.',
});
