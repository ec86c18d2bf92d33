-- The relay's durable queue: one row per message, one per recipient.
CREATE TABLE relay_messages (
	id         TEXT PRIMARY KEY,
	sender     TEXT NOT NULL,          -- envelope sender; '' is the null reverse path
	envid      TEXT NOT NULL DEFAULT '', -- RFC 3461 ENVID
	ret        TEXT NOT NULL DEFAULT '', -- RFC 3461 RET: FULL, HDRS or ''
	is_dsn     INTEGER NOT NULL DEFAULT 0, -- a bounce we made: never bounced about
	auth_user  TEXT NOT NULL DEFAULT '',
	client     TEXT NOT NULL DEFAULT '',
	size       INTEGER NOT NULL,
	data       BLOB NOT NULL,
	created_ns INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL          -- give up on recipients still waiting after this
);

CREATE TABLE relay_recipients (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id  TEXT NOT NULL REFERENCES relay_messages(id) ON DELETE CASCADE,
	address     TEXT NOT NULL,
	orcpt       TEXT NOT NULL DEFAULT '',
	notify      TEXT NOT NULL DEFAULT '', -- RFC 3461 NOTIFY, comma separated; '' is the default
	state       TEXT NOT NULL,            -- queued, inflight, deferred, delivered, bounced, expired, suppressed
	due_ns      INTEGER,                  -- next attempt; NULL unless queued or deferred
	attempts    INTEGER NOT NULL DEFAULT 0,
	path        TEXT NOT NULL DEFAULT '',
	host        TEXT NOT NULL DEFAULT '',
	code        INTEGER NOT NULL DEFAULT 0,
	enhanced    TEXT NOT NULL DEFAULT '',
	reply       TEXT NOT NULL DEFAULT '',
	category    TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL DEFAULT '',
	warned      INTEGER NOT NULL DEFAULT 0, -- a delay DSN was sent
	updated_ns  INTEGER NOT NULL
);
-- "What is due" is a range scan over waiting recipients only: its cost
-- follows the number due, not the size of the queue.
CREATE INDEX relay_recipients_due ON relay_recipients(due_ns) WHERE due_ns IS NOT NULL;
CREATE INDEX relay_recipients_message ON relay_recipients(message_id);
CREATE INDEX relay_recipients_inflight ON relay_recipients(state) WHERE state = 'inflight';
CREATE INDEX relay_recipients_address ON relay_recipients(address);

CREATE TABLE relay_suppressions (
	address    TEXT PRIMARY KEY,
	category   TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	source     TEXT NOT NULL DEFAULT '', -- bounce, soft-bounces, dsn, manual
	created_ns INTEGER NOT NULL
);

-- Soft bounces counted per address until the suppression threshold.
CREATE TABLE relay_soft_bounces (
	address    TEXT PRIMARY KEY,
	count      INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL
);
