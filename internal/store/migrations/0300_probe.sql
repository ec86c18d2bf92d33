-- Probe results with history, the confirmed state of each observed fact
-- (a listing, a record), and the changes found between runs.
CREATE TABLE probe_results (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns  INTEGER NOT NULL,
	target   TEXT NOT NULL,   -- a domain or an IP
	status   TEXT NOT NULL,   -- ok, warning, error, unknown
	errors   INTEGER NOT NULL DEFAULT 0,
	warnings INTEGER NOT NULL DEFAULT 0,
	report   TEXT NOT NULL    -- the probe report as JSON (probe/SCHEMA.md)
);
CREATE INDEX probe_results_target ON probe_results(target, id);

CREATE TABLE probe_state (
	key        TEXT PRIMARY KEY, -- "ip 192.0.2.1 zen.spamhaus.org", "domain example.com spf"
	target     TEXT NOT NULL,
	confirmed  TEXT NOT NULL,    -- the value seen on two runs in a row
	candidate  TEXT NOT NULL DEFAULT '',
	streak     INTEGER NOT NULL DEFAULT 0, -- runs in a row that saw candidate
	updated_ns INTEGER NOT NULL
);

CREATE TABLE probe_changes (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns  INTEGER NOT NULL,
	target   TEXT NOT NULL,
	key      TEXT NOT NULL,
	kind     TEXT NOT NULL,  -- listed, delisted, record-changed, key-rotated
	old      TEXT NOT NULL,
	new      TEXT NOT NULL,
	event_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX probe_changes_target ON probe_changes(target, id);
