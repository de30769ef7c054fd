#include "adapters/db/postgres/postgres_schema.h"

namespace nguon::postgres {

// Schema v1 mirrors adapters/db/sqlite/schema.md. Keys and search columns use the "C" collation
// so ordering matches SQLite's byte order and LIKE prefix searches can use the indexes.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE units (
  code TEXT COLLATE "C" PRIMARY KEY,
  parent_code TEXT COLLATE "C" REFERENCES units(code),
  level TEXT NOT NULL CHECK (level IN ('nation', 'province', 'commune', 'village')),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT COLLATE "C" NOT NULL UNIQUE,
  fold TEXT COLLATE "C" NOT NULL
);
CREATE INDEX units_parent ON units(parent_code);

CREATE TABLE legacy_communes (
  old_code TEXT COLLATE "C" NOT NULL,
  old_name TEXT NOT NULL,
  old_district TEXT NOT NULL,
  old_province TEXT NOT NULL,
  new_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  note TEXT NOT NULL,
  PRIMARY KEY (old_code, new_code)
);

CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  username TEXT COLLATE "C" NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX users_unit ON users(unit_code);

CREATE TABLE role_grants (
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT COLLATE "C" NOT NULL,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  PRIMARY KEY (user_id, role, unit_code)
);

CREATE TABLE sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL,
  ip TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);

-- Append-only: any UPDATE, DELETE or TRUNCATE of audit_log fails, whoever issues it.
CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
)sql"},
      // Bulletins, as in the SQLite schema v2. Optional references (approved_by, a
      // notification's bulletin) are NULL when absent, read back as 0. Enum columns hold
      // core/bulletins.h names. Targets keep the target unit's path so the library's scope tests
      // are prefix comparisons.
      {2, R"sql(
CREATE TABLE bulletins (
  id BIGSERIAL PRIMARY KEY,
  owner_unit TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  owner_path TEXT COLLATE "C" NOT NULL,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  category TEXT COLLATE "C" NOT NULL,
  priority TEXT COLLATE "C" NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  language TEXT COLLATE "C" NOT NULL,
  author_id BIGINT NOT NULL REFERENCES users(id),
  pen_name TEXT NOT NULL,
  source TEXT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('draft', 'submitted', 'approved',
                                                     'returned', 'published', 'archived')),
  revision INTEGER NOT NULL,
  return_reason TEXT NOT NULL,
  approved_by BIGINT REFERENCES users(id),
  submitted_at BIGINT NOT NULL,
  approved_at BIGINT NOT NULL,
  published_at BIGINT NOT NULL,
  audio_sha256 TEXT COLLATE "C" NOT NULL,
  audio_seconds DOUBLE PRECISION NOT NULL,
  audio_origin TEXT NOT NULL,
  audio_voice TEXT NOT NULL,
  fold TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX bulletins_owner_path ON bulletins(owner_path);
CREATE INDEX bulletins_status ON bulletins(status, owner_path);

CREATE TABLE bulletin_targets (
  bulletin_id BIGINT NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  unit_path TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (bulletin_id, unit_code)
);

CREATE TABLE bulletin_images (
  bulletin_id BIGINT NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  media_sha256 TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (bulletin_id, position)
);

CREATE TABLE bulletin_revisions (
  bulletin_id BIGINT NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  approved_by BIGINT REFERENCES users(id),
  approved_at BIGINT NOT NULL,
  PRIMARY KEY (bulletin_id, revision)
);

CREATE TABLE notifications (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT COLLATE "C" NOT NULL,
  message TEXT NOT NULL,
  bulletin_id BIGINT REFERENCES bulletins(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  read BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX notifications_user ON notifications(user_id, id);

CREATE TABLE unit_settings (
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  key TEXT COLLATE "C" NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (unit_code, key)
);
)sql"},
      // The broadcast capability, as in the SQLite schema v3. The order counter is a
      // sequence: nextval() is atomic across concurrent transactions and never hands out a
      // value twice, even when the transaction that took it rolls back.
      {3, R"sql(
CREATE TABLE devices (
  id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('cluster', 'board')),
  name TEXT COLLATE "C" NOT NULL,
  serial TEXT COLLATE "C" NOT NULL,
  imei TEXT COLLATE "C" NOT NULL,
  vendor TEXT NOT NULL,
  model TEXT NOT NULL,
  firmware TEXT NOT NULL,
  commune_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  village_code TEXT COLLATE "C" REFERENCES units(code),
  unit_path TEXT COLLATE "C" NOT NULL,
  lat DOUBLE PRECISION,
  lon DOUBLE PRECISION,
  horns INTEGER NOT NULL,
  watts INTEGER NOT NULL,
  status TEXT COLLATE "C" NOT NULL
    CHECK (status IN ('registered', 'provisioned', 'decommissioned')),
  secret_hash TEXT NOT NULL,
  credential_version INTEGER NOT NULL,
  online BOOLEAN NOT NULL DEFAULT FALSE,
  playing BOOLEAN NOT NULL DEFAULT FALSE,
  last_seen BIGINT NOT NULL DEFAULT 0,
  state_json TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX devices_serial_active ON devices(serial) WHERE status <> 'decommissioned';
CREATE INDEX devices_unit_path ON devices(unit_path);

CREATE TABLE device_groups (
  id BIGSERIAL PRIMARY KEY,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  unit_path TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL
);
CREATE INDEX device_groups_unit_path ON device_groups(unit_path);

CREATE TABLE device_group_members (
  group_id BIGINT NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id),
  PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_device ON device_group_members(device_id);

CREATE TABLE programmes (
  id BIGSERIAL PRIMARY KEY,
  owner_unit TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  owner_path TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  priority TEXT COLLATE "C" NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  target_units TEXT NOT NULL,
  target_groups TEXT NOT NULL,
  rrule TEXT NOT NULL,
  first_date TEXT NOT NULL,
  last_date TEXT NOT NULL,
  exdates TEXT NOT NULL,
  start_minute INTEGER NOT NULL,
  duration_minutes INTEGER NOT NULL,
  items TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  created_by BIGINT REFERENCES users(id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX programmes_owner_path ON programmes(owner_path);

CREATE SEQUENCE order_sequence AS BIGINT;

CREATE TABLE broadcast_orders (
  id TEXT COLLATE "C" PRIMARY KEY,
  owner_unit TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  priority TEXT COLLATE "C" NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  areas TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_by BIGINT REFERENCES users(id),
  created_at BIGINT NOT NULL,
  stopped_at BIGINT NOT NULL
);

CREATE TABLE play_logs (
  id BIGSERIAL PRIMARY KEY,
  device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id),
  event_id TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  ts BIGINT NOT NULL,
  slot TEXT NOT NULL,
  order_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  url TEXT NOT NULL,
  started BIGINT NOT NULL,
  ended BIGINT NOT NULL,
  reason TEXT NOT NULL,
  commune_code TEXT COLLATE "C" NOT NULL,
  unit_path TEXT COLLATE "C" NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE (device_id, event_id)
);
CREATE INDEX play_logs_unit_ts ON play_logs(unit_path, ts);
CREATE INDEX play_logs_device_ts ON play_logs(device_id, ts);
)sql"},
      // The two-way capability, as in the SQLite schema v4. Feedback keeps its references as
      // given (0 or '' when absent) so intake is one statement without lookups; `fold` is the
      // search key of title and description.
      {4, R"sql(
CREATE TABLE feedback_services (
  code TEXT COLLATE "C" PRIMARY KEY,
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL,
  description TEXT NOT NULL,
  group_name TEXT COLLATE "C" NOT NULL,
  keywords TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  forward_days INTEGER NOT NULL,
  answer_days INTEGER NOT NULL,
  active BOOLEAN NOT NULL
);

CREATE TABLE agencies (
  id BIGSERIAL PRIMARY KEY,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  unit_path TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  email TEXT NOT NULL,
  supervisor_agency BIGINT REFERENCES agencies(id),
  active BOOLEAN NOT NULL
);
CREATE INDEX agencies_unit_path ON agencies(unit_path);

CREATE TABLE routing_rules (
  id BIGSERIAL PRIMARY KEY,
  service_code TEXT COLLATE "C" NOT NULL,
  area_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  area_path TEXT COLLATE "C" NOT NULL,
  body_unit TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  agency_id BIGINT REFERENCES agencies(id),
  UNIQUE (service_code, area_code)
);

CREATE TABLE feedback (
  id BIGSERIAL PRIMARY KEY,
  tracking_code TEXT COLLATE "C" NOT NULL UNIQUE,
  service_code TEXT COLLATE "C" NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('moderation', 'received', 'assigned',
                                                     'answered', 'closed', 'rejected', 'merged')),
  channel TEXT NOT NULL,
  client TEXT NOT NULL,
  commune_code TEXT COLLATE "C" NOT NULL,
  village_code TEXT COLLATE "C" NOT NULL,
  area_path TEXT COLLATE "C" NOT NULL,
  address TEXT NOT NULL,
  lat DOUBLE PRECISION,
  lon DOUBLE PRECISION,
  location_method TEXT NOT NULL,
  contact_name TEXT NOT NULL,
  contact_email TEXT NOT NULL,
  contact_phone TEXT NOT NULL,
  contact_hash TEXT COLLATE "C" NOT NULL,
  submitter_ip TEXT NOT NULL,
  entered_by BIGINT NOT NULL,
  relayed_by TEXT NOT NULL,
  body_unit TEXT COLLATE "C" NOT NULL,
  body_path TEXT COLLATE "C" NOT NULL,
  agency_id BIGINT NOT NULL,
  forward_due BIGINT NOT NULL,
  answer_due BIGINT NOT NULL,
  reminded_at BIGINT NOT NULL,
  escalation INTEGER NOT NULL,
  answer_status TEXT COLLATE "C" NOT NULL
    CHECK (answer_status IN ('none', 'draft', 'submitted', 'published')),
  answer_text TEXT NOT NULL,
  answer_public TEXT NOT NULL,
  answer_author BIGINT NOT NULL,
  answer_approver BIGINT NOT NULL,
  bulletin_id BIGINT NOT NULL,
  reject_reason TEXT NOT NULL,
  merged_into BIGINT NOT NULL,
  rating INTEGER NOT NULL,
  rating_comment TEXT NOT NULL,
  reopen_count INTEGER NOT NULL,
  submitted_at BIGINT NOT NULL,
  assigned_at BIGINT NOT NULL,
  answered_at BIGINT NOT NULL,
  closed_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  fold TEXT COLLATE "C" NOT NULL
);
CREATE INDEX feedback_body_path ON feedback(body_path);
CREATE INDEX feedback_contact ON feedback(contact_hash, submitted_at);
CREATE INDEX feedback_forward_due ON feedback(status, forward_due);
CREATE INDEX feedback_answer_due ON feedback(status, answer_due);
CREATE INDEX feedback_submitted ON feedback(submitted_at);

CREATE TABLE feedback_attachments (
  feedback_id BIGINT NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  sha256 TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  mime TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  PRIMARY KEY (feedback_id, position)
);

CREATE TABLE feedback_events (
  id BIGSERIAL PRIMARY KEY,
  feedback_id BIGINT NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
  ts BIGINT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  detail TEXT NOT NULL,
  is_public BOOLEAN NOT NULL,
  status_after TEXT COLLATE "C" NOT NULL
);
CREATE INDEX feedback_events_feedback ON feedback_events(feedback_id, id);
CREATE INDEX feedback_events_public_ts ON feedback_events(ts) WHERE is_public;

CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  feedback_id BIGINT REFERENCES feedback(id),
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  sent_at BIGINT NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX outbox_unsent ON outbox(next_attempt_at) WHERE sent_at = 0;
CREATE INDEX outbox_feedback ON outbox(feedback_id);

ALTER TABLE notifications ADD COLUMN feedback_id BIGINT NOT NULL DEFAULT 0;
)sql"},
      // Emergency alerts, as in the SQLite schema v5.
      {5, R"sql(
CREATE TABLE alert_sources (
  id BIGSERIAL PRIMARY KEY,
  sender TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT NOT NULL,
  unit_code TEXT COLLATE "C" NOT NULL REFERENCES units(code),
  unit_path TEXT COLLATE "C" NOT NULL,
  token_hash TEXT NOT NULL,
  feed_url TEXT NOT NULL,
  auto_broadcast BOOLEAN NOT NULL,
  min_severity TEXT NOT NULL,
  min_urgency TEXT NOT NULL,
  min_certainty TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  last_polled_at BIGINT NOT NULL,
  last_poll_error TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE alerts (
  id BIGSERIAL PRIMARY KEY,
  source_id BIGINT NOT NULL,
  sender TEXT COLLATE "C" NOT NULL,
  identifier TEXT COLLATE "C" NOT NULL,
  sent BIGINT NOT NULL,
  msg_type TEXT NOT NULL,
  status TEXT NOT NULL,
  scope TEXT NOT NULL,
  event TEXT NOT NULL,
  headline TEXT NOT NULL,
  severity TEXT NOT NULL,
  urgency TEXT NOT NULL,
  certainty TEXT NOT NULL,
  expires BIGINT NOT NULL,
  origin TEXT NOT NULL,
  state TEXT COLLATE "C" NOT NULL,
  reason TEXT NOT NULL,
  owner_unit TEXT COLLATE "C" NOT NULL,
  owner_path TEXT COLLATE "C" NOT NULL,
  order_id TEXT NOT NULL,
  priority TEXT NOT NULL,
  devices BIGINT NOT NULL,
  text TEXT NOT NULL,
  media_id TEXT NOT NULL,
  xml TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  issued_by BIGINT NOT NULL,
  decided_by BIGINT NOT NULL,
  decided_at BIGINT NOT NULL,
  UNIQUE (sender, identifier)
);
CREATE INDEX alerts_owner ON alerts(owner_path text_pattern_ops, id);
)sql"},
  };
  return kMigrations;
}

}  // namespace nguon::postgres
