-- The web's charts count outcomes by kind over a time window.
CREATE INDEX IF NOT EXISTS events_kind_time ON events(kind, time_ns);
