// Shapes of the JSON documents exchanged with nguon-server (/api/v1).

export type RoleName =
  | 'admin'
  | 'editor'
  | 'approver'
  | 'station_operator'
  | 'feedback_handler'
  | 'propagandist'
  | 'viewer';

export const ALL_ROLES: readonly RoleName[] = [
  'admin',
  'editor',
  'approver',
  'station_operator',
  'feedback_handler',
  'propagandist',
  'viewer',
];

export type UnitLevel = 'nation' | 'province' | 'commune' | 'village';

export interface RoleGrant {
  role: string;
  unit_code: string;
  unit_name?: string;
}

export interface User {
  id: number;
  username: string;
  display_name: string;
  unit_code: string;
  unit_name?: string;
  disabled: boolean;
  locked: boolean;
  must_change_password: boolean;
  roles: RoleGrant[];
  created_at?: string;
  is_admin?: boolean;
}

export interface UnitRef {
  code: string;
  name: string;
}

export interface Unit {
  code: string;
  name: string;
  type: string;
  level: UnitLevel | string;
  parent_code?: string;
  ancestors?: UnitRef[];
  can_admin?: boolean;
  navigable_only?: boolean;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface ItemList<T> {
  items: T[];
}

export interface LegacyCommune {
  old_code?: string;
  old_name: string;
  old_district: string;
  old_province: string;
  new_code: string;
  new_name: string;
  note: string;
}

export interface LegacyLookup {
  old_code: string;
  items: LegacyCommune[];
}

export interface Category {
  code: string;
  name_vi: string;
  name_en: string;
}

export interface Meta {
  scope: string;
  scope_name: string;
  version: string;
  roles: string[];
  village_types: string[];
  categories?: Category[];
  priorities?: string[];
  voices?: string[];
  /** False when the server has no speech/audio stack configured. */
  audio?: boolean;
}

export type BulletinStatus = 'draft' | 'submitted' | 'approved' | 'returned' | 'published' | 'archived';
export const BULLETIN_STATUSES: readonly BulletinStatus[] = ['draft', 'submitted', 'approved', 'returned', 'published', 'archived'];

export type Priority = 'normal' | 'priority' | 'emergency';
export const PRIORITIES: readonly Priority[] = ['normal', 'priority', 'emergency'];

export type Voice = 'north' | 'central' | 'south';
export const VOICES: readonly Voice[] = ['north', 'central', 'south'];

export interface BulletinAudio {
  media_id: string;
  url: string;
  seconds: number;
  origin: string;
  voice: string;
}

/** An image for electronic boards (PNG, JPEG or WebP), served by /api/v1/media/{media_id}. */
export interface BulletinImage {
  media_id: string;
  url: string;
}

export interface Bulletin {
  id: number;
  owner_unit: string;
  target_units: string[];
  title: string;
  summary: string;
  body: string;
  category: string;
  priority: Priority;
  language: string;
  author_id: number;
  pen_name: string;
  source: string;
  valid_from: string | null;
  valid_until: string | null;
  status: BulletinStatus;
  revision: number;
  return_reason: string;
  approved_by: number;
  submitted_at: string | null;
  approved_at: string | null;
  published_at: string | null;
  audio: BulletinAudio | null;
  /** Absent from servers older than the images API: treat as []. */
  images?: BulletinImage[];
  created_at: string;
  updated_at: string;
}

/** Fields an editor sends on create (all) or update (the changed ones; never owner_unit). */
export interface BulletinInput {
  title?: string;
  summary?: string;
  body?: string;
  category?: string;
  priority?: Priority;
  language?: string;
  pen_name?: string;
  source?: string;
  valid_from?: string | null;
  valid_until?: string | null;
  owner_unit?: string;
  target_units?: string[];
}

export interface BulletinQuery {
  status?: string;
  priority?: string;
  category?: string;
  q?: string;
  before_id?: number;
  limit?: number;
}

export interface BulletinRevision {
  revision: number;
  approved_by: number;
  /** ISO time, or "" when unknown. */
  approved_at: string;
  content: Partial<Bulletin> | null;
}

export interface AppNotification {
  id: number;
  kind: string;
  message: string;
  bulletin_id: number;
  created_at: string;
  read: boolean;
}

export interface VoiceSettings {
  voice: Voice;
  rate_wpm: number;
  pitch: number;
  paragraph_pause_ms: number;
}

export interface MediaRef {
  media_id: string | null;
  url?: string;
}

export interface CreatedUser {
  user: User;
  password: string;
}

export const VILLAGE_TYPES: readonly string[] = [
  'thôn',
  'bản',
  'ấp',
  'tổ dân phố',
  'khu phố',
  'xóm',
  'làng',
  'buôn',
  'sóc',
  'khóm',
  'plei',
];
