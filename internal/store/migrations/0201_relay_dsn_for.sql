-- A DSN the relay wrote names the message it reports on, so that the
-- events of its own delivery (queued, attempt, delivered, deferred,
-- bounced, expired) can say which message the bounce is about; '' for
-- every other message.
ALTER TABLE relay_messages ADD COLUMN dsn_for TEXT NOT NULL DEFAULT '';
