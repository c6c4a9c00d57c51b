/**
 * Shared helpers for the inference gateway's end-to-end tests: an organization with its platform key, operator
 * key and SDK, the operator routes the gateway adds, and the refusal assertions. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { MintedKey } from '../../src/keys.ts';
import { call, type RawResponse, type TestServer } from '../support/server.ts';
import { expectSdkError } from './profile-api.ts';

/** any model name: the stub and the fake upstream answer for every one (a real one could print deprecation notices) */
export const MODEL = 'claude-test-model';
export const ask = (text: string) => [{ role: 'user' as const, content: text }];

/** The error class the SDK raises for each gateway error code (SDK 1.14 `core/error-classes`). */
export const CODE_CLASSES: Record<string, string> = {
  user_profile_not_found: 'UserProfileNotFoundError',
  user_profile_required: 'UserProfileRequiredError',
  user_profile_billing_not_authorized: 'UserProfileBillingNotAuthorizedError',
};

export interface GatewayOrg {
  name: string;
  platform: MintedKey;
  operator: MintedKey;
  sdk: Anthropic;
  /** the operator API of this organization */
  op(method: string, path: string, body?: unknown): Promise<RawResponse>;
  newProfile(name?: string): Promise<string>;
}

export async function gatewayOrg(server: TestServer, options: { baseURL?: string } = {}): Promise<GatewayOrg> {
  const name = `gateway-${randomUUID()}`;
  const platform = await server.newKey({ organization: name });
  const operator = await server.newKey({ organization: name, role: 'operator' });
  const sdk = new Anthropic({ apiKey: platform.api_key, baseURL: options.baseURL ?? server.baseURL, maxRetries: 0 });
  return {
    name,
    platform,
    operator,
    sdk,
    op: (method, path, body) => call(server, method, `/v1/operator${path}`, { key: operator.api_key, body }),
    newProfile: async (profileName = 'Acme GmbH') => (await sdk.userProfiles.create({ name: profileName })).id,
  };
}

/** An operator call that must succeed; its body. */
export async function opOk(org: GatewayOrg, method: string, path: string, body?: unknown): Promise<any> {
  const res = await org.op(method, path, body);
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}

/**
 * A refusal as the official SDK sees it: the status, the envelope, `error.details.error_code`, and the specific
 * error class where the SDK has one for the code.
 */
export async function expectRefusal(promise: Promise<unknown>, status: number, type: string, code: string): Promise<any> {
  const error = await expectSdkError(promise, status, type);
  assert.equal(error.error.error.details?.error_code, code, `error_code (message: ${error.error.error.message})`);
  assert.equal(error.errorCode, code, 'the SDK reads the code');
  const expected = CODE_CLASSES[code];
  if (expected) assert.equal(error.constructor.name, expected, 'the SDK raises its class for the code');
  return error;
}

/** Waits until `check` stops throwing (metering is written off the request path), or fails with its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The usage report of one profile (or the organization with `profileId` null) over the last day, by day. */
export async function usageOf(org: GatewayOrg, profileId: string | null): Promise<any> {
  const path = profileId === null ? '/usage?granularity=hour' : `/user_profiles/${profileId}/usage?granularity=hour`;
  return opOk(org, 'GET', path);
}
