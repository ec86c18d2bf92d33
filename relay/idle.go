package relay

// Idle reports whether the relay waits only for its clock: no delivery in
// progress, no kick pending, and its next wake-up not yet due. Scenario
// replay moves the virtual clock only when the relay is idle.
func (r *Relay) Idle() bool { return r.quiet() }

// IdleBut is Idle for a relay whose jobs include waiting deliveries that
// the caller knows to be blocked until the clock moves: each waits for a
// reply from a server that itself waits on the same clock (a replay's sink
// that delays, tarpits or hangs), with nothing on the wire between them.
func (r *Relay) IdleBut(waiting int) bool { return r.quietBut(waiting) }
