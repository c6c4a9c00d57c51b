// The fake upstream of the gateway benchmark: an Anthropic-compatible Messages endpoint in plain node:http that
// answers at once, so that what is measured is what the gateway adds. POST /v1/messages reads the body and answers
// a fixed message (with usage); with "stream":true in the body, the real API's events, the first at once and the
// rest STREAM_GAP_MS later (so that the time to the first byte is told apart from the time to the last).
import http from 'node:http';

const GAP_MS = Number(process.env.STREAM_GAP_MS || 20);
const usage = { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 10, output_tokens: 12 };
const message = JSON.stringify({
  id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-model',
  content: [{ type: 'text', text: 'A fixed answer from the fake upstream of the gateway benchmark.' }],
  stop_reason: 'end_turn', stop_sequence: null, usage,
});
const sse = (event, data) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const first = sse('message_start', {
  type: 'message_start',
  message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-model', content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
});
const rest = [
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('ping', { type: 'ping' }),
  ...['A ', 'fixed ', 'streamed ', 'answer.'].map((text) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 12 } }),
  sse('message_stop', { type: 'message_stop' }),
].join('');

http
  .createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"not_found_error","message":"fake"}}');
        return;
      }
      if (!Buffer.concat(chunks).includes('"stream":true')) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(message), 'request-id': 'req_bench' });
        response.end(message);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_bench' });
      response.write(first);
      setTimeout(() => response.end(rest), GAP_MS);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
