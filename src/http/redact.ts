/** Link tokens travel in URLs; they must never reach a log line or be echoed in an error message. */
export function redactUrl(url: string): string {
  return url.replace(/(enrollment_token=)[^&]*/g, '$1[redacted]').replace(/(\/user-profiles\/enrollment\/)[^/?]*/g, '$1[redacted]');
}
