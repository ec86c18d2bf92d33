-- Where each change stands with the webhook, so that one that was not
-- posted before a shutdown is posted after the restart, in order:
-- webhook is '' (recorded with no webhook configured, or before this
-- column), 'pending', 'delivered', 'refused' (the receiver answered a 4xx
-- other than 408 and 429) or 'failed' (the attempts ran out); webhook_ns
-- is when it was delivered or given up.
ALTER TABLE probe_changes ADD COLUMN webhook TEXT NOT NULL DEFAULT '';
ALTER TABLE probe_changes ADD COLUMN webhook_ns INTEGER;
CREATE INDEX probe_changes_webhook_pending ON probe_changes(id) WHERE webhook = 'pending';
