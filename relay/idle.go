package relay

// Idle reports whether the relay waits only for its clock: no delivery in
// progress, no kick pending, and its next wake-up not yet due. Scenario
// replay moves the virtual clock only when the relay is idle.
func (r *Relay) Idle() bool { return r.quiet() }
