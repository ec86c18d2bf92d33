package sink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
)

func rcptReply(t *testing.T, addr, from, to string) int {
	t.Helper()
	c := dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<%s>", from)
	code, _ := c.cmd("RCPT TO:<%s>", to)
	c.cmd("QUIT")
	return code
}

func TestSequenceAcrossSessionsAndRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sink.db")
	s, st := testSinkAt(t, path, nil, nil)
	addr := addrOf(t, s, "mx")
	want := []int{451, 451, 250}
	for i, w := range want[:2] {
		if got := rcptReply(t, addr, "a@x.test", "defer2@sink.test"); got != w {
			t.Fatalf("attempt %d: got %d, want %d", i+1, got, w)
		}
	}
	// Another sender has its own count.
	if got := rcptReply(t, addr, "other@x.test", "defer2@sink.test"); got != 451 {
		t.Fatalf("other sender: got %d, want 451", got)
	}
	waitSessions(t, st, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// A new sink on the same store goes on counting.
	s2, _ := testSinkAt(t, path, nil, nil)
	if got := rcptReply(t, addrOf(t, s2, "mx"), "a@x.test", "defer2@sink.test"); got != 250 {
		t.Fatalf("third attempt after restart: got %d, want 250", got)
	}
}

func TestSequenceRulePerMessage(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{{Stage: "data-end", Per: "message", Attempt: "1-2", Reply: "451 4.3.0 try again"}}
	})
	addr := addrOf(t, s, "mx")
	for i, want := range []int{451, 451, 250} {
		c := dial(t, addr)
		c.greet()
		// A different sender each time: only the Message-ID links the tries.
		if got, _ := c.send("s"+string(rune('a'+i))+"@x.test", "u@sink.test", testMsg); got != want {
			t.Fatalf("try %d: got %d, want %d", i+1, got, want)
		}
	}
}

func TestGreylistOnVirtualClock(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, nil)
	addr := addrOf(t, s, "mx")
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{0, 451},                   // first contact
		{time.Minute, 451},         // too soon
		{5 * time.Minute, 250},     // after the minimum delay
		{time.Hour, 250},           // remembered
		{3 * time.Hour, 250},       // let through, renewed at 1h06
		{24 * time.Hour, 250},      // kept for 35 days after the last delivery, not 4h
		{36 * 24 * time.Hour, 451}, // idle longer than that: starts over
		{10 * time.Minute, 250},    // and passes again
	}
	for i, st := range steps {
		v.Advance(st.advance)
		if got := rcptReply(t, addr, "a@x.test", "greylist@sink.test"); got != st.want {
			t.Fatalf("step %d (+%s): got %d, want %d", i, st.advance, got, st.want)
		}
	}
	waitSessions(t, st, len(steps))
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM sink_greylist`).Scan(&n)
	if n != 1 {
		rows, _ := st.DB().Query(`SELECT key FROM sink_greylist`)
		for rows.Next() {
			var k string
			rows.Scan(&k)
			t.Logf("%q", k)
		}
		rows.Close()
		t.Errorf("greylist rows: %d, want 1", n)
	}
}

func TestDelayOnVirtualClock(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	done := make(chan int, 1)
	go func() {
		code, _ := c.cmd("RCPT TO:<delay30s+rcpt451@sink.test>")
		done <- code
	}()
	advanceWhenWaiting(t, v, 29*time.Second)
	select {
	case code := <-done:
		t.Fatalf("replied %d before the delay was over", code)
	case <-time.After(50 * time.Millisecond):
	}
	v.Advance(time.Second)
	if code := <-done; code != 250 {
		// delay30s is the first rcpt directive, so it wins over rcpt451.
		t.Fatalf("got %d, want 250 after the delay", code)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 1)
	ss, _ := ListSessions(context.Background(), st.DB(), SessionFilter{})
	full, _ := SessionByID(context.Background(), st.DB(), ss[0].ID)
	if !strings.Contains(full.Transcript, "30.000 S 250") {
		t.Errorf("the transcript should show the reply at 30 s:\n%s", full.Transcript)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.tp.PrintfLine("RCPT TO:<rcpthang@sink.test>")
	c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.tp.ReadLine(); err == nil {
		t.Fatal("got a reply from a hanging sink")
	}
	c.nc.Close()
	waitSessions(t, st, 1)
}

func TestTarpitOnVirtualClock(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, _ := testSink(t, v, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	done := make(chan int, 1)
	go func() {
		code, _ := c.cmd("RCPT TO:<tarpit@sink.test>")
		done <- code
	}()
	// One second per byte: the reply needs as many seconds as it has bytes.
	seconds := 0
	for i := 0; i < 20000; i++ {
		select {
		case code := <-done:
			if code != 250 || seconds < 20 {
				t.Fatalf("got %d after %d s", code, seconds)
			}
			return
		default:
		}
		if v.Pending() > 0 {
			v.Advance(time.Second)
			seconds++
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatal("the tarpit never finished")
}

func TestLimits(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		l := &c.Listeners[0].Limits
		l.MaxMessageBytes, l.MaxRecipients, l.MaxLineLength = 200, 2, 600
		l.Rate = RateLimit{PerSecond: 0.001, Burst: 2}
	})
	addr := addrOf(t, s, "mx")
	t.Run("size", func(t *testing.T) {
		c := dial(t, addr)
		c.greet()
		c.expect(552, "5.3.4", "MAIL FROM:<a@x.test> SIZE=5000")
		c.expect(250, "", "MAIL FROM:<a@x.test>")
		c.expect(250, "", "RCPT TO:<u@sink.test>")
		c.expect(354, "", "DATA")
		if code, msg := c.body(strings.Repeat("x", 300) + "\r\n"); code != 552 || !strings.Contains(msg, "5.3.4") {
			t.Fatalf("got %d %q, want 552 5.3.4", code, msg)
		}
	})
	t.Run("recipients and line", func(t *testing.T) {
		c := dial(t, addr)
		c.greet()
		c.expect(250, "", "MAIL FROM:<b@x.test>")
		c.expect(250, "", "RCPT TO:<u1@sink.test>")
		c.expect(250, "", "RCPT TO:<u2@sink.test>")
		c.expect(452, "4.5.3", "RCPT TO:<u3@sink.test>")
		c.expect(500, "5.4.0", "NOOP %s", strings.Repeat("y", 700))
	})
	t.Run("rate", func(t *testing.T) {
		// The two subtests above took the two tokens of 127.0.0.1.
		c := dial(t, addr)
		c.greet()
		c.expect(451, "4.7.1", "MAIL FROM:<c@x.test>")
	})
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxConnections = 1 })
	addr := addrOf(t, s, "mx")
	first := dial(t, addr)
	first.greet()
	second := dial(t, addr)
	if code, msg := second.read(); code != 421 || !strings.Contains(msg, "4.7.0") {
		t.Fatalf("second connection: got %d %q, want 421 4.7.0", code, msg)
	}
	first.cmd("QUIT")
}

func TestConnectRules(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners = append(c.Listeners, DefaultListener("mx2", "127.0.0.1:0", "mx2.sink.test"), DefaultListener("mx3", "127.0.0.1:0", "mx3.sink.test"))
		c.Rules = []Rule{
			{Stage: "connect", Listener: "mx2", Reply: "554 5.7.1 no service for you"},
			{Stage: "connect", Listener: "mx3", Drop: true},
		}
	})
	c := dial(t, addrOf(t, s, "mx2"))
	if code, msg := c.read(); code != 554 || !strings.Contains(msg, "no service") {
		t.Fatalf("mx2: got %d %q", code, msg)
	}
	c = dial(t, addrOf(t, s, "mx3"))
	if code, _ := c.read(); code != 0 {
		t.Fatalf("mx3: got %d, want a closed connection", code)
	}
	c = dial(t, addrOf(t, s, "mx"))
	if code, msg := c.read(); code != 220 || !strings.Contains(msg, "sink.relaylab.test") {
		t.Fatalf("mx: got %d %q", code, msg)
	}
}

func TestStartTLSAndAuth(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "required", Users: map[string]string{"alice": "secret"}}
	})
	addr := addrOf(t, s, "mx")
	tests := []struct {
		name string
		auth sasl.Client
		err  string
	}{
		{"plain", sasl.NewPlainClient("", "alice", "secret"), ""},
		{"login", sasl.NewLoginClient("alice", "secret"), ""},
		{"bad password", sasl.NewPlainClient("", "alice", "nope"), "535"},
		{"none", nil, "530"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := smtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if ok, _ := c.Extension("STARTTLS"); ok {
				t.Error("STARTTLS advertised again under TLS")
			}
			if tc.auth != nil {
				err = c.Auth(tc.auth)
			}
			if err == nil {
				err = c.SendMail("a@x.test", []string{"u@sink.test"}, strings.NewReader(testMsg))
			}
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
			c.Quit()
		})
	}
	waitSessions(t, st, len(tests))
	var tlsv, user, tr string
	if err := st.DB().QueryRow(`SELECT tls, auth_user, transcript FROM sink_sessions WHERE auth_user != '' LIMIT 1`).Scan(&tlsv, &user, &tr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tlsv, "TLS 1.") || user != "alice" {
		t.Errorf("tls %q user %q", tlsv, user)
	}
	// The transcript stays readable under TLS, and holds no credentials.
	if !strings.Contains(tr, "C MAIL FROM:<a@x.test>") || strings.Contains(tr, "c2VjcmV0") || strings.Contains(tr, "secret") {
		t.Errorf("transcript:\n%s", tr)
	}
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].TLS = "implicit" })
	tc, err := tls.Dial("tcp", addrOf(t, s, "mx"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(tc)
	if err := c.SendMail("a@x.test", []string{"u@sink.test"}, strings.NewReader(testMsg)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	waitSessions(t, st, 1)
	var tlsv string
	st.DB().QueryRow(`SELECT tls FROM sink_sessions`).Scan(&tlsv)
	if !strings.HasPrefix(tlsv, "TLS 1.") {
		t.Errorf("tls %q", tlsv)
	}
}

func TestStartTLSRefusedByRule(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{{Stage: "starttls", Reply: "454 4.7.0 TLS not available right now"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(454, "4.7.0", "STARTTLS")
	c.expect(250, "", "MAIL FROM:<a@x.test>")
}

func TestConfiguredCertificateAndOptionalAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, err := selfSigned([]string{"files.sink.test"}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].CertFile, c.Listeners[0].KeyFile = certFile, keyFile
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"bob": "pw"}}
	})
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	c, err := smtp.DialStartTLS(addrOf(t, s, "mx"), &tls.Config{ServerName: "files.sink.test", RootCAs: pool})
	if err != nil {
		t.Fatalf("STARTTLS with the configured certificate: %v", err)
	}
	defer c.Close()
	if ok, mechs := c.Extension("AUTH"); !ok || !strings.Contains(mechs, "PLAIN") || !strings.Contains(mechs, "LOGIN") {
		t.Errorf("AUTH %v %q", ok, mechs)
	}
	// Optional: mail goes through without AUTH.
	if err := c.SendMail("a@x.test", []string{"u@sink.test"}, strings.NewReader(testMsg)); err != nil {
		t.Fatal(err)
	}
	if _, err := New(func() Config {
		cfg := DefaultConfig()
		cfg.Listeners[0].CertFile, cfg.Listeners[0].KeyFile = filepath.Join(dir, "missing.pem"), keyFile
		return cfg
	}(), Options{Store: s.store}); err == nil || !strings.Contains(err.Error(), "cert_file") {
		t.Errorf("a missing certificate file: got %v", err)
	}
}
