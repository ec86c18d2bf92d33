package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/resolver"
)

// VerifyConfig is `sink.verify`: SPF, DKIM and DMARC checks of every
// message received. Off by default: a test sink should not make DNS
// lookups per message, nor reach real DNS unasked.
type VerifyConfig struct {
	Enabled bool `yaml:"enabled"`
	// Resolvers are HOST:PORT of DNS servers (default: the system's).
	Resolvers []string `yaml:"resolvers"`
	// Timeout bounds the checks of one message (default 5s); what is not
	// known by then is a temperror.
	Timeout config.Duration `yaml:"timeout"`
}

// Validate checks v; prefix is its key path ("sink.verify").
func (v *VerifyConfig) Validate(prefix string) error {
	for i, r := range v.Resolvers {
		if _, err := resolver.NormalizeServer(r); err != nil {
			return config.Errorf(fmt.Sprintf("%s.resolvers[%d]", prefix, i), "%s", strings.TrimPrefix(err.Error(), "resolver: server "))
		}
	}
	if v.Timeout < 0 {
		return config.Errorf(prefix+".timeout", "the timeout must not be negative (0 means the default, 5s)")
	}
	return nil
}

func (v *VerifyConfig) timeout() time.Duration {
	if v.Timeout <= 0 {
		return 5 * time.Second
	}
	return v.Timeout.D()
}

// Verifier checks the authentication of a received message: SPF of the
// client IP for mailFrom (or helo when mailFrom is empty), DKIM signatures
// and DMARC. It fails only when raw is not a message; DNS failures are
// temperror results.
//
// A Verifier may keep DNS answers for their TTL, as a receiver's resolver
// does; it then has a ForgetDNS method (dnsForgetter), which a reload
// (Reload: SIGHUP) calls.
type Verifier interface {
	Verify(ctx context.Context, clientIP netip.Addr, helo, mailFrom string, raw []byte) (AuthResult, error)
}

// dnsForgetter is a Verifier that caches DNS answers. ForgetDNS drops
// them, so that the next checks read the zones as they are now: a tester
// who rotated a DKIM key or set p=none in a test zone and reloaded wants
// the next message judged by that, not by answers cached for their TTL.
type dnsForgetter interface {
	ForgetDNS()
}

// forgetDNS makes the current Verifier, if it caches DNS answers, forget
// them; by names what asked ("reload"), for the log.
func (s *Sink) forgetDNS(by string) {
	vf := s.verify.Load()
	if vf == nil {
		return
	}
	if f, ok := vf.v.(dnsForgetter); ok {
		f.ForgetDNS()
		s.log.Info("sink.verify: DNS answers cached for their TTL forgotten; the next messages are checked against DNS as it is now", "by", by)
	}
}

// AuthResult is the verdict of a Verifier on one message. Results are the
// RFC 8601 values: pass, fail, softfail, neutral, none, temperror,
// permerror.
type AuthResult struct {
	SPF   string `json:"spf"`
	DKIM  string `json:"dkim"` // pass when one signature passes
	DMARC string `json:"dmarc"`
	// DMARCPolicy is the disposition the From domain asks for on failure
	// (none, quarantine, reject), when its record was found.
	DMARCPolicy string `json:"dmarc_policy,omitempty"`
	// Header is a whole "Authentication-Results: ..." field (RFC 8601)
	// without the final CRLF; the sink prepends it to the stored message.
	Header string `json:"-"`
}

// DMARCRejects reports whether DMARC failed and the From domain's policy
// is reject (RFC 7489 6.3).
func (a AuthResult) DMARCRejects() bool { return a.DMARC == "fail" && a.DMARCPolicy == "reject" }

// errVerifyTimeout ends the checks of a message that took too long.
var errVerifyTimeout = errors.New("the authentication checks took longer than sink.verify.timeout")

// verifying is the sink's current authentication checking.
type verifying struct {
	v       Verifier
	timeout time.Duration
}

// SetVerifier replaces the sink's authentication checks (sink.verify) for
// the messages that end from now on: v checks them when cfg.Enabled (and
// is required then); with it off, messages are not checked. SIGHUP uses it,
// so that new resolvers or a new timeout need no restart.
func (s *Sink) SetVerifier(cfg VerifyConfig, v Verifier) error {
	if err := cfg.Validate("sink.verify"); err != nil {
		return err
	}
	if !cfg.Enabled {
		s.verify.Store(nil)
		return nil
	}
	if v == nil {
		return errors.New("sink: sink.verify.enabled is on but no Verifier was given")
	}
	s.verify.Store(&verifying{v: v, timeout: cfg.timeout()})
	return nil
}

// check runs the Verifier vf on a received message within its timeout (on
// the sink's clock). A failure of the Verifier itself gives permerror
// results and no header, never a crash or a lost message.
func (s *Sink) check(vf *verifying, sess *session, raw []byte) (res AuthResult) {
	ctx, cancel := context.WithCancelCause(s.hardCtx)
	t := s.clock.AfterFunc(vf.timeout, func() { cancel(errVerifyTimeout) })
	defer func() {
		t.Stop()
		cancel(nil)
		if p := recover(); p != nil {
			s.log.Error("sink: the authentication checks panicked", "session", sess.c.id, "panic", p)
			res = AuthResult{SPF: "permerror", DKIM: "permerror", DMARC: "permerror"}
		}
	}()
	res, err := vf.v.Verify(ctx, sess.c.client, sess.helo, sess.from, raw)
	if err != nil {
		s.log.Debug("sink: the message could not be verified", "session", sess.c.id, "err", err)
		return AuthResult{SPF: "permerror", DKIM: "permerror", DMARC: "permerror"}
	}
	// Only a single header field may go in front of the message.
	if !strings.HasPrefix(strings.ToLower(res.Header), "authentication-results:") || strings.ContainsAny(strings.NewReplacer("\r\n ", "", "\r\n\t", "").Replace(res.Header), "\r\n") {
		res.Header = ""
	}
	res.SPF, res.DKIM, res.DMARC = orNone(res.SPF), orNone(res.DKIM), orNone(res.DMARC)
	return res
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.ToLower(s)
}

// withHeader returns raw with the header field in front, and without the
// Authentication-Results fields the message brought that claim the same
// authserv-id: RFC 8601 5 asks a verifier to remove such forgeries.
func withHeader(header string, raw []byte) []byte {
	if header == "" {
		return raw
	}
	id := authservID(header[len("authentication-results:"):])
	out := make([]byte, 0, len(header)+2+len(raw))
	out = append(out, header...)
	out = append(out, "\r\n"...)
	dropping := false
	for rest := raw; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if t := bytes.TrimRight(line, "\r\n"); len(t) == 0 {
			out = append(out, line...)
			return append(out, rest...) // the body, as it came
		}
		if line[0] != ' ' && line[0] != '\t' { // a new field (RFC 5322 2.2.3)
			name, value, ok := bytes.Cut(line, []byte(":"))
			dropping = ok && strings.EqualFold(string(bytes.TrimSpace(name)), "authentication-results") &&
				id != "" && authservID(string(value)) == id
		}
		if !dropping {
			out = append(out, line...)
		}
	}
	return out
}

// authservID is the authserv-id at the start of an Authentication-Results
// value (RFC 8601 2.2), lower case.
func authservID(value string) string {
	id, _, _ := strings.Cut(value, ";")
	if f := strings.Fields(id); len(f) > 0 {
		return strings.ToLower(f[0])
	}
	return ""
}
