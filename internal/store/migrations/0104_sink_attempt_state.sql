-- What was in force for each attempt when it was made: its TLS, the
-- client's EHLO name and its AUTH identity. A session can send in the
-- clear, then STARTTLS, EHLO again and AUTH, and send again, so the
-- session's values (at its end) are not each attempt's. NULL in rows
-- written before this migration: unknown, and readers take the session's
-- (COALESCE(a.tls, s.tls)); '' is known to be none.
ALTER TABLE sink_attempts ADD COLUMN tls TEXT;
ALTER TABLE sink_attempts ADD COLUMN helo TEXT;
ALTER TABLE sink_attempts ADD COLUMN auth_user TEXT;
