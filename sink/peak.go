package sink

// notePeak raises the listener's peak of open connections to n.
func (l *listener) notePeak(n int64) {
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// PeakConnections is, per listener name, the most connections that were
// open at once since the sink started (refused ones included), so that a
// scenario can check a sender's concurrency against a destination.
func (s *Sink) PeakConnections() map[string]int64 {
	out := make(map[string]int64, len(s.listeners))
	for _, l := range s.listeners {
		out[l.cfg.Name] = l.peak.Load()
	}
	return out
}
