import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.ts';

/** Asserts that `fn` throws a 400 `invalid_request_error` ApiError whose message matches `message`. */
export function assertInvalid(fn: () => unknown, message?: RegExp): ApiError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ApiError, `expected an ApiError, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.type, 'invalid_request_error');
  if (message) assert.match(caught.message, message);
  return caught;
}
