-- Secrets the relay keeps with its queue, so that a copy of the store
-- carries them: "verp" signs the return paths of its mail (a MAC in the
-- VERP tag), which a DSN from outside must come back to. made_ns is when
-- the key was made: mail queued before went out with bare tags.
CREATE TABLE relay_keys (
	name TEXT PRIMARY KEY,
	made_ns INTEGER NOT NULL,
	key BLOB NOT NULL
);
