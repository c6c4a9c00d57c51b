import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, internalError, invalidRequest, notFound, requestTooLarge } from '../errors.js';
import { redactUrl } from './redact.js';

/** Fastify's own refusals of a request, in Anthropic's terms. */
function fromFramework(error: FastifyError): ApiError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return requestTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return invalidRequest('Content-Type must be application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidRequest('Content-Length does not match the body.');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return invalidRequest('The request body is not valid JSON.');
  }
  // anything else Fastify answers with a 4xx on its own
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError(error.statusCode, error.statusCode === 404 ? 'not_found_error' : 'invalid_request_error', error.message);
  }
  return null;
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  // decisions §34: a 5xx says whether a retry is safe; ours are not, unless the error says otherwise
  if (error.status >= 500) reply.header('x-should-retry', 'false');
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  return reply.code(error.status).type('application/json').send({
    type: 'error',
    error: { type: error.type, message: error.message, ...(error.details ? { details: error.details } : {}) },
    request_id: reply.request.id,
  });
}

/** One handler, three branches: ours, the framework's, and the unexpected (logged, never leaked). */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ApiError) return sendError(reply, error);
  const framework = fromFramework(error);
  if (framework) return sendError(reply, framework);
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, internalError());
}

/** The answer for a route that does not exist (or must look as if it did not): the path, tokens redacted. */
export const noRoute = (request: FastifyRequest, because = '') =>
  notFound(`No route for ${request.method} ${redactUrl(request.url.split('?')[0])}${because}.`);

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, noRoute(request));
}
