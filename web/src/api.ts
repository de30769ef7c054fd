// Thin JSON client for /api/v1. The session lives in an HttpOnly cookie; the CSRF token is kept
// in memory only (re-obtained from /auth/me on every page load) and sent on every write.

import type {
  AppNotification,
  Bulletin,
  BulletinInput,
  BulletinQuery,
  BulletinRevision,
  CreatedUser,
  ItemList,
  MediaRef,
  LegacyLookup,
  Meta,
  RoleGrant,
  Session,
  Unit,
  User,
  VoiceSettings,
} from './types';

const PREFIX = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds, from a Retry-After header, when the server sent one. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

let csrfToken = '';
let onSessionLost: (() => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an authenticated request answers 401 (session expired or revoked). */
export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A request body sent as is (e.g. an audio file), with its own Content-Type. */
export class RawBody {
  constructor(
    readonly data: Blob,
    readonly contentType: string,
  ) {}
}

async function request<T>(method: Method, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof RawBody) {
    headers['Content-Type'] = body.contentType || 'application/octet-stream';
    payload = body.data;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(PREFIX + path, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof err?.code === 'string' ? err.code : `http_${res.status}`;
    const message = typeof err?.message === 'string' ? err.message : res.statusText || `HTTP ${res.status}`;
    const ra = Number(res.headers.get('Retry-After'));
    const apiErr = new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : null);
    if (res.status === 401 && opts.auth !== false && onSessionLost) onSessionLost();
    throw apiErr;
  }
  if (data === null) throw new ApiError(res.status, 'bad_response', 'Response is not JSON');
  return data as T;
}

const enc = encodeURIComponent;

/** A file as a raw request body; the browser's type, or octet-stream when it has none. */
export function fileBody(file: Blob): RawBody {
  return new RawBody(file, file.type || 'application/octet-stream');
}

/**
 * An image as a raw request body. The server accepts any image/* type (or octet-stream) and
 * judges by content, so a file without a usable type goes as octet-stream and still gets a
 * precise answer (not_image, unsupported_image…) instead of unsupported_media_type.
 */
export function imageBody(file: Blob): RawBody {
  return new RawBody(file, file.type.startsWith('image/') ? file.type : 'application/octet-stream');
}

export const api = {
  meta: () => request<Meta>('GET', '/meta', undefined, { auth: false }),

  login: (username: string, password: string) =>
    request<Session>('POST', '/auth/login', { username, password }, { auth: false }),
  logout: () => request<void>('POST', '/auth/logout', undefined, { auth: false }),
  me: () => request<Session>('GET', '/auth/me', undefined, { auth: false }),
  changePassword: (current_password: string, new_password: string) =>
    request<void>('POST', '/auth/password', { current_password, new_password }, { auth: false }),

  unitRoots: () => request<ItemList<Unit>>('GET', '/units/roots'),
  unit: (code: string) => request<Unit>('GET', `/units/${enc(code)}`),
  unitChildren: (code: string) => request<ItemList<Unit>>('GET', `/units/${enc(code)}/children`),
  searchUnits: (q: string, opts: { level?: string; limit?: number } = {}) => {
    const p = new URLSearchParams({ q });
    if (opts.level) p.set('level', opts.level);
    p.set('limit', String(opts.limit ?? 50));
    return request<ItemList<Unit>>('GET', `/units?${p.toString()}`);
  },
  addVillage: (communeCode: string, name: string, type: string) =>
    request<Unit>('POST', `/units/${enc(communeCode)}/villages`, { name, type }),
  renameUnit: (code: string, name: string) => request<Unit>('PATCH', `/units/${enc(code)}`, { name }),
  legacyCommune: (oldCode: string) => request<LegacyLookup>('GET', `/legacy-communes/${enc(oldCode)}`),

  users: () => request<ItemList<User>>('GET', '/users'),
  user: (id: number) => request<User>('GET', `/users/${id}`),
  createUser: (body: {
    username: string;
    display_name: string;
    unit_code: string;
    password?: string;
    roles: RoleGrant[];
  }) => request<CreatedUser>('POST', '/users', body),
  updateUser: (
    id: number,
    body: { display_name?: string; unit_code?: string; disabled?: boolean; roles?: RoleGrant[] },
  ) => request<User>('PATCH', `/users/${id}`, body),
  resetPassword: (id: number) => request<{ password: string }>('POST', `/users/${id}/reset-password`),

  bulletins: (query: BulletinQuery = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    }
    const qs = p.toString();
    return request<ItemList<Bulletin>>('GET', `/bulletins${qs ? `?${qs}` : ''}`);
  },
  bulletin: (id: number) => request<Bulletin>('GET', `/bulletins/${id}`),
  createBulletin: (body: BulletinInput) => request<Bulletin>('POST', '/bulletins', body),
  updateBulletin: (id: number, body: BulletinInput) => request<Bulletin>('PATCH', `/bulletins/${id}`, body),
  bulletinAction: (id: number, action: 'submit' | 'approve' | 'publish' | 'archive') =>
    request<Bulletin>('POST', `/bulletins/${id}/${action}`),
  returnBulletin: (id: number, reason: string) => request<Bulletin>('POST', `/bulletins/${id}/return`, { reason }),
  revisions: (id: number) => request<ItemList<BulletinRevision>>('GET', `/bulletins/${id}/revisions`),
  approvalQueue: () => request<ItemList<Bulletin>>('GET', '/bulletins/approval-queue'),
  library: (unitCode: string) => request<ItemList<Bulletin>>('GET', `/units/${enc(unitCode)}/library`),

  spokenText: (id: number) => request<{ text: string }>('GET', `/bulletins/${id}/spoken-text`),
  synthesize: (id: number, voice: VoiceSettings) => request<Bulletin>('POST', `/bulletins/${id}/audio/synthesize`, voice),
  uploadAudio: (id: number, file: Blob) => request<Bulletin>('PUT', `/bulletins/${id}/audio`, fileBody(file)),
  /** 201 with the bulletin; the server judges the image by its bytes (PNG, JPEG or WebP). */
  addImage: (id: number, file: Blob) => request<Bulletin>('POST', `/bulletins/${id}/images`, imageBody(file)),
  removeImage: (id: number, mediaId: string) => request<Bulletin>('DELETE', `/bulletins/${id}/images/${enc(mediaId)}`),

  notifications: (unreadOnly: boolean) =>
    request<ItemList<AppNotification>>('GET', `/notifications${unreadOnly ? '?unread=1' : ''}`),
  markNotificationsRead: (upToId: number) => request<void>('POST', '/notifications/read', { up_to_id: upToId }),

  unitSettings: (code: string) => request<{ four_eyes: boolean }>('GET', `/units/${enc(code)}/settings`),
  setUnitSettings: (code: string, body: { four_eyes: boolean }) =>
    request<{ four_eyes: boolean }>('PATCH', `/units/${enc(code)}/settings`, body),
  uploadSignatureTune: (code: string, which: 'intro' | 'outro', file: Blob) =>
    request<MediaRef>('PUT', `/units/${enc(code)}/signature-tune/${which}`, fileBody(file)),
  deleteSignatureTune: (code: string, which: 'intro' | 'outro') =>
    request<MediaRef>('DELETE', `/units/${enc(code)}/signature-tune/${which}`),
};
