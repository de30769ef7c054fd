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
  feedback_id?: number; // feedback.* notifications
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

// ---- devices, schedule, plays (cụm loa, bảng điện tử, lịch phát, nhật ký phát) -----------------

/** Map settings of the deployment (`GET /api/v1/meta` → `map`); tile_url may be "" (no tiles). */
export interface MapSettings {
  tile_url?: string;
  attribution?: string;
}

// Declaration merging: the meta document gains `map`.
export interface Meta {
  map?: MapSettings;
}

export type DeviceKind = 'cluster' | 'board';
export const DEVICE_KINDS: readonly DeviceKind[] = ['cluster', 'board'];
export type DeviceStatus = 'registered' | 'provisioned' | 'decommissioned';
export const DEVICE_STATUSES: readonly DeviceStatus[] = ['registered', 'provisioned', 'decommissioned'];

export interface DevicePlaying {
  kind?: string;
  sha256?: string;
  url?: string;
  title?: string;
  priority?: string;
  slot?: string | null;
  order?: string | null;
}

/** The reported state (docs/protocol.md "Reported state"); fields a device cannot measure are absent. */
export interface DeviceState {
  online?: boolean;
  ts?: number;
  agent?: string;
  firmware?: string;
  playing?: DevicePlaying | null;
  volume?: number;
  power?: boolean;
  manifest_seq?: number;
  temperature_c?: number;
  signal_dbm?: number;
  free_bytes?: number;
  queued_reports?: number;
}

export interface Device {
  id: string;
  kind: DeviceKind | string;
  name: string;
  serial: string;
  imei: string;
  vendor: string;
  model: string;
  firmware: string;
  commune_code: string;
  village_code: string;
  lat: number | null;
  lon: number | null;
  horns: number | null;
  watts: number | null;
  status: DeviceStatus | string;
  online: boolean;
  last_seen: string | null;
  state: DeviceState | null;
  created_at: string;
  updated_at: string;
}

export interface DeviceCounts {
  total: number;
  online: number;
  offline: number;
  playing: number;
  decommissioned?: number;
}

export interface DeviceList {
  items: Device[];
  counts: DeviceCounts;
}

export interface DeviceQuery {
  unit?: string;
  q?: string;
  status?: string;
  online?: string;
  limit?: number;
  offset?: number;
}

/** Registry fields sent on create (all) or update (the changed ones). */
export interface DeviceInput {
  kind?: DeviceKind | string;
  name?: string;
  serial?: string;
  imei?: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  commune_code?: string;
  village_code?: string;
  lat?: number | null;
  lon?: number | null;
  horns?: number | null;
  watts?: number | null;
}

export interface ProvisionResult {
  bundle: Record<string, unknown>;
  bundle_json: string;
  qr_svg: string;
}

export type DeviceCommand = { action: 'volume'; volume: number } | { action: 'power'; on: boolean } | { action: 'reboot' };

export interface ImportRowError {
  row: number;
  field: string;
  code: string;
  message: string;
}

export interface ImportResult {
  created: number;
  errors: ImportRowError[];
}

export interface DeviceGroup {
  id: number;
  name: string;
  unit_code: string;
  device_ids: string[];
}

export type BroadcastItem = { kind: 'bulletin'; bulletin_id: number };

export interface BroadcastInput {
  areas: string[];
  priority: Priority;
  items: BroadcastItem[];
  repeat: number;
  volume: number;
}

export interface BroadcastResult {
  order: string;
  areas: string[];
  devices: number;
}

export const PLAY_TYPES: readonly string[] = ['playing', 'played', 'interrupted', 'failed', 'rejected', 'fault'];

export interface PlayRecord {
  device_id: string;
  event_id: string;
  type: string;
  ts: string | number | null;
  slot: string | null;
  order: string | null;
  sha256: string | null;
  url: string | null;
  started: string | number | null;
  ended: string | number | null;
  reason: string | null;
  commune_code: string;
}

export interface PlayQuery {
  unit?: string;
  device?: string;
  from?: string;
  to?: string;
  type?: string;
  limit?: number;
  offset?: number;
}

export interface AirtimeRow {
  key: string;
  name: string;
  seconds: number;
  plays: number;
}

export type ProgrammeItem =
  | { kind: 'bulletin'; bulletin_id: number; title?: string }
  | { kind: 'media'; sha256: string; title?: string }
  | { kind: 'stream'; url: string; duration_s: number; title?: string }
  | { kind: 'intro' }
  | { kind: 'outro' };

export interface Programme {
  id: number;
  name: string;
  owner_unit: string;
  priority: Priority;
  target_units: string[];
  target_groups: number[];
  rrule: string;
  first_date: string;
  last_date: string | null;
  exdates: string[];
  start_time: string;
  duration_minutes: number;
  items: ProgrammeItem[];
  enabled: boolean;
  created_at?: string;
  updated_at?: string;
}

export type ProgrammeInput = Omit<Programme, 'id' | 'created_at' | 'updated_at'>;

export interface ScheduleEntry {
  programme_id: number;
  name: string;
  owner_unit: string;
  priority: Priority | string;
  /** ISO 8601 (or Unix seconds). */
  start: string | number;
  end: string | number;
  targets: string[];
}

export interface ScheduleConflict {
  programme_id: number;
  name: string;
  date: string;
  start_time: string;
  devices: number | string[];
}

// ---- citizen feedback (phản ánh, kiến nghị; issue 5) ---------------------------------------------

export type FeedbackStatus = 'moderation' | 'received' | 'assigned' | 'answered' | 'closed' | 'rejected' | 'merged';
export const FEEDBACK_STATUSES: readonly FeedbackStatus[] = ['moderation', 'received', 'assigned', 'answered', 'closed', 'rejected', 'merged'];

export type AnswerStatus = 'none' | 'draft' | 'submitted' | 'published';
export const ANSWER_STATUSES: readonly AnswerStatus[] = ['none', 'draft', 'submitted', 'published'];

export type DeadlineState = 'ok' | 'soon' | 'overdue' | 'none';

export interface FeedbackAttachment {
  sha256: string;
  kind: 'image' | 'audio' | string;
  mime: string;
  bytes: number;
  url: string;
}

export interface FeedbackContact {
  name: string;
  email: string;
  phone: string;
}

/** An answer to a category attribute: one value, or several for a multi-value list. */
export type AttributeValue = string | string[];

export interface Feedback {
  id: number;
  tracking_code: string;
  service_code: string;
  title: string;
  description: string;
  attributes: Record<string, unknown>;
  status: FeedbackStatus;
  answer_status: AnswerStatus;
  channel: string;
  client: string;
  commune_code: string;
  village_code: string;
  address: string;
  lat: number | null;
  lon: number | null;
  location_method: string;
  contact: FeedbackContact | null;
  relayed_by: string;
  attachments: FeedbackAttachment[];
  body_unit: string;
  agency_id: number;
  forward_due: string | null;
  answer_due: string | null;
  deadline: string | null;
  deadline_state: DeadlineState;
  escalation: number;
  answer_text: string;
  answer_public: string;
  bulletin_id: number;
  reject_reason: string;
  merged_into: number;
  rating: number;
  rating_comment: string;
  reopen_count: number;
  submitted_at: string | null;
  assigned_at: string | null;
  answered_at: string | null;
  closed_at: string | null;
  updated_at: string | null;
}

export interface FeedbackEvent {
  id: number;
  ts: string | number | null;
  actor: string;
  kind: string;
  detail: Record<string, unknown> | null;
  public: boolean;
  status_after: string;
}

/** GET /feedback/{id}. */
export interface FeedbackDetail {
  feedback: Feedback;
  events: FeedbackEvent[];
  body_name: string;
  commune_name: string;
  village_name: string;
  service_name: string;
  expected_at: string | null;
}

export interface FeedbackList {
  items: Feedback[];
  next_after_id: number | null;
}

export interface FeedbackQuery {
  /** Comma-separated statuses. */
  status?: string;
  service?: string;
  /** A unit code: feedback about places in it. */
  area?: string;
  q?: string;
  overdue?: 1;
  after_id?: number;
  limit?: number;
}

/** Staff entry on behalf of a citizen (hotline, propagandist). */
export interface FeedbackInput {
  service_code: string;
  title?: string;
  description: string;
  commune_code: string;
  village_code?: string;
  address?: string;
  lat?: number;
  lon?: number;
  contact_name?: string;
  contact_email?: string;
  contact_phone?: string;
  relayed_by?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface FeedbackServiceValue {
  key: string;
  name: string;
}

/** An Open311 service definition attribute. */
export interface FeedbackServiceAttribute {
  code: string;
  datatype: string;
  required?: boolean;
  description?: string;
  order?: number;
  values?: FeedbackServiceValue[];
}

/** A feedback category (an Open311 service). */
export interface FeedbackService {
  code: string;
  name_vi: string;
  name_en: string;
  description: string;
  group: string;
  keywords: string;
  attributes: FeedbackServiceAttribute[];
  forward_days: number;
  answer_days: number;
  active: boolean;
}

export interface Agency {
  id: number;
  unit_code: string;
  name: string;
  email: string;
  supervisor_agency: number;
  active: boolean;
}

/** PUT /feedback-services/{code}: the whole category is replaced (absent fields take defaults). */
export interface FeedbackServiceInput {
  name_vi: string;
  name_en?: string;
  description?: string;
  group?: string;
  keywords?: string;
  attributes?: FeedbackServiceAttribute[];
  forward_days?: number;
  answer_days?: number;
  active?: boolean;
}

/** POST /agencies, PUT /agencies/{id} (all fields, as on creation). */
export interface AgencyInput {
  unit_code: string;
  name: string;
  email?: string;
  /** 0: escalations go to the unit above. */
  supervisor_agency?: number;
  active?: boolean;
}

/** Where feedback of a category ("*" = every category) in an area goes. */
export interface RoutingRule {
  id: number;
  service_code: string;
  area_code: string;
  body_unit: string;
  /** 0: the People's Committee of body_unit. */
  agency_id: number;
}

export interface RoutingRuleInput {
  service_code?: string;
  area_code: string;
  body_unit: string;
  agency_id?: number;
}

export interface FeedbackCounts {
  received: number;
  answered: number;
  answered_on_time: number;
  overdue: number;
}

export interface FeedbackStatsRow extends FeedbackCounts {
  service_code: string;
  commune_code: string;
  commune_name: string;
  service_name: string;
}

export interface FeedbackStats {
  total: FeedbackCounts;
  rows: FeedbackStatsRow[];
}

export interface FeedbackBulletinResult {
  bulletin: { id: number; status: string; title: string };
  audio: 'synthesized' | 'unavailable' | 'failed' | string;
}

// ---- emergency alerts (CAP 1.2) -----------------------------------------------------------------

export type AlertState = 'pending' | 'broadcast' | 'stopped' | 'cancelled' | 'superseded' | 'rejected' | 'recorded';
export const ALERT_STATES: readonly AlertState[] = ['pending', 'broadcast', 'stopped', 'cancelled', 'superseded', 'rejected', 'recorded'];

/** CAP value lists, most urgent first (the order a source's thresholds compare in). */
export const CAP_SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const;
export const CAP_URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
export const CAP_CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;
export type CapSeverity = (typeof CAP_SEVERITIES)[number];
export type CapUrgency = (typeof CAP_URGENCIES)[number];
export type CapCertainty = (typeof CAP_CERTAINTIES)[number];

export interface AlertCircle {
  lat: number;
  lon: number;
  radius_km: number;
}

/** One CAP <area>: geocodes are administrative unit codes (valueName VN-ADM). */
export interface AlertArea {
  desc: string;
  geocodes: string[];
  /** Closed rings of [lat, lon] points. */
  polygons: [number, number][][];
  circles: AlertCircle[];
}

export interface AlertReference {
  sender: string;
  identifier: string;
  /** Unix seconds. */
  sent: number;
}

/** An alert received from a CAP source (or issued here). Times are Unix seconds, 0 = none. */
export interface Alert {
  id: number;
  source_id: number | null;
  sender: string;
  sender_name: string;
  identifier: string;
  sent: number;
  msg_type: 'Alert' | 'Update' | 'Cancel' | 'Ack' | 'Error' | string;
  status: 'Actual' | 'Exercise' | 'System' | 'Test' | 'Draft' | string;
  scope: 'Public' | 'Restricted' | 'Private' | string;
  event: string;
  headline: string;
  severity: string;
  urgency: string;
  certainty: string;
  expires: number;
  origin: 'push' | 'feed' | 'console' | string;
  state: AlertState;
  /** Why the alert is pending, recorded or rejected ("" when nothing to say). */
  reason: string;
  owner_unit: string;
  /** The broadcast order id, "" when none. */
  order: string;
  priority: Priority;
  devices: number;
  /** The Vietnamese bulletin text spoken on air. */
  text: string;
  /** SHA-256 of the audio (GET /api/v1/media/{id}), "" when none. */
  media_id: string;
  received_at: number;
  decided_by: string;
  decided_at: number;
  areas: AlertArea[];
  references: AlertReference[];
}

/** GET /alerts/{id}: the alert and its CAP document as received. */
export interface AlertDetail extends Alert {
  xml: string;
}

export interface AlertQuery {
  state?: AlertState;
  limit?: number;
  offset?: number;
}

/** A trusted CAP sender whose alerts may reach the devices under its unit. */
export interface AlertSource {
  id: number;
  sender: string;
  name: string;
  unit_code: string;
  feed_url: string;
  auto_broadcast: boolean;
  min_severity: CapSeverity;
  min_urgency: CapUrgency;
  min_certainty: CapCertainty;
  enabled: boolean;
  last_polled_at: number;
  last_poll_error: string;
  created_at: number;
}

/** POST /alert-sources (all but sender may be changed with PATCH). */
export interface AlertSourceInput {
  sender: string;
  name: string;
  unit_code: string;
  feed_url?: string;
  auto_broadcast?: boolean;
  min_severity?: CapSeverity;
  min_urgency?: CapUrgency;
  min_certainty?: CapCertainty;
  enabled?: boolean;
}

/** The answer to POST /alert-sources: the source and its push token, shown only this once. */
export interface CreatedAlertSource extends AlertSource {
  token: string;
}

// ---- emergency orders issued from the console -----------------------------------------------------

/** CAP 1.2 <category> values, in the order the issue form lists them. */
export const CAP_CATEGORIES = ['Met', 'Geo', 'Safety', 'Fire', 'Health', 'Env', 'Rescue', 'Security', 'Transport', 'Infra', 'CBRNE', 'Other'] as const;
export type CapCategory = (typeof CAP_CATEGORIES)[number];
/** Statuses an operator may issue: Exercise and Test are published but never played. */
export const ISSUE_STATUSES = ['Actual', 'Exercise', 'Test'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

/** POST /alerts: an emergency order issued in the name of `owner_unit`. */
export interface AlertOrderInput {
  owner_unit: string;
  status?: IssueStatus;
  category?: CapCategory;
  event: string;
  headline: string;
  description?: string;
  instruction?: string;
  severity?: CapSeverity;
  urgency?: CapUrgency;
  certainty?: CapCertainty;
  /** Unit codes inside owner_unit. */
  areas?: string[];
  /** [lat, lon] points; the server closes an open ring. */
  polygon?: [number, number][];
  /** 5..10080, default 360. */
  expires_minutes?: number;
}

export type AlertDeviceState = 'waiting' | 'playing' | 'played' | 'interrupted' | 'failed';
export const ALERT_DEVICE_STATES: readonly AlertDeviceState[] = ['waiting', 'playing', 'played', 'interrupted', 'failed'];

/** One device reached by an alert's order and how far it got. */
export interface AlertDeviceRow {
  id: string;
  name: string;
  commune_code: string;
  online: boolean;
  state: AlertDeviceState;
  reason: string;
  /** Unix seconds of the last change, 0 while waiting. */
  ts: number;
}

/** GET /alerts/{id}/devices: at most 2000 devices listed; the counts cover all. */
export interface AlertDevices {
  order: string;
  devices: AlertDeviceRow[];
  counts: Record<'total' | AlertDeviceState, number>;
}

// ---- live broadcast from the console's microphone (phát trực tiếp) -------------------------------

/** Who is speaking, by the operator's unit: a higher level stops a lower one on shared areas. */
export type LiveLevel = 'commune' | 'province' | 'nation';
export const LIVE_LEVELS: readonly LiveLevel[] = ['commune', 'province', 'nation'];
/** waiting: no audio yet (the server ends it after 30 s without a connection); on_air; ended. */
export type LiveState = 'waiting' | 'on_air' | 'ended';

export interface LiveSession {
  id: string;
  state: LiveState | string;
  level: LiveLevel | string;
  areas: string[];
  title: string;
  operator: string;
  /** Devices the order reached when it started. */
  devices: number;
  order: string;
  /** The public Ogg Opus stream (Icecast-compatible) the loudspeakers fetch. */
  stream_url: string;
  /** Only in the answer to POST /live: the WebSocket path (with a one-time token) for the audio. */
  audio_url?: string;
  started_at: string | null;
  ended_at: string | null;
  /** "stopped", "preempted", "no_audio"… while ended; null before. */
  end_reason: string | null;
  /** Opus packets and bytes the server received. */
  packets: number;
  bytes: number;
  /** Clients fetching the stream now. */
  listeners: number;
}

/** POST /live. */
export interface LiveInput {
  areas: string[];
  title?: string;
}
