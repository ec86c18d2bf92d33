-- What chose the reply that ended each attempt: a rule (by its name, or
-- "rule 2" by its position), a profile's rule, a directive, or a limit of
-- the listener. NULL for the sink's normal replies, and in rows written
-- before this migration.
ALTER TABLE sink_attempts ADD COLUMN reply_by TEXT;
