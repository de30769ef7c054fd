// Turns an API error into a sentence for the person in front of the screen.

import { ApiError } from './api';
import { hasKey, t } from './i18n';

/** Minutes until an account unlocks, from the error message or a Retry-After header. */
export function lockMinutes(err: ApiError): number | null {
  const m = /(\d+)\s*(?:minutes?|mins?|phút)/i.exec(err.message);
  if (m) return Number(m[1]);
  if (err.retryAfter) return Math.max(1, Math.ceil(err.retryAfter / 60));
  return null;
}

/** Error codes whose server message adds something the person needs (which field, which limit). */
const DETAILED = new Set([
  'invalid_field',
  'weak_password',
  'missing_field',
  'empty_text',
  'text_too_long',
  'not_audio',
  'truncated_audio',
  'audio_too_long',
  'unsupported_audio',
  'unsupported_media_type',
  'too_large',
  'body_too_large',
  'empty_media',
  'tts_unavailable',
  'invalid_query',
]);

/** The field an error message names ("title: must not be empty" → "title"), if any. */
export function errorField(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  const m = /^([a-z_]+)(?:\/([a-z_]+))?\s*:/.exec(err.message);
  return m ? (m[1] ?? null) : null;
}

export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) {
    return err instanceof Error && err.message ? t('err.server', { message: err.message }) : t('err.generic');
  }
  if (err.code === 'account_locked') {
    const minutes = lockMinutes(err);
    return minutes !== null ? t('err.account_locked_minutes', { minutes }) : t('err.account_locked');
  }
  if (err.code === 'network_error') return t('err.network_error');
  if (err.code.startsWith('csrf')) return t('err.csrf');
  const key = `err.${err.code}`;
  // Codes whose meaning depends on the field or the file keep the server's detail.
  if (DETAILED.has(err.code) && hasKey(key)) {
    return err.message ? t('err.detail', { text: t(key), message: err.message }) : t(key);
  }
  if (hasKey(key)) return t(key);
  return err.message ? t('err.server', { message: err.message }) : t('err.generic');
}
