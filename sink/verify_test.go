package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// fakeVerifier answers from the envelope sender's local part, and counts.
type fakeVerifier struct{}

var _ Verifier = fakeVerifier{}

func (fakeVerifier) Verify(ctx context.Context, ip netip.Addr, helo, from string, raw []byte) (AuthResult, error) {
	hdr := func(spf, dkim, dmarc string) string {
		return "Authentication-Results: relaylab; spf=" + spf + " smtp.mailfrom=" + from + "; dkim=" + dkim + "; dmarc=" + dmarc
	}
	switch {
	case strings.HasPrefix(from, "good@"):
		return AuthResult{SPF: "pass", DKIM: "pass", DMARC: "pass", DMARCPolicy: "reject", Header: hdr("pass", "pass", "pass")}, nil
	case strings.HasPrefix(from, "spoof@"):
		return AuthResult{SPF: "fail", DKIM: "none", DMARC: "fail", DMARCPolicy: "reject", Header: hdr("fail", "none", "fail")}, nil
	case strings.HasPrefix(from, "lax@"):
		return AuthResult{SPF: "fail", DKIM: "none", DMARC: "fail", DMARCPolicy: "none", Header: hdr("fail", "none", "fail")}, nil
	case strings.HasPrefix(from, "slow@"):
		<-ctx.Done() // a DNS server that never answers: only the timeout ends this
		return AuthResult{SPF: "temperror", DKIM: "temperror", DMARC: "temperror", Header: hdr("temperror", "temperror", "temperror")}, nil
	case strings.HasPrefix(from, "broken@"):
		return AuthResult{}, errors.New("the message cannot be parsed")
	case strings.HasPrefix(from, "panic@"):
		panic("verifier bug")
	case strings.HasPrefix(from, "inject@"):
		return AuthResult{SPF: "pass", DKIM: "pass", DMARC: "pass", Header: "Authentication-Results: x; spf=pass\r\nX-Evil: 1"}, nil
	}
	return AuthResult{SPF: "none", DKIM: "none", DMARC: "none", Header: hdr("none", "none", "none")}, nil
}

// verifySink starts a sink with verification through fakeVerifier and a
// rule that rejects DMARC failures under p=reject.
func verifySink(t *testing.T, rules ...Rule) (*Sink, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	cfg.Verify = VerifyConfig{Enabled: true, Timeout: config.Duration(200 * time.Millisecond)}
	cfg.Rules = rules
	if len(rules) == 0 {
		cfg.Rules = []Rule{{Name: "dmarc", Stage: "data-end", DMARC: "reject", Reply: "550 5.7.26 Unauthenticated email from this domain is not accepted due to its DMARC policy"}}
	}
	s, err := New(cfg, Options{Store: st, Logger: quietLogger(), Verifier: fakeVerifier{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
		st.Close()
	})
	return s, st
}

func TestVerifyRecordsAndRejects(t *testing.T) {
	t.Parallel()
	s, st := verifySink(t)
	addr := addrOf(t, s, "mx")
	tests := []struct {
		from             string
		code             int
		text             string
		spf, dkim, dmarc string
		header           string // prefix of the stored message; "" none
	}{
		{"good@a.test", 250, "accepted", "pass", "pass", "pass", "Authentication-Results: relaylab; spf=pass smtp.mailfrom=good@a.test; dkim=pass; dmarc=pass\r\nFrom: "},
		{"spoof@a.test", 550, "5.7.26 Unauthenticated", "fail", "none", "fail", "Authentication-Results: relaylab; spf=fail"},
		{"lax@a.test", 250, "accepted", "fail", "none", "fail", "Authentication-Results: relaylab; spf=fail"}, // p=none: no rejection
		{"slow@a.test", 250, "accepted", "temperror", "temperror", "temperror", "Authentication-Results: relaylab; spf=temperror"},
		{"broken@a.test", 250, "accepted", "permerror", "permerror", "permerror", ""},
		{"panic@a.test", 250, "accepted", "permerror", "permerror", "permerror", ""},
		{"inject@a.test", 250, "accepted", "pass", "pass", "pass", ""}, // a header of two fields is not written
		{"someone@a.test", 250, "accepted", "none", "none", "none", "Authentication-Results: relaylab; spf=none"},
	}
	for _, tc := range tests {
		t.Run(tc.from, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.greet()
			code, msg := c.send(tc.from, "bob@sink.test", testMsg)
			if code != tc.code || !strings.Contains(msg, tc.text) {
				t.Fatalf("got %d %q, want %d %q", code, msg, tc.code, tc.text)
			}
			ctx := context.Background()
			var id int64
			if err := st.DB().QueryRowContext(ctx, `SELECT id FROM sink_messages WHERE mail_from = ?`, tc.from).Scan(&id); err != nil {
				t.Fatal(err)
			}
			m, err := MessageByID(ctx, st.DB(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.SPF != tc.spf || m.DKIM != tc.dkim || m.DMARC != tc.dmarc {
				t.Errorf("stored spf=%s dkim=%s dmarc=%s, want %s %s %s", m.SPF, m.DKIM, m.DMARC, tc.spf, tc.dkim, tc.dmarc)
			}
			if m.Size != len(testMsg) || m.Reply.Code != tc.code {
				t.Errorf("stored size %d code %d, want %d %d", m.Size, m.Reply.Code, len(testMsg), tc.code)
			}
			raw := string(m.Raw)
			if tc.header == "" {
				if raw != testMsg {
					t.Errorf("stored message changed without a header:\n%q", raw)
				}
			} else if !strings.HasPrefix(raw, tc.header) || !strings.HasSuffix(raw, testMsg) {
				t.Errorf("stored message:\n%q\nwant it to start with %q and end with the message", raw, tc.header)
			}
			evs, err := st.Events(ctx, events.Filter{Kinds: []string{events.SinkMessage}})
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, e := range evs {
				var p messagePayload
				if json.Unmarshal(e.Payload, &p) == nil && p.ID == id {
					found = true
					if p.SPF != tc.spf || p.DKIM != tc.dkim || p.DMARC != tc.dmarc {
						t.Errorf("event payload %s, want spf %s dkim %s dmarc %s", e.Payload, tc.spf, tc.dkim, tc.dmarc)
					}
				}
			}
			if !found {
				t.Errorf("no sink.message event for message %d", id)
			}
		})
	}
}

// Without verification, a DMARC rule never matches and nothing is added.
// The configuration file and SetRules (the web API) refuse such a rule
// (TestSetRulesNeedsVerify); it can only be left over from a time when
// verification was on.
func TestVerifyOffLeavesMessagesAlone(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	if err := s.SetVerifier(VerifyConfig{Enabled: true}, fakeVerifier{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules([]Rule{{Stage: "data-end", DMARC: "fail", Reply: "550 5.7.26 no"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVerifier(VerifyConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("spoof@a.test", "bob@sink.test", testMsg); code != 250 {
		t.Fatalf("got %d %q, want 250", code, msg)
	}
	m, err := MessageByID(context.Background(), st.DB(), 1)
	if err != nil || string(m.Raw) != testMsg || m.DMARC != "" {
		t.Errorf("message %+v, %v: want it as sent and no results", m, err)
	}
}

// TestSPFAndDKIMRules: rules answer on the SPF and DKIM results as
// receivers do (RFC 7372 codes), and a temporary DNS failure matches only a
// rule that asks for temperror.
func TestSPFAndDKIMRules(t *testing.T) {
	t.Parallel()
	s, _ := verifySink(t,
		Rule{Name: "spf", Stage: "data-end", SPF: "fail|softfail", Reply: "550 5.7.23 The message was rejected because of Sender Policy Framework violation"},
		Rule{Name: "unsigned", Stage: "data-end", DKIM: "none|fail", Sender: "someone@*", Reply: "550 5.7.20 No passing DKIM signature found"},
		Rule{Name: "dns", Stage: "data-end", SPF: "temperror", Reply: "451 4.7.24 SPF check failed temporarily"})
	addr := addrOf(t, s, "mx")
	for _, tc := range []struct {
		from string
		code int
		text string
	}{
		{"good@a.test", 250, "accepted"},
		{"spoof@a.test", 550, "5.7.23"},
		{"lax@a.test", 550, "5.7.23"},
		{"someone@a.test", 550, "5.7.20"},
		{"slow@a.test", 451, "4.7.24"},
	} {
		c := dial(t, addr)
		c.greet()
		if code, msg := c.send(tc.from, "bob@sink.test", testMsg); code != tc.code || !strings.Contains(msg, tc.text) {
			t.Errorf("%s: got %d %q, want %d %q", tc.from, code, msg, tc.code, tc.text)
		}
	}
}

// TestSetVerifier: the checks can be switched on, changed and off while the
// sink runs (SIGHUP), each message checked by what was current at its dot.
func TestSetVerifier(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	// SetRules takes a rule on DMARC only while verification is on.
	if err := s.SetVerifier(VerifyConfig{Enabled: true}, fakeVerifier{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules([]Rule{{Stage: "data-end", DMARC: "reject", Reply: "550 5.7.26 Unauthenticated email is not accepted"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVerifier(VerifyConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	addr := addrOf(t, s, "mx")
	send := func(from string) int {
		c := dial(t, addr)
		c.greet()
		code, _ := c.send(from, "bob@sink.test", testMsg)
		return code
	}
	if code := send("spoof@a.test"); code != 250 {
		t.Errorf("unverified: got %d, want 250", code)
	}
	if err := s.SetVerifier(VerifyConfig{Enabled: true}, nil); err == nil {
		t.Error("SetVerifier on without a Verifier: no error")
	}
	if err := s.SetVerifier(VerifyConfig{Enabled: true, Timeout: -1}, fakeVerifier{}); err == nil {
		t.Error("SetVerifier with a negative timeout: no error")
	}
	if err := s.SetVerifier(VerifyConfig{Enabled: true, Timeout: config.Duration(time.Second)}, fakeVerifier{}); err != nil {
		t.Fatal(err)
	}
	if code := send("spoof@a.test"); code != 550 {
		t.Errorf("verified: got %d, want 550", code)
	}
	if err := s.SetVerifier(VerifyConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	if code := send("spoof@a.test"); code != 250 {
		t.Errorf("verification off again: got %d, want 250", code)
	}
	var checked int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM sink_messages WHERE dmarc != ''`).Scan(&checked); err != nil || checked != 1 {
		t.Errorf("%d messages with results (%v), want the one sent while verification was on", checked, err)
	}
}

func TestVerifyConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		key  string
	}{
		{"resolver", func(c *Config) { c.Verify.Resolvers = []string{"127.0.0.1:53", "nope"} }, "sink.verify.resolvers[1]"},
		// A host name would need DNS itself to be found.
		{"resolver by name", func(c *Config) { c.Verify.Resolvers = []string{"localhost:53"} }, "sink.verify.resolvers[0]"},
		{"timeout", func(c *Config) { c.Verify.Timeout = -1 }, "sink.verify.timeout"},
		{"dmarc value", func(c *Config) { c.Rules = []Rule{{Stage: "data-end", DMARC: "maybe", Reply: "550"}} }, "sink.rules[0].dmarc"},
		{"dmarc stage", func(c *Config) { c.Rules = []Rule{{Stage: "rcpt", DMARC: "fail", Reply: "550"}} }, "sink.rules[0].dmarc"},
	}
	for _, tc := range tests {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		err := cfg.Validate("sink")
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Key != tc.key {
			t.Errorf("%s: got %v, want an error at %s", tc.name, err, tc.key)
		}
	}
	cfg := DefaultConfig()
	cfg.Verify.Enabled = true
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(cfg, Options{Store: st}); err == nil || !strings.Contains(err.Error(), "Verifier") {
		t.Errorf("New with verify on and no Verifier: got %v, want an error naming the Verifier", err)
	}
}

func TestDMARCRuleMatching(t *testing.T) {
	t.Parallel()
	fail := func(policy string) *AuthResult { return &AuthResult{DMARC: "fail", DMARCPolicy: policy} }
	tests := []struct {
		cond string
		auth *AuthResult
		want bool
	}{
		{"fail", fail("none"), true},
		{"FAIL", fail("reject"), true},
		{"reject", fail("reject"), true},
		{"reject", fail("quarantine"), false},
		{"quarantine", fail("quarantine"), true},
		{"reject", &AuthResult{DMARC: "pass", DMARCPolicy: "reject"}, false},
		{"pass", &AuthResult{DMARC: "pass"}, true},
		{"temperror", &AuthResult{DMARC: "temperror"}, true},
		{"fail", nil, false},
	}
	for _, tc := range tests {
		r, err := Rule{Stage: "data-end", DMARC: tc.cond, Reply: "550 5.7.26 x"}.compile("r")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.matches(&input{stage: StageDataEnd, auth: tc.auth}); got != tc.want {
			t.Errorf("dmarc: %s against %+v: got %v, want %v", tc.cond, tc.auth, got, tc.want)
		}
	}
}

func TestWithHeaderDropsForgedResults(t *testing.T) {
	t.Parallel()
	const ours = "Authentication-Results: relaylab; spf=pass smtp.mailfrom=a@b.test"
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "From: a@b.test\r\n\r\nbody\r\n", "From: a@b.test\r\n\r\nbody\r\n"},
		{"forged, folded", "Authentication-Results: relaylab;\r\n\tdmarc=pass\r\nFrom: a@b.test\r\n\r\nbody\r\n", "From: a@b.test\r\n\r\nbody\r\n"},
		{"forged, other case and a version", "authentication-results:  RELAYLAB 1 ; dkim=pass\r\nFrom: a@b.test\r\n\r\nb\r\n", "From: a@b.test\r\n\r\nb\r\n"},
		{"another server's", "Authentication-Results: mx.other.test; spf=fail\r\nFrom: a@b.test\r\n\r\nb\r\n", "Authentication-Results: mx.other.test; spf=fail\r\nFrom: a@b.test\r\n\r\nb\r\n"},
		{"in the body", "From: a@b.test\r\n\r\nAuthentication-Results: relaylab; x\r\n", "From: a@b.test\r\n\r\nAuthentication-Results: relaylab; x\r\n"},
		{"bare LF", "Authentication-Results: relaylab; x\nFrom: a@b.test\n\nb\n", "From: a@b.test\n\nb\n"},
		{"header only", "Subject: x\r\nAuthentication-Results: relaylab; x", "Subject: x\r\n"},
	}
	for _, tc := range tests {
		got := string(withHeader(ours, []byte(tc.raw)))
		if want := ours + "\r\n" + tc.want; got != want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, got, want)
		}
	}
	if got := string(withHeader("", []byte("x"))); got != "x" {
		t.Errorf("no header: got %q", got)
	}
}

// FuzzWithHeader: any message gets our field first and keeps its body.
func FuzzWithHeader(f *testing.F) {
	for _, s := range []string{"From: a\r\n\r\nbody", "Authentication-Results: relaylab; x\r\n\r\n", "\r\n\r\n", ":\n \n", "Authentication-Results:\r\n relaylab\r\n\r\nb"} {
		f.Add([]byte(s))
	}
	const ours = "Authentication-Results: relaylab; dmarc=pass"
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := withHeader(ours, raw)
		if !bytes.HasPrefix(got, []byte(ours+"\r\n")) {
			t.Fatalf("our field is not first: %q", got)
		}
		if i := bytes.Index(raw, []byte("\n\r\n")); i >= 0 && bytes.Index(raw, []byte("\n\n")) < 0 {
			if body := raw[i:]; !bytes.HasSuffix(got, body) {
				t.Fatalf("body changed: %q -> %q", raw, got)
			}
		}
	})
}
