package clock

// Mark records on c, if it is a *Virtual, that who waits for the clock (a
// delay, a tarpit, a peer that is left hanging) until unmark is called,
// so that a replay driver can tell this wait from work in progress. who
// names the wait for the driver, e.g. the peer's address. On any other
// clock Mark does nothing.
func Mark(c Clock, who string) (unmark func()) {
	v, ok := c.(*Virtual)
	if !ok {
		return func() {}
	}
	v.mu.Lock()
	if v.marked == nil {
		v.marked = map[string]int{}
	}
	v.marked[who]++
	v.mu.Unlock()
	return func() {
		v.mu.Lock()
		if v.marked[who]--; v.marked[who] <= 0 {
			delete(v.marked, who)
		}
		v.mu.Unlock()
	}
}

// Marked reports whether something that Mark named who waits for v now.
func (v *Virtual) Marked(who string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.marked[who] > 0
}
