-- Open WebUI's chat table as Alembic leaves it at revision 374d2f66af06 (PostgreSQL),
-- with alembic_version stamped there. Used by `pgbackfill seed`, the tests and the benchmarks
-- to build databases that look like a real Open WebUI install just before 8452d01d26d7.
CREATE TABLE chat (
    id         VARCHAR NOT NULL,
    user_id    VARCHAR,
    title      TEXT,
    created_at BIGINT,
    updated_at BIGINT,
    share_id   TEXT,
    archived   BOOLEAN,
    chat       JSON,
    pinned     BOOLEAN,
    meta       JSON DEFAULT '{}'::json NOT NULL,
    folder_id  TEXT,
    CONSTRAINT chat_pkey PRIMARY KEY (id),
    CONSTRAINT chat_share_id_key UNIQUE (share_id));
CREATE INDEX folder_id_idx ON chat (folder_id);
CREATE INDEX folder_id_user_id_idx ON chat (folder_id, user_id);
CREATE INDEX updated_at_user_id_idx ON chat (updated_at, user_id);
CREATE INDEX user_id_archived_idx ON chat (user_id, archived);
CREATE INDEX user_id_pinned_idx ON chat (user_id, pinned);
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version (version_num) VALUES ('374d2f66af06');
