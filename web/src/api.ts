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
  AirtimeRow,
  BroadcastInput,
  BroadcastResult,
  Device,
  DeviceCommand,
  DeviceGroup,
  DeviceInput,
  DeviceList,
  DeviceQuery,
  ImportResult,
  ProvisionResult,
  PlayQuery,
  PlayRecord,
  Programme,
  ProgrammeInput,
  ScheduleEntry,
  Session,
  Unit,
  User,
  VoiceSettings,
  Agency,
  AgencyInput,
  Feedback,
  FeedbackBulletinResult,
  FeedbackDetail,
  FeedbackInput,
  FeedbackList,
  FeedbackQuery,
  FeedbackService,
  FeedbackServiceInput,
  FeedbackStats,
  RoutingRule,
  RoutingRuleInput,
  Alert,
  AlertDetail,
  AlertDevices,
  AlertOrderInput,
  AlertQuery,
  AlertSource,
  AlertSourceInput,
  CreatedAlertSource,
  LiveInput,
  LiveSession,
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

// ---- devices, schedule, plays -------------------------------------------------------------------

/** An API error that keeps the whole JSON body (per-row import errors, schedule conflicts). */
export class ApiBodyError extends ApiError {
  readonly body: unknown;

  constructor(base: ApiError, body: unknown) {
    super(base.status, base.code, base.message, base.retryAfter);
    this.body = body;
  }
}

function queryString(query: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const qs = p.toString();
  return qs ? `?${qs}` : '';
}

/**
 * A JSON request through XMLHttpRequest, for upload progress (`onProgress(0..1)`). Errors carry the
 * body (ApiBodyError), like `requestWithBody`.
 */
export function xhrJson<T>(method: Method, path: string, body: unknown, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, PREFIX + path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.withCredentials = true;
    if (onProgress) {
      xhr.upload.addEventListener('progress', (ev) => {
        if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
      });
      xhr.upload.addEventListener('load', () => onProgress(1));
    }
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'network error')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'network_error', 'aborted')));
    xhr.addEventListener('load', () => {
      let data: unknown = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (data === null) reject(new ApiError(xhr.status, 'bad_response', 'Response is not JSON'));
        else resolve(data as T);
        return;
      }
      const err = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === 'string' ? err.code : `http_${xhr.status}`;
      const message = typeof err?.message === 'string' ? err.message : xhr.statusText || `HTTP ${xhr.status}`;
      if (xhr.status === 401 && onSessionLost) onSessionLost();
      reject(new ApiBodyError(new ApiError(xhr.status, code, message), data));
    });
    xhr.send(JSON.stringify(body));
  });
}

/** Like `request`, but an error answer keeps its JSON body (ApiBodyError). */
async function requestWithBody<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(PREFIX + path, { method, headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof err?.code === 'string' ? err.code : `http_${res.status}`;
    const message = typeof err?.message === 'string' ? err.message : res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && onSessionLost) onSessionLost();
    throw new ApiBodyError(new ApiError(res.status, code, message), data);
  }
  return data as T;
}

export const deviceApi = {
  devices: (query: DeviceQuery = {}) => request<DeviceList>('GET', `/devices${queryString(query)}`),
  device: (id: string) => request<Device>('GET', `/devices/${enc(id)}`),
  createDevice: (body: DeviceInput) => request<Device>('POST', '/devices', body),
  updateDevice: (id: string, body: DeviceInput) => request<Device>('PATCH', `/devices/${enc(id)}`, body),
  provision: (id: string) =>
    request<ProvisionResult>('POST', `/devices/${enc(id)}/provision`),
  decommission: (id: string) => request<Device>('POST', `/devices/${enc(id)}/decommission`),
  command: (id: string, cmd: DeviceCommand) => request<unknown>('POST', `/devices/${enc(id)}/commands`, cmd),
  /** 200 {created, errors:[]}; a rejected file throws ApiBodyError whose body has `errors`. */
  importCsv: (csv: string, onProgress?: (fraction: number) => void) =>
    xhrJson<ImportResult>('POST', '/devices/import', { csv }, onProgress),

  groups: (unit?: string) => request<{ items: DeviceGroup[] }>('GET', `/device-groups${queryString({ unit })}`),
  group: (id: number) => request<DeviceGroup>('GET', `/device-groups/${id}`),
  createGroup: (body: Omit<DeviceGroup, 'id'>) => request<DeviceGroup>('POST', '/device-groups', body),
  updateGroup: (id: number, body: Partial<Omit<DeviceGroup, 'id'>>) => request<DeviceGroup>('PATCH', `/device-groups/${id}`, body),
  deleteGroup: (id: number) => request<void>('DELETE', `/device-groups/${id}`),

  broadcast: (body: BroadcastInput) => request<BroadcastResult>('POST', '/broadcasts', body),
  stopBroadcast: (order: string) => request<unknown>('POST', `/broadcasts/${enc(order)}/stop`),

  plays: (query: PlayQuery = {}) => request<{ items: PlayRecord[] }>('GET', `/plays${queryString(query)}`),
  airtime: (query: { unit?: string; by: 'commune' | 'device'; from?: string; to?: string }) =>
    request<{ rows: AirtimeRow[] }>('GET', `/plays/airtime${queryString(query)}`),

  programmes: (unit?: string) => request<{ items: Programme[] }>('GET', `/programmes${queryString({ unit })}`),
  programme: (id: number) => request<Programme>('GET', `/programmes/${id}`),
  /** 409 schedule_overlap throws ApiBodyError whose body has `conflicts`. */
  createProgramme: (body: ProgrammeInput) => requestWithBody<Programme>('POST', '/programmes', body),
  updateProgramme: (id: number, body: Partial<ProgrammeInput>) => requestWithBody<Programme>('PATCH', `/programmes/${id}`, body),
  deleteProgramme: (id: number) => request<void>('DELETE', `/programmes/${id}`),
  schedule: (query: { unit?: string; from: string; to: string }) =>
    request<{ items: ScheduleEntry[] }>('GET', `/schedule${queryString(query)}`),
};

// ---- citizen feedback (phản ánh, kiến nghị) ----------------------------------------------------

/** A staff action on one feedback: POST /feedback/{id}/{action}. */
const fbAction = (id: number, action: string, body: object = {}) => request<Feedback>('POST', `/feedback/${id}/${action}`, body);

export const feedbackApi = {
  list: (query: FeedbackQuery = {}) => request<FeedbackList>('GET', `/feedback${queryString(query)}`),
  /** Staff entry on behalf of a citizen; 201 with the feedback. */
  create: (body: FeedbackInput) => request<Feedback>('POST', '/feedback', body),
  get: (id: number) => request<FeedbackDetail>('GET', `/feedback/${id}`),
  accept: (id: number) => fbAction(id, 'accept'),
  moderate: (id: number, accept: boolean, reason?: string) => fbAction(id, 'moderate', reason ? { accept, reason } : { accept }),
  recategorise: (id: number, service_code: string) => fbAction(id, 'recategorise', { service_code }),
  move: (id: number, commune_code: string, village_code?: string) =>
    fbAction(id, 'move', village_code ? { commune_code, village_code } : { commune_code }),
  transfer: (id: number, body: { body_unit: string; agency_id?: number; note?: string }) => fbAction(id, 'transfer', body),
  merge: (id: number, into: number) => fbAction(id, 'merge', { into }),
  reject: (id: number, reason: string) => fbAction(id, 'reject', { reason }),
  note: (id: number, text: string, isPublic: boolean) => fbAction(id, 'note', { text, public: isPublic }),
  saveAnswer: (id: number, text: string) => fbAction(id, 'answer', { text }),
  submitAnswer: (id: number) => fbAction(id, 'answer/submit'),
  approveAnswer: (id: number) => fbAction(id, 'answer/approve'),
  returnAnswer: (id: number, reason: string) => fbAction(id, 'answer/return', { reason }),
  /** 201: the radio bulletin made from the published answer (approved, audio when possible). */
  makeBulletin: (id: number) => request<FeedbackBulletinResult>('POST', `/feedback/${id}/bulletin`, {}),
  attachmentUrl: (id: number, sha256: string) => `${PREFIX}/feedback/${id}/attachments/${enc(sha256)}`,
  stats: (query: { from?: string; to?: string }) => request<FeedbackStats>('GET', `/feedback-stats${queryString(query)}`),
  services: () => request<{ items: FeedbackService[] }>('GET', '/feedback-services'),
  agencies: () => request<{ items: Agency[] }>('GET', '/agencies'),

  // Configuration (#/feedback/settings): categories, agencies, routing rules.
  /** Every category, inactive ones included. */
  allServices: () => request<{ items: FeedbackService[] }>('GET', '/feedback-services?all=1'),
  /** Creates or replaces the whole category (admin of a province or the nation). */
  putService: (code: string, body: FeedbackServiceInput) => request<FeedbackService>('PUT', `/feedback-services/${enc(code)}`, body),
  /** 201 with the agency. */
  createAgency: (body: AgencyInput) => request<Agency>('POST', '/agencies', body),
  updateAgency: (id: number, body: AgencyInput) => request<Agency>('PUT', `/agencies/${id}`, body),
  routingRules: () => request<{ items: RoutingRule[] }>('GET', '/routing-rules'),
  /** 201 with the rule; 409 rule_exists when the (category, area) pair already has one. */
  addRoutingRule: (body: RoutingRuleInput) => request<RoutingRule>('POST', '/routing-rules', body),
  deleteRoutingRule: (id: number) => request<void>('DELETE', `/routing-rules/${id}`),
};

// ---- emergency alerts (CAP 1.2) -----------------------------------------------------------------

/** An operator's decision on one alert: POST /alerts/{id}/{action}. */
const alertAction = (id: number, action: 'approve' | 'reject' | 'stop', body: object = {}) =>
  request<Alert>('POST', `/alerts/${id}/${action}`, body);

export const alertApi = {
  /** Newest first; without `state`, every alert. */
  list: (query: AlertQuery = {}) => request<ItemList<Alert>>('GET', `/alerts${queryString(query)}`),
  get: (id: number) => request<AlertDetail>('GET', `/alerts/${id}`),
  /** pending → broadcast (or recorded when there is nothing to play or no device). */
  approve: (id: number) => alertAction(id, 'approve'),
  reject: (id: number, reason: string) => alertAction(id, 'reject', { reason }),
  stop: (id: number) => alertAction(id, 'stop'),
  /** 201: an emergency order issued here (broadcast, pending for a second approver, or recorded). */
  issue: (body: AlertOrderInput) => request<AlertDetail>('POST', '/alerts', body),
  /** The devices reached by the alert's order and their acknowledgements. */
  devices: (id: number) => request<AlertDevices>('GET', `/alerts/${id}/devices`),
  /**
   * The same board as server-sent events (`event: board`, the board's JSON at once and on every
   * change): the address for an EventSource, which asks `Accept: text/event-stream` by itself.
   */
  devicesEventsUrl: (id: number) => `${PREFIX}/alerts/${id}/devices`,
  /** The audio of an alert (Opus served with Range/ETag, like a bulletin's). */
  mediaUrl: (mediaId: string) => `${PREFIX}/media/${enc(mediaId)}`,

  // Trusted senders (admin).
  sources: () => request<ItemList<AlertSource>>('GET', '/alert-sources'),
  /** 201 with the source and its push token (shown only this once). */
  createSource: (body: AlertSourceInput) => request<CreatedAlertSource>('POST', '/alert-sources', body),
  updateSource: (id: number, body: Partial<Omit<AlertSourceInput, 'sender'>>) => request<AlertSource>('PATCH', `/alert-sources/${id}`, body),
  /** A new push token; the old one stops working. */
  newToken: (id: number) => request<{ token: string }>('POST', `/alert-sources/${id}/token`, {}),
};

// ---- live broadcast (phát trực tiếp) --------------------------------------------------------------

export const liveApi = {
  /** Sessions in the caller's scope: active ones first, then up to 20 recently ended. */
  list: () => request<{ sessions: LiveSession[] }>('GET', '/live'),
  get: (id: string) => request<LiveSession>('GET', `/live/${enc(id)}`),
  /** 201 with the session and its one-time `audio_url`; 409 live_conflict names who is live where. */
  start: (body: LiveInput) => request<LiveSession>('POST', '/live', body),
  stop: (id: string) => request<LiveSession>('POST', `/live/${enc(id)}/stop`, {}),
  /** The acknowledgement board of the session's order (same shape as an alert's). */
  devices: (id: string) => request<AlertDevices>('GET', `/live/${enc(id)}/devices`),
  /** The same board as server-sent events, for an EventSource (see alertApi.devicesEventsUrl). */
  devicesEventsUrl: (id: string) => `${PREFIX}/live/${enc(id)}/devices`,
};
