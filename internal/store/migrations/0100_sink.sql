-- The sink's record: sessions with their transcripts, messages with their
-- raw bytes, one attempt per recipient per transaction, greylisting, and
-- asynchronous bounces.
CREATE TABLE sink_sessions (
	id         INTEGER PRIMARY KEY,
	listener   TEXT NOT NULL,
	client     TEXT NOT NULL,
	helo       TEXT NOT NULL DEFAULT '',
	tls        TEXT NOT NULL DEFAULT '', -- "TLS 1.3 TLS_AES_128_GCM_SHA256"
	auth_user  TEXT NOT NULL DEFAULT '',
	start_ns   INTEGER NOT NULL,
	end_ns     INTEGER NOT NULL,
	messages   INTEGER NOT NULL DEFAULT 0,
	transcript TEXT NOT NULL DEFAULT '', -- "seconds dir text" lines; dir C, S or *
	replies    TEXT NOT NULL DEFAULT '[]' -- JSON: every reply given
);
CREATE TABLE sink_messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id  INTEGER NOT NULL,
	listener    TEXT NOT NULL,
	time_ns     INTEGER NOT NULL,
	mail_from   TEXT NOT NULL,
	rcpts       TEXT NOT NULL, -- newline-separated
	size        INTEGER NOT NULL,
	attempt     INTEGER NOT NULL, -- of the first recipient, per (sender, recipient)
	message_id  TEXT NOT NULL DEFAULT '',
	msg_attempt INTEGER NOT NULL DEFAULT 0, -- per Message-ID
	code        INTEGER NOT NULL, -- the reply after the dot; 0 when the sink dropped or hung
	enhanced    TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL DEFAULT '',
	raw         BLOB NOT NULL
);
CREATE INDEX sink_messages_session ON sink_messages(session_id);
CREATE TABLE sink_attempts (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id INTEGER NOT NULL,
	time_ns    INTEGER NOT NULL,
	sender     TEXT NOT NULL,
	recipient  TEXT NOT NULL COLLATE NOCASE,
	attempt    INTEGER NOT NULL,
	stage      TEXT NOT NULL,
	code       INTEGER NOT NULL,
	enhanced   TEXT NOT NULL DEFAULT '',
	text       TEXT NOT NULL DEFAULT '',
	message    INTEGER NOT NULL DEFAULT 0 -- sink_messages.id, 0 when none
);
CREATE INDEX sink_attempts_recipient ON sink_attempts(recipient, id);
CREATE TABLE sink_greylist (
	key       TEXT PRIMARY KEY, -- client IP, sender, recipient
	first_ns  INTEGER NOT NULL,
	passed_ns INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sink_bounces (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	message   INTEGER NOT NULL,
	due_ns    INTEGER NOT NULL,
	sender    TEXT NOT NULL,
	recipient TEXT NOT NULL,
	reply     TEXT NOT NULL,
	sent_ns   INTEGER NOT NULL DEFAULT 0,
	error     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sink_bounces_due ON sink_bounces(due_ns) WHERE sent_ns = 0;
