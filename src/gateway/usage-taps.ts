/**
 * Reading `usage` off an answer while it passes through, chunk by chunk, without holding the answer back:
 * a stream's server-sent events (`message_start`, then the final `message_delta`), or a JSON body.
 */
import { StringDecoder } from 'node:string_decoder';
import { NO_TOKENS, tokensOf, withDelta, type Tokens } from './usage.js';

export interface UsageTap {
  push(chunk: Buffer): void;
  /** the tokens seen so far; null when the answer carried no usage (an error, or cut before message_start) */
  tokens(): Tokens | null;
}

/**
 * An SSE parser that looks only at what metering needs: `message_start` (input and cache tokens) and each
 * `message_delta` (cumulative counts; the last one wins). Other events (the many deltas of text) are skipped
 * by their `event:` line without parsing their data.
 */
export class StreamUsageTap implements UsageTap {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private event = '';
  private data: string[] = [];
  private start: Tokens | null = null;
  private delta: unknown = null;

  push(chunk: Buffer): void {
    const text = this.carry + this.decoder.write(chunk);
    let from = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
      const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.line(text.slice(from, end));
      from = newline + 1;
    }
    this.carry = text.slice(from);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith('event:')) this.event = line.slice(6).trim();
    else if (line.startsWith('data:') && this.wanted()) this.data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
  }

  /** an event named otherwise is skipped; an unnamed one is read, since its data names its type */
  private wanted(): boolean {
    return this.event === '' || this.event === 'message_start' || this.event === 'message_delta';
  }

  private dispatch(): void {
    const data = this.data.join('\n');
    this.event = '';
    this.data = [];
    if (data === '') return;
    let parsed: { type?: unknown; message?: { usage?: unknown }; usage?: unknown };
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (parsed?.type === 'message_start') this.start = tokensOf(parsed.message?.usage);
    else if (parsed?.type === 'message_delta') this.delta = parsed.usage;
  }

  tokens(): Tokens | null {
    if (this.start === null && this.delta === null) return null;
    return withDelta(this.start ?? NO_TOKENS, this.delta);
  }
}

/** Bodies above this are passed on but not read for usage (no Messages answer comes near it). */
const JSON_TAP_LIMIT = 64 * 1024 * 1024;

/** A JSON answer's `usage`, read once the whole body has passed. */
export class JsonUsageTap implements UsageTap {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= JSON_TAP_LIMIT) this.chunks.push(chunk);
    else this.chunks = [];
  }

  tokens(): Tokens | null {
    if (this.chunks.length === 0) return null;
    try {
      const usage = (JSON.parse(Buffer.concat(this.chunks).toString('utf8')) as { usage?: unknown })?.usage;
      return usage === undefined ? null : tokensOf(usage);
    } catch {
      return null;
    }
  }
}
