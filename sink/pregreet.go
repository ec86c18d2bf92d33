package sink

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/quiesce"
)

// PregreetConfig refuses a client that speaks before the greeting, as
// Postfix's postscreen does with its pregreet test (postscreen_greet_wait,
// postscreen_greet_action: drop): RFC 5321 4.3.1 has a client wait for
// the 220, and a bot that does not is caught so. The listener holds its
// greeting back for Wait, then looks for bytes the client sent meanwhile.
type PregreetConfig struct {
	// Wait is how long the greeting is held back; default 6s, as
	// postscreen_greet_wait (a connect rule's delay comes on top).
	Wait config.Duration `yaml:"wait"`
	// Reply refuses such a client in place of the greeting; default
	// defaultPregreetReply. A 4xx, or a 5xx (a 554 keeps the connection
	// until QUIT, RFC 5321 3.1; 421 and 521 close it).
	Reply string `yaml:"reply"`
}

// defaultPregreetWait is postscreen_greet_wait's default.
const defaultPregreetWait = 6 * time.Second

// maxPregreetWait: RFC 5321 4.5.3.2.1 has a client wait 5 minutes for
// the greeting; a longer wait would send every client away, not the bots.
const maxPregreetWait = 5 * time.Minute

func defaultPregreetReply(host string) Reply {
	// 521 as postscreen's drop action: the host will not talk to this
	// client, and closes at once (RFC 7504 3).
	return Reply{Code: 521, Enhanced: "5.5.1", Text: host + " Protocol error: you sent before the greeting (RFC 5321 4.3.1: a client waits for the 220)"}
}

// checkPregreet checks a listener's pregreet: (key is its key).
func checkPregreet(key string, l *ListenerConfig) error {
	p := l.Pregreet
	if p == nil {
		return nil
	}
	if l.TLS == "implicit" {
		return config.Errorf(key, "a listener of tls: implicit hears the client first (its TLS hello), before any greeting, so every client would look like one that spoke early: remove pregreet, or use tls: starttls or none")
	}
	switch d := p.Wait.D(); {
	case d < 0:
		return config.Errorf(key+".wait", "%s: must not be negative (leave it out for %s)", d, defaultPregreetWait)
	case d > maxPregreetWait:
		return config.Errorf(key+".wait", "%s is over 5m, which RFC 5321 4.5.3.2.1 has a client wait for the greeting: every client would give up first, not only those that speak early (to test a client's greeting timeout, use a connect rule's delay)", d)
	}
	if p.Reply != "" {
		r, err := parseRuleReply(p.Reply)
		if err != nil {
			return config.Errorf(key+".reply", "%v", err)
		}
		if r.Code < 400 {
			return config.Errorf(key+".reply", "%q: want a 4xx or 5xx reply that refuses the client, such as \"521 5.5.1 Protocol error\" (a 554 keeps the connection until QUIT, RFC 5321 3.1); a 2xx or 3xx would greet it", p.Reply)
		}
	}
	return nil
}

// pregreetTest holds the greeting back for the listener's pregreet wait,
// then looks for bytes the client sent meanwhile. It reports whether the
// client spoke early, and whether the connection is gone (the sink
// stopping during the wait). What was waiting stays for the next read.
func (c *conn) pregreetTest() (early, stop bool) {
	wait := c.l.pregreetWait
	c.notef('*', "pregreet: the greeting waits "+wait.String()+" for a client that speaks first (RFC 5321 4.3.1)")
	if err := quiesce.Sleep(c.sink.hardCtx, c.clock, c.tcp, wait); err != nil {
		c.closeSocket()
		c.netClosed = true
		return false, true
	}
	n := c.peekEarly()
	if n == 0 {
		return false, false
	}
	c.notef('*', "the client spoke before the greeting: "+strconv.Itoa(n)+" octets were waiting after "+wait.String()+" ("+shown(string(c.held[:min(len(c.held), 60)]))+"): refused, as postscreen's pregreet test does")
	return true, false
}

// peekEarly reads what the client has sent before the greeting, at once,
// into held for the next Read, and returns how many octets; an error
// other than finding nothing is kept for the next Read too.
func (c *conn) peekEarly() int {
	buf := make([]byte, 4096)
	// Network deadlines are the wall clock's: what is waiting is read at
	// once, and only an empty socket waits, for a millisecond.
	c.tcp.SetReadDeadline(time.Now().Add(time.Millisecond))
	n, err := c.tcp.Read(buf)
	c.tcp.SetReadDeadline(time.Time{})
	if n > 0 {
		c.held = append(c.held, buf[:n]...)
	}
	if ne, ok := errors.AsType[net.Error](err); err != nil && !(ok && ne.Timeout()) {
		// Closed or failed: the next Read gets it, after the bytes.
		c.rerr = err
	}
	return n
}
