package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// The sink verifies SPF, DKIM and DMARC through probe, against a DNS
// server on loopback, over real SMTP on 127.0.0.1.
func TestSinkVerifiesInbound(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/sinkauth.zone")
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddString(`s1._domainkey.sinkauth.test. 300 IN TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"`); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := sink.DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Listeners[0].TLS = "none"
	cfg.Bounce.Relay = ""
	cfg.Verify = sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}, Timeout: config.Duration(time.Second)}
	cfg.Rules = []sink.Rule{{Name: "dmarc reject", Stage: "data-end", DMARC: "reject",
		Reply: "550 5.7.26 Unauthenticated email from this domain is not accepted due to its DMARC policy"}}
	log := slog.New(slog.DiscardHandler)
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: log, Verifier: sinkVerifier(cfg.Verify, log)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sk.Shutdown(sctx)
	})
	addr := sk.Addrs()["mx"].String()

	tests := []struct {
		name, from       string
		sign             bool
		code             int
		spf, dkim, dmarc string
	}{
		{"signed and aligned", "alice@sinkauth.test", true, 250, "pass", "pass", "pass"},
		{"spoofed, unsigned, disallowed IP", "mallory@strict.sinkauth.test", false, 550, "fail", "none", "fail"},
		{"DNS times out", "bob@slow.sinkauth.test", false, 250, "temperror", "none", "temperror"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := "From: <" + tc.from + ">\r\nTo: <rcpt@sink.test>\r\nSubject: verify " + tc.name + "\r\nMessage-ID: <" + strings.ReplaceAll(tc.name, " ", "-") + "@test>\r\n\r\nHello.\r\n"
			if tc.sign {
				var b bytes.Buffer
				if err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{Domain: "sinkauth.test", Selector: "s1", Signer: key}); err != nil {
					t.Fatal(err)
				}
				msg = b.String()
			}
			err := sendOne(addr, tc.from, msg)
			var se *smtp.SMTPError
			switch {
			case tc.code == 250 && err != nil:
				t.Fatalf("sending: %v, want 250", err)
			case tc.code != 250 && (!errors.As(err, &se) || se.Code != tc.code || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 26})):
				t.Fatalf("sending: %v, want %d 5.7.26", err, tc.code)
			}
			var id int64
			if err := st.DB().QueryRowContext(ctx, `SELECT id FROM sink_messages WHERE mail_from = ?`, tc.from).Scan(&id); err != nil {
				t.Fatal(err)
			}
			m, err := sink.MessageByID(ctx, st.DB(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.SPF != tc.spf || m.DKIM != tc.dkim || m.DMARC != tc.dmarc || m.Reply.Code != tc.code {
				t.Errorf("recorded spf=%s dkim=%s dmarc=%s code %d, want %s %s %s %d", m.SPF, m.DKIM, m.DMARC, m.Reply.Code, tc.spf, tc.dkim, tc.dmarc, tc.code)
			}
			// The first field, folded before each result (RFC 5322 2.2.3).
			first := regexp.MustCompile(`^[^\r\n]*(\r\n\t[^\r\n]*)*`).FindString(string(m.Raw))
			for _, want := range []string{"Authentication-Results: relaylab;\r\n\tspf=" + tc.spf, ";\r\n\tdmarc=" + tc.dmarc} {
				if !strings.Contains(first, want) {
					t.Errorf("first field of the stored message %q lacks %q", first, want)
				}
			}
			if !strings.HasSuffix(string(m.Raw), msg) {
				t.Errorf("the stored message does not end with the message sent")
			}
		})
	}
}

// sendOne sends msg to the sink at addr over plain SMTP.
func sendOne(addr, from, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.sinkauth.test"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt("rcpt@sink.test", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestSinkVerifierOff(t *testing.T) {
	t.Parallel()
	if v := sinkVerifier(sink.VerifyConfig{}, slog.New(slog.DiscardHandler)); v != nil {
		t.Errorf("sinkVerifier with verify off = %v, want nil", v)
	}
}

// `relaylab sink` with sink.verify on in its config file wires the verifier:
// spoofed mail under p=reject gets 550 5.7.26.
func TestSinkCommandVerifies(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/sinkauth.zone")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "relaylab.yaml")
	doc := "sink:\n  verify: {enabled: true, resolvers: [\"" + srv.Addr + "\"], timeout: 2s}\n  rules:\n    - {stage: data-end, dmarc: reject, reply: \"550 5.7.26 DMARC policy\"}\n"
	if err := os.WriteFile(cfgPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &sinkOutput{mu: make(chan struct{}, 1)}
	e := &env{stdout: out, stderr: out, hup: make(chan os.Signal, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sink", "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db"), "--config", cfgPath})
	}()
	re := regexp.MustCompile(`smtp://(127\.0\.0\.1:\d+)`)
	var addr string
	for i := 0; i < 1000 && addr == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("no address printed:\n%s", out.String())
	}
	msg := "From: <mallory@strict.sinkauth.test>\r\nTo: <rcpt@sink.test>\r\nSubject: spoof\r\n\r\nHello.\r\n"
	var se *smtp.SMTPError
	if err := sendOne(addr, "mallory@strict.sinkauth.test", msg); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 26}) {
		t.Errorf("spoofed mail: got %v, want 550 5.7.26", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}
