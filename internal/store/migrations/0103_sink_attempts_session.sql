-- The sink's attempts by session: the web UI's session list shows how each
-- session ended. Session ids grow, so the index is appended to, not
-- scattered into, as the sink writes.
CREATE INDEX sink_attempts_session ON sink_attempts(session_id, id);
