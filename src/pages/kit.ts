import type { FastifyReply } from 'fastify';
import { formatTimestamp } from '../domain/time.js';
import { html, type SafeHtml } from './html.js';

/**
 * The page kit: what every hosted page (portal and console) builds with, in one place — the security
 * headers, the CSRF field of a form, notices, times, status badges and a stacked-table cell.
 */

/**
 * A strict policy: no scripts at all, styles only from our own stylesheets, images only from our own
 * origin (an organization's uploaded logo is served from here), forms only to ourselves, never framed.
 * The pages work without JavaScript.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The headers every page, redirect and error of the hosted pages carries. */
export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store');
}

/** The hidden field that carries a form's CSRF token (src/pages/forms.ts makes and checks them). */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** A refusal, announced to screen readers as it appears. Nothing when there is no message. */
export const errorNotice = (message: string | SafeHtml | undefined) => (message ? html`<p class="error" role="alert">${message}</p>` : '');

/** A confirmation that something was done. */
export const savedNotice = (message: string | SafeHtml | undefined) =>
  message ? html`<p class="notice success" role="status">${message}</p>` : '';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `29 Nov 2026, 12:53 UTC`: the one way the pages write a time. */
export function shortTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `2026-11-29 12:53:07 UTC` (milliseconds when there are any): the full time, for a title. */
export function fullTime(ms: number): string {
  return `${formatTimestamp(ms).replace('T', ' ').replace('Z', '')} UTC`;
}

/** How long ago (or how far ahead) `ms` is from `now`, in the largest unit that reads naturally. */
export function relativeTime(ms: number, now: number): string {
  const seconds = Math.round((now - ms) / 1000);
  const span = Math.abs(seconds);
  if (span < 45) return 'just now';
  const say = (n: number, unit: string, plural = `${unit}s`) => {
    const words = `${n} ${n === 1 ? unit : plural}`;
    return seconds > 0 ? `${words} ago` : `in ${words}`;
  };
  const minutes = Math.max(1, Math.round(span / 60));
  if (minutes < 90) return say(minutes, 'min', 'min');
  const hours = Math.round(span / 3600);
  if (hours < 36) return say(hours, 'h', 'h');
  const days = Math.round(span / 86_400);
  if (days < 60) return say(days, 'day');
  const months = Math.round(span / (30.44 * 86_400));
  if (months < 18) return say(months, 'month');
  return say(Math.round(span / (365.25 * 86_400)), 'year');
}

/**
 * A time as the pages show it: `29 Nov 2026, 12:53 UTC · 3 min ago`, relative to the server's clock,
 * machine-readable in `datetime` and in full in the title. `null` reads as `never`.
 */
export function when(ms: number | null, now: number, never = 'never'): SafeHtml {
  if (ms === null) return html`<span class="muted">${never}</span>`;
  return html`<span class="when"><time datetime="${formatTimestamp(ms)}" title="${fullTime(ms)}">${shortTime(ms)}</time> <span class="ago">· ${relativeTime(ms, now)}</span></span>`;
}

/** Status colours: green for good, amber for waiting, red for trouble, grey for over or none. */
export type Tone = 'good' | 'waiting' | 'bad' | 'none';
export const badge = (tone: Tone, words: string) => html`<span class="status ${tone}">${words}</span>`;

/** A cell of a table that stacks into labelled rows on narrow screens (the label is its column's heading). */
export const cell = (label: string, content: unknown, className = '') =>
  html`<td data-label="${label}"${className ? html` class="${className}"` : ''}>${content}</td>`;
