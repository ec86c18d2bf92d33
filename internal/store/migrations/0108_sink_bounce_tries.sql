-- An asynchronous bounce's failed tries while it is still pending: how
-- many so far, and why the last one failed; error is set only when no
-- try is left (or the relay refused it for good).
ALTER TABLE sink_bounces ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sink_bounces ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
