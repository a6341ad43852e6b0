-- confi schema, version 1.
--
-- Everything above the first "-- dialect:" marker is portable SQL that SQLite and PostgreSQL both
-- accept unchanged. The two short dialect sections after it hold only what the two databases
-- cannot say alike: identity columns and the append-only triggers (docs/decisions.md, "schema").
--
-- Conventions: ids are integers; times are UTC ISO 8601 strings with milliseconds
-- ('2026-11-29T12:00:00.000Z'), so they sort as text and read the same on both backends;
-- booleans are integers 0/1.

CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS firm_options (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  firm_name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  require_login INTEGER NOT NULL DEFAULT 0 CHECK (require_login IN (0, 1)),
  bcrypt_cost INTEGER NOT NULL DEFAULT 11 CHECK (bcrypt_cost BETWEEN 10 AND 15),
  session_idle_minutes INTEGER NOT NULL DEFAULT 60 CHECK (session_idle_minutes > 0),
  session_absolute_hours INTEGER NOT NULL DEFAULT 12 CHECK (session_absolute_hours > 0),
  updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS clients (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  tax_id TEXT NOT NULL UNIQUE,
  email TEXT,
  require_login TEXT NOT NULL DEFAULT 'inherit' CHECK (require_login IN ('inherit', 'on', 'off')),
  login_link_version INTEGER NOT NULL DEFAULT 1,
  -- SHA-256 of the derived login-link token: lets the portal find the client without the
  -- database ever holding a usable token.
  login_link_digest TEXT UNIQUE,
  group_head_id INTEGER REFERENCES clients (id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clients_group_head ON clients (group_head_id);

CREATE TABLE IF NOT EXISTS client_users (
  id INTEGER PRIMARY KEY,
  client_id INTEGER NOT NULL REFERENCES clients (id),
  username TEXT NOT NULL,
  -- NFKC + lower case: the unique key that makes "Bruno" and "bruno" the same person.
  username_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  email TEXT,
  password_hash TEXT,
  role TEXT NOT NULL CHECK (role IN ('admin', 'collaborator')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
  origin TEXT NOT NULL CHECK (origin IN ('login_link', 'document_link', 'portal_admin', 'cli')),
  created_at TEXT NOT NULL,
  activated_at TEXT,
  activated_by TEXT,
  last_login_at TEXT,
  password_changed_at TEXT
);
CREATE INDEX IF NOT EXISTS client_users_client ON client_users (client_id, status);

-- Each row hides one thing from a collaborator: a document category (kind 'category', ref the
-- category name) or a group company (kind 'company', ref the client id as text). No rows: the
-- collaborator sees everything the client area shows.
CREATE TABLE IF NOT EXISTS user_visibility (
  user_id INTEGER NOT NULL REFERENCES client_users (id),
  kind TEXT NOT NULL CHECK (kind IN ('category', 'company')),
  ref TEXT NOT NULL,
  PRIMARY KEY (user_id, kind, ref)
);

CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES client_users (id),
  -- 'area': the client area; 'delivery': only delivery links of the user's own client (pending users).
  scope TEXT NOT NULL CHECK (scope IN ('area', 'delivery')),
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

CREATE TABLE IF NOT EXISTS login_throttle (
  throttle_key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at TEXT NOT NULL,
  blocked_until TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS password_resets (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES client_users (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX IF NOT EXISTS password_resets_user ON password_resets (user_id);

CREATE TABLE IF NOT EXISTS documents (
  id INTEGER PRIMARY KEY,
  client_id INTEGER NOT NULL REFERENCES clients (id),
  title TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('fiscal', 'pessoal', 'contabil', 'societario', 'outros')),
  competence TEXT,
  due_date TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_client_newest ON documents (client_id, created_at, id);

CREATE TABLE IF NOT EXISTS attachments (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents (id),
  file_name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_document ON attachments (document_id);

CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents (id),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'whatsapp', 'link')),
  recipient TEXT,
  -- SHA-256 of the derived token, for lookup; the token itself is never stored.
  token_digest TEXT UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_document ON deliveries (document_id);

CREATE TABLE IF NOT EXISTS access_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  document_id INTEGER NOT NULL REFERENCES documents (id),
  attachment_id INTEGER REFERENCES attachments (id),
  client_id INTEGER NOT NULL REFERENCES clients (id),
  user_id INTEGER REFERENCES client_users (id),
  username TEXT,
  user_name TEXT,
  channel TEXT NOT NULL CHECK (channel IN ('portal', 'email', 'whatsapp', 'link')),
  delivery_id INTEGER REFERENCES deliveries (id),
  ip TEXT,
  port INTEGER,
  user_agent TEXT,
  action TEXT NOT NULL CHECK (action IN ('view', 'download')),
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_client ON access_log (client_id, id);
CREATE INDEX IF NOT EXISTS access_log_document ON access_log (document_id, id);
CREATE INDEX IF NOT EXISTS access_log_user ON access_log (user_id, id);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at);

CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  client_id INTEGER,
  user_id INTEGER,
  details TEXT
);
CREATE INDEX IF NOT EXISTS events_client ON events (client_id, id);

-- dialect: sqlite
-- INTEGER PRIMARY KEY is already an auto-assigned rowid here. The access log and the events are
-- append-only: the database itself refuses to change or remove a row.

CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;

CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;

-- dialect: postgres
-- Identity for the integer ids (the table definitions above are shared) and the
-- same append-only rule as on SQLite. Each statement is guarded so applying the file twice is safe.

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['clients', 'client_users', 'sessions', 'password_resets', 'documents',
                           'attachments', 'deliveries', 'access_log', 'events'] LOOP
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = t
                     AND column_name = 'id' AND is_identity = 'YES') THEN
      EXECUTE format('ALTER TABLE %I ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY', t);
    END IF;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION confi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

DROP TRIGGER IF EXISTS access_log_append_only ON access_log;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION confi_append_only();

DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log;
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
FOR EACH STATEMENT EXECUTE FUNCTION confi_append_only();

DROP TRIGGER IF EXISTS events_append_only ON events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION confi_append_only();

DROP TRIGGER IF EXISTS events_no_truncate ON events;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION confi_append_only();
