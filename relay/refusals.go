package relay

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// refusals counts the submission port's refusals of clients that may not
// submit, for the metrics (SubmissionRefusals), and keeps the log of
// refused relaying to a line per client address a minute: unlike a failed
// AUTH, which waits longer each time and ends the connection at the
// third, a refused MAIL costs a client nothing, so one hammering the port
// would flood the log.
type refusals struct {
	clock    clock.Clock
	relaying atomic.Uint64 // MAIL or RCPT refused: relaying denied
	auth     atomic.Uint64 // failed AUTHs

	mu     sync.Mutex
	logged map[netip.Addr]refusalLine
}

// refusalLine is the last line logged of an address's refusals.
type refusalLine struct {
	at      time.Time
	skipped int // refusals since, not logged
}

// refusalLogEvery is how often the refused relaying of one client address
// is logged at most.
const refusalLogEvery = time.Minute

// maxRefusalAddrs bounds the addresses refusals remembers: beyond it,
// the refusals of a new address are counted but not logged until the
// older ones are a minute old.
const maxRefusalAddrs = 4096

func newRefusals(c clock.Clock) *refusals {
	return &refusals{clock: c, logged: map[netip.Addr]refusalLine{}}
}

// relayingDenied counts a refused relaying from client (host:port) and
// says whether to log it: the first from its address, or the first a
// minute or more after the address's last line; skipped is how many of
// the address's refusals were not logged since that line.
func (f *refusals) relayingDenied(client string) (log bool, skipped int) {
	f.relaying.Add(1)
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return true, 0
	}
	a, now := ap.Addr().Unmap(), f.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, seen := f.logged[a]
	if seen && now.Sub(e.at) < refusalLogEvery {
		e.skipped++
		f.logged[a] = e
		return false, 0
	}
	if !seen && len(f.logged) >= maxRefusalAddrs {
		for k, v := range f.logged {
			if now.Sub(v.at) >= refusalLogEvery {
				delete(f.logged, k)
			}
		}
		if len(f.logged) >= maxRefusalAddrs {
			return false, 0
		}
	}
	f.logged[a] = refusalLine{at: now}
	return true, e.skipped
}

// SubmissionRefusals counts, since the start, what the submission port
// refused to clients that may not submit: relaying denied (a MAIL, or a
// RCPT after a null sender to other than the bounce address, from a
// client neither authenticated nor in relay.allowed_networks) and failed
// AUTHs, with those answered 454 because their address ran out of tries.
// Each relaying denied is logged (a line per client address a minute at
// most), as each failed AUTH is; an address out of tries once.
func (r *Relay) SubmissionRefusals() (relayingDenied, authFailed uint64) {
	if r.sub == nil {
		return 0, 0
	}
	return r.sub.refused.relaying.Load(), r.sub.refused.auth.Load()
}

// relayingDenied logs a refused relaying from the session's client, of
// from (the sender; "" is the null reverse path) to to ("" when refused
// at MAIL, before any recipient).
func (s *session) relayingDenied(from, to string) {
	client := s.conn.Conn().RemoteAddr().String()
	log, skipped := s.refused.relayingDenied(client)
	if !log {
		return
	}
	from = "<" + from + ">"
	args := []any{"client", client, "from", textsafe.Escape(echoed(from))}
	if to != "" {
		args = append(args, "to", textsafe.Escape(echoed(to)))
	}
	args = append(args, "reason", "the client is neither authenticated nor in relay.allowed_networks",
		"allowed_networks", s.r.cfg.AllowedNetworks, "refused_unlogged", skipped,
		"advice", "nothing, if the client is not yours (this relay is not open); if it is, give it a user in relay.users, or add its network to relay.allowed_networks")
	s.r.log.Warn("relay: relaying denied on the submission port (a line per client address a minute at most; refused_unlogged counts those left out since the last)", args...)
}
