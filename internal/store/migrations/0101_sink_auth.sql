-- SPF, DKIM and DMARC results of each received message (sink.verify);
-- empty when the sink did not verify it.
ALTER TABLE sink_messages ADD COLUMN spf TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_messages ADD COLUMN dkim TEXT NOT NULL DEFAULT '';
ALTER TABLE sink_messages ADD COLUMN dmarc TEXT NOT NULL DEFAULT '';
