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
  // Codes whose meaning depends on the field (invalid_field, weak_password) keep the server's detail.
  if ((err.code === 'invalid_field' || err.code === 'weak_password') && hasKey(key)) {
    return err.message ? t('err.detail', { text: t(key), message: err.message }) : t(key);
  }
  if (hasKey(key)) return t(key);
  return err.message ? t('err.server', { message: err.message }) : t('err.generic');
}
