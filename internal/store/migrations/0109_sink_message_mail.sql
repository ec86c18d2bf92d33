-- What each received message's MAIL command declared about its content:
-- its BODY= value (RFC 6152: 7BIT or 8BITMIME; '' when not given) and
-- whether it said SMTPUTF8 (RFC 6531: 1 or 0). NULL in rows written before
-- this migration: not known, which readers say (nothing was declared is
-- '' and 0). And the notes on the message, as its sink.message event has
-- them (a JSON list; '' for none): 8-bit data without BODY=8BITMIME, and
-- pieces of its recipients' addresses that look like directives.
ALTER TABLE sink_messages ADD COLUMN mail_body TEXT;
ALTER TABLE sink_messages ADD COLUMN smtputf8 INTEGER;
ALTER TABLE sink_messages ADD COLUMN notes TEXT NOT NULL DEFAULT '';
