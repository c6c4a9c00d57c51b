import { hash, timingSafeEqual } from 'node:crypto';
import { invalidRequest } from '../errors.js';

export type SortOrder = 'asc' | 'desc';
export type SortField = 'created_at' | 'name';

/**
 * Where a list walk stands: the sort key of the last row it has passed. For `name` order, `name` is the
 * ASCII-folded name or null (nameless profiles come last in both directions, decisions §17).
 */
export type ListPosition =
  | { by: 'created_at'; createdAt: number; id: string }
  | { by: 'name'; name: string | null; id: string };

/** What a cursor is bound to: a cursor made for one sort (or filter) is refused under another (decisions §18). */
export interface CursorBinding {
  order: SortOrder;
  orderBy: SortField;
  /** a canonical text of any filter (GA `enforcement_status`), '' without one */
  filter: string;
}

const PREFIX = 'page_';
const MAC_BYTES = 16;

/**
 * Opaque, tamper-evident list cursors: `page_` + base64url(JSON payload ‖ truncated HMAC-SHA256).
 * The key is the server secret shared by every process on one database.
 */
export class CursorCodec {
  private readonly sign: (...message: Buffer[]) => Buffer;

  constructor(key: Buffer) {
    this.sign = hmacSha256(key);
  }

  encode(binding: CursorBinding, position: ListPosition): string {
    const key = position.by === 'created_at' ? [position.createdAt, position.id] : [position.name, position.id];
    const payload = Buffer.from(JSON.stringify([1, binding.order, binding.orderBy, binding.filter, key]));
    return PREFIX + Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /** The position a cursor names, or a 400 when it is garbled, forged, or made for another sort. */
  decode(cursor: string, binding: CursorBinding): ListPosition {
    const garbled = () => invalidRequest('page: not a valid page cursor. Use the next_page value from a previous response unchanged.');
    if (!cursor.startsWith(PREFIX)) throw garbled();
    const raw = Buffer.from(cursor.slice(PREFIX.length), 'base64url');
    if (raw.length <= MAC_BYTES || raw.toString('base64url') !== cursor.slice(PREFIX.length)) throw garbled();
    const payload = raw.subarray(0, raw.length - MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(payload))) throw garbled();
    const [version, order, orderBy, filter, key] = JSON.parse(payload.toString('utf8')) as [number, SortOrder, SortField, string, [unknown, string]];
    if (version !== 1) throw garbled();
    if (order !== binding.order || orderBy !== binding.orderBy || filter !== binding.filter) {
      throw invalidRequest(
        `page: this cursor was made for order=${order}, order_by=${orderBy}${filter ? ` and a filter` : ''}; repeat the same query parameters with it.`,
      );
    }
    return orderBy === 'created_at'
      ? { by: 'created_at', createdAt: key[0] as number, id: key[1] }
      : { by: 'name', name: key[0] as string | null, id: key[1] };
  }

  private mac(payload: Buffer): Buffer {
    return this.sign(CONTEXT, payload).subarray(0, MAC_BYTES);
  }
}

const CONTEXT = Buffer.from('cursor\0');

/**
 * HMAC-SHA256 (RFC 2104) of a message given in parts, with the key's pads made once, as two one-shot
 * hashes (the parts are copied once, behind the inner pad). Every list page signs its cursor, and on a busy
 * server a `createHmac` object per call costs about half as much again as the rest of the cursor
 * (measured: 16.5 µs against 11.5 µs per encode under the list benchmark's load).
 */
export function hmacSha256(key: Buffer): (...message: Buffer[]) => Buffer {
  const block = Buffer.alloc(64);
  (key.length > 64 ? hash('sha256', key, 'buffer') : key).copy(block);
  const inner = Buffer.from(block.map((byte) => byte ^ 0x36));
  const outer = Buffer.from(block.map((byte) => byte ^ 0x5c));
  return (...message) => hash('sha256', Buffer.concat([outer, hash('sha256', Buffer.concat([inner, ...message]), 'buffer')]), 'buffer');
}
