-- DSN parameters (RFC 3461) the sink received: RET and ENVID per message
-- and per attempt (the transaction's MAIL), NOTIFY and ORCPT per
-- recipient; and what became of each asynchronous bounce that the
-- recipient's NOTIFY ruled out.
ALTER TABLE sink_messages ADD COLUMN ret TEXT NOT NULL DEFAULT '';   -- FULL, HDRS or '' when not given
ALTER TABLE sink_messages ADD COLUMN envid TEXT NOT NULL DEFAULT ''; -- decoded from xtext
ALTER TABLE sink_messages ADD COLUMN rcpt_dsn TEXT NOT NULL DEFAULT ''; -- JSON, one entry per rcpts line; '' when no recipient had NOTIFY or ORCPT
ALTER TABLE sink_attempts ADD COLUMN ret TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_attempts ADD COLUMN envid TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_attempts ADD COLUMN notify TEXT NOT NULL DEFAULT ''; -- "FAILURE,DELAY", "NEVER"; '' when not given
ALTER TABLE sink_attempts ADD COLUMN orcpt TEXT NOT NULL DEFAULT '';  -- "rfc822;alice@example.com", address decoded
ALTER TABLE sink_bounces ADD COLUMN notify TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_bounces ADD COLUMN orcpt TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_bounces ADD COLUMN skipped TEXT NOT NULL DEFAULT ''; -- why no DSN was sent, when NOTIFY ruled it out
