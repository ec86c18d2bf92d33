-- The recipients of an event about several, which its recipient column
-- (one address) leaves empty: a sink.reply refusing a transaction's data
-- (DATA, BDAT LAST or the final dot) lists them in its payload's
-- recipients (the first 100), a sink.message to several in its payload's
-- to. A recipient filter (Store.Events: the web's ?recipient=, a
-- recipient's page and the stream's backlog) reads this index beside
-- events_recipient, so that each of them finds the event, not none.
CREATE TABLE event_recipients (
	recipient TEXT NOT NULL, -- as the payload spells it, as events.recipient
	event_id  INTEGER NOT NULL,
	PRIMARY KEY (recipient, event_id)
) WITHOUT ROWID;
-- For the trigger that drops an event's rows with it.
CREATE INDEX event_recipients_event ON event_recipients(event_id);

-- Triggers keep the index, whatever adds or removes events: the store's
-- Append, Import's copy from another store, pruning, clearing.
CREATE TRIGGER event_recipients_add AFTER INSERT ON events
	WHEN new.recipient = '' AND new.kind IN ('sink.reply', 'sink.message')
BEGIN
	-- A payload that is not JSON lists no one (and fails no write).
	INSERT OR IGNORE INTO event_recipients (recipient, event_id)
		SELECT value, new.id FROM json_each(iif(json_valid(new.payload), new.payload, '{}'), CASE new.kind WHEN 'sink.reply' THEN '$.recipients' ELSE '$.to' END)
		WHERE type = 'text' AND value != '';
END;
CREATE TRIGGER event_recipients_drop AFTER DELETE ON events
	WHEN old.recipient = '' AND old.kind IN ('sink.reply', 'sink.message')
BEGIN
	DELETE FROM event_recipients WHERE event_id = old.id;
END;

-- The events logged before this migration.
INSERT OR IGNORE INTO event_recipients (recipient, event_id)
	SELECT j.value, e.id FROM events e,
		json_each(iif(json_valid(e.payload), e.payload, '{}'), CASE e.kind WHEN 'sink.reply' THEN '$.recipients' ELSE '$.to' END) j
	WHERE e.kind IN ('sink.reply', 'sink.message') AND e.recipient = ''
		AND j.type = 'text' AND j.value != '';
