import { invalidRequest } from '../errors.js';
import type { Tokens } from '../tokens.js';

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

/**
 * Opaque, tamper-evident list cursors: `page_` + a token of the purpose 'list cursor' (src/tokens.ts)
 * carrying the sort, the filter and the position. Cursors do not expire: a position stays meaningful.
 */
export class CursorCodec {
  constructor(private readonly tokens: Tokens) {}

  encode(binding: CursorBinding, position: ListPosition): string {
    const key = position.by === 'created_at' ? [position.createdAt, position.id] : [position.name, position.id];
    return PREFIX + this.tokens.seal('list cursor', [binding.order, binding.orderBy, binding.filter, key]);
  }

  /** The position a cursor names, or a 400 when it is garbled, forged, or made for another sort. */
  decode(cursor: string, binding: CursorBinding): ListPosition {
    const garbled = () => invalidRequest('page: not a valid page cursor. Use the next_page value from a previous response unchanged.');
    if (!cursor.startsWith(PREFIX)) throw garbled();
    const opened = this.tokens.open('list cursor', cursor.slice(PREFIX.length));
    if (!opened.ok || !Array.isArray(opened.claims)) throw garbled();
    const [order, orderBy, filter, key] = opened.claims as [SortOrder, SortField, string, [unknown, string]];
    if (order !== binding.order || orderBy !== binding.orderBy || filter !== binding.filter) {
      throw invalidRequest(
        `page: this cursor was made for order=${order}, order_by=${orderBy}${filter ? ` and a filter` : ''}; repeat the same query parameters with it.`,
      );
    }
    return orderBy === 'created_at'
      ? { by: 'created_at', createdAt: key[0] as number, id: key[1] }
      : { by: 'name', name: key[0] as string | null, id: key[1] };
  }
}
