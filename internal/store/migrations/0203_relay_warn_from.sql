-- When a recipient's wait for a delay warning began (its message's
-- arrival), NULL for one that never gets a warning: a DSN's, a null
-- sender's, one whose NOTIFY leaves DELAY out. The delay-warning scan
-- reads the index of those deferred and not yet warned, oldest first, so
-- that its cost follows the warnings due, not the size of the queue.
ALTER TABLE relay_recipients ADD COLUMN warn_from_ns INTEGER;
UPDATE relay_recipients SET warn_from_ns = (
		SELECT m.created_ns FROM relay_messages m WHERE m.id = message_id AND m.is_dsn = 0 AND m.sender != '')
	WHERE state IN ('queued', 'inflight', 'deferred') AND warned = 0 AND (notify = '' OR notify LIKE '%DELAY%');
CREATE INDEX relay_recipients_unwarned ON relay_recipients(warn_from_ns)
	WHERE state = 'deferred' AND warned = 0 AND warn_from_ns IS NOT NULL;
