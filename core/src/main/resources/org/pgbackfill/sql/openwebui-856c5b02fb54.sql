-- Open WebUI's revisions after 8452d01d26d7 up to 856c5b02fb54 (PostgreSQL), as upstream's files
-- (backend/open_webui/migrations/versions/, release 0.11.0) apply them to the tables `pgbackfill seed`
-- creates: chat, chat_message (made by 8452d01d26d7, run before this file) and alembic_version.
-- Used by `pgbackfill seed --revision 856c5b02fb54` and the tests; DDL as SQLAlchemy emits it
-- (Text -> TEXT, String -> VARCHAR, JSON -> JSON, BigInteger -> BIGINT, PostgreSQL's own constraint names).
--
-- Revisions that change only tables the seed does not create (Open WebUI's user, note, memory,
-- knowledge, knowledge_file, config, ...) have nothing to do here: b2c3d4e5f6a7 (user.scim),
-- e1f2a3b4c5d6 (note.is_pinned, dropped again by 4de81c2a3af1), a0b1c2d3e4f5 (memory's user_id index),
-- 461111b60977 (primary keys of legacy tables: chat has chat_pkey already), 3ff2c63645b8 (config per
-- key), 7b3f2a9c1d4e and 42e2978c7933 (memory.type, memory.path, memory.meta), the access_control
-- columns f1e2d3c4b5a6 moves into access_grant, and 3c9b0ca343fd's knowledge_file.directory_id.
-- The tables these revisions create are created, as upstream defines them, except for the two
-- foreign keys that name tables the seed does not have (pinned_note.note_id -> note.id and
-- knowledge_directory.knowledge_id -> knowledge.id).

-- f1e2d3c4b5a6 "Add access_grant table"
CREATE TABLE access_grant (
    id             TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    permission     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_access_grant_grant UNIQUE (resource_type, resource_id, principal_type, principal_id, permission));
CREATE INDEX idx_access_grant_resource ON access_grant (resource_type, resource_id);
CREATE INDEX idx_access_grant_principal ON access_grant (principal_type, principal_id);

-- a1b2c3d4e5f6 "Add skill table"
CREATE TABLE skill (
    id          VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    content     TEXT NOT NULL,
    meta        JSON,
    is_active   BOOLEAN NOT NULL,
    updated_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name));
CREATE INDEX idx_skill_user_id ON skill (user_id);
CREATE INDEX idx_skill_updated_at ON skill (updated_at);

-- a3dd5bedd151 "Add tasks and summary columns to chat table"
ALTER TABLE chat ADD COLUMN tasks JSON;
ALTER TABLE chat ADD COLUMN summary TEXT;

-- d4e5f6a7b8c9 "add automation tables"
CREATE TABLE automation (
    id          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    data        JSON NOT NULL,
    meta        JSON,
    is_active   BOOLEAN NOT NULL,
    last_run_at BIGINT,
    next_run_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_automation_next_run ON automation (next_run_at);
CREATE TABLE automation_run (
    id            TEXT NOT NULL,
    automation_id TEXT NOT NULL,
    chat_id       TEXT,
    status        TEXT NOT NULL,
    error         TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_automation_run_automation_id ON automation_run (automation_id);

-- b7c8d9e0f1a2 "add last_read_at to chat": existing chats are marked as read
ALTER TABLE chat ADD COLUMN last_read_at BIGINT;
UPDATE chat SET last_read_at = updated_at;

-- c1d2e3f4a5b6 "Add shared_chat table and migrate existing shares"
CREATE TABLE shared_chat (
    id         TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    title      TEXT,
    chat       JSON,
    created_at BIGINT,
    updated_at BIGINT,
    PRIMARY KEY (id),
    FOREIGN KEY (chat_id) REFERENCES chat (id) ON DELETE CASCADE);
-- each shared-<original id> copy whose original still exists becomes a snapshot with a user:*:read grant
-- (upstream's grant id is a random uuid4; here one derived from the share token, so the same seed gives the same rows)
INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at, updated_at)
SELECT s.id, o.id, o.user_id, s.title, s.chat, s.created_at, s.updated_at
FROM chat s JOIN chat o ON o.id = substr(s.user_id, 8)
WHERE s.user_id LIKE 'shared-%'
ON CONFLICT (id) DO NOTHING;
INSERT INTO access_grant (id, resource_type, resource_id, principal_type, principal_id, permission, created_at)
SELECT DISTINCT ON (chat_id) md5('access_grant:' || id)::uuid::text, 'shared_chat', chat_id, 'user', '*', 'read',
       coalesce(created_at, extract(epoch FROM now())::bigint)
FROM shared_chat ORDER BY chat_id, id
ON CONFLICT DO NOTHING;
DELETE FROM chat_message WHERE chat_id IN (SELECT id FROM chat WHERE user_id LIKE 'shared-%');
DELETE FROM chat WHERE user_id LIKE 'shared-%';

-- 56359461a091 "add calendar tables"
CREATE TABLE calendar (
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    color      TEXT,
    is_default BOOLEAN NOT NULL,
    data       JSON,
    meta       JSON,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_calendar_user ON calendar (user_id);
CREATE TABLE calendar_event (
    id           TEXT NOT NULL,
    calendar_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    start_at     BIGINT NOT NULL,
    end_at       BIGINT,
    all_day      BOOLEAN NOT NULL,
    rrule        TEXT,
    color        TEXT,
    location     TEXT,
    data         JSON,
    meta         JSON,
    is_cancelled BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_calendar_event_calendar ON calendar_event (calendar_id, start_at);
CREATE INDEX ix_calendar_event_user_date ON calendar_event (user_id, start_at);
CREATE TABLE calendar_event_attendee (
    id         TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    meta       JSON,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_event_attendee UNIQUE (event_id, user_id));
CREATE INDEX ix_calendar_event_attendee_user ON calendar_event_attendee (user_id, status);

-- 4de81c2a3af1 "add pinned_note table" (upstream: note_id REFERENCES note (id) ON DELETE CASCADE; no note table here)
CREATE TABLE pinned_note (
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    note_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_pinned_note UNIQUE (user_id, note_id));

-- 3c9b0ca343fd "add knowledge_directory table" (upstream: knowledge_id REFERENCES knowledge (id) ON DELETE CASCADE;
-- no knowledge table here)
CREATE TABLE knowledge_directory (
    id           TEXT NOT NULL,
    knowledge_id TEXT NOT NULL,
    parent_id    TEXT,
    name         TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (parent_id) REFERENCES knowledge_directory (id) ON DELETE CASCADE,
    CONSTRAINT uq_knowledge_directory_knowledge_parent_name UNIQUE (knowledge_id, parent_id, name));
CREATE INDEX ix_knowledge_directory_knowledge_id ON knowledge_directory (knowledge_id);
CREATE INDEX ix_knowledge_directory_parent_id ON knowledge_directory (parent_id);

-- 4c5ce3d2f27f "add context summary to chat message"
ALTER TABLE chat_message ADD COLUMN context_summary TEXT;

-- 856c5b02fb54 "add chat message meta"
ALTER TABLE chat_message ADD COLUMN meta JSON;

UPDATE alembic_version SET version_num = '856c5b02fb54';
