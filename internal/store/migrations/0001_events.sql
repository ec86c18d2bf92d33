-- The event log: every observable fact, in commit order.
CREATE TABLE events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns   INTEGER NOT NULL, -- the clock's time (virtual when replaying)
	wall_ns   INTEGER NOT NULL, -- the machine's time
	kind      TEXT NOT NULL,
	message   TEXT NOT NULL DEFAULT '',
	recipient TEXT NOT NULL DEFAULT '',
	path      TEXT NOT NULL DEFAULT '',
	listener  TEXT NOT NULL DEFAULT '',
	target    TEXT NOT NULL DEFAULT '',
	payload   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX events_message ON events(message, id) WHERE message != '';
CREATE INDEX events_recipient ON events(recipient, id) WHERE recipient != '';
