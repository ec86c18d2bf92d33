package authcheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/smtp"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// A reload (SIGHUP) makes sink.verify forget the DNS answers it cached:
// a tester rotates the DKIM key of a test zone and sets p=none, both
// with TTL 300, and reloads; the next message is judged by the zone as
// it is now. Before the reload the cache answers, as a receiver's
// resolver would.
func TestReloadForgetsCachedDNS(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/sinkauth.zone")
	key1 := dkimKey(t, srv)
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sink.DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	cfg.Verify = sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}}
	s, err := sink.New(cfg, sink.Options{Store: st, Logger: log, Verifier: New(cfg.Verify, log)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		st.Close()
	})
	addr := s.Addrs()[cfg.Listeners[0].Name].String()

	if got := sendSigned(t, addr, st, key1, 1); got != "dkim=pass polrec.p=reject" {
		t.Fatalf("message 1: %s, want dkim=pass polrec.p=reject (the zone as loaded)", got)
	}
	// The tester rotates the key and relaxes the policy.
	srv.Remove("s1._domainkey.sinkauth.test.", dns.TypeTXT)
	key2 := dkimKey(t, srv)
	srv.Remove("_dmarc.sinkauth.test.", dns.TypeTXT)
	if err := srv.AddString(`_dmarc.sinkauth.test. 300 IN TXT "v=DMARC1; p=none"`); err != nil {
		t.Fatal(err)
	}
	if got := sendSigned(t, addr, st, key2, 2); got != "dkim=fail polrec.p=reject" {
		t.Fatalf("message 2, before the reload: %s, want dkim=fail polrec.p=reject: the answers of message 1 are cached for their TTL (300s), as a receiver's resolver keeps them", got)
	}
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := sendSigned(t, addr, st, key2, 3); got != "dkim=pass polrec.p=none" {
		t.Fatalf("message 3, after the reload: %s, want dkim=pass polrec.p=none: a reload must make sink.verify forget the DNS answers it cached (sink.Reload calls the Verifier's ForgetDNS), or a rotated key and a new policy count only after a restart", got)
	}
	if !strings.Contains(logs.String(), "DNS answers cached for their TTL forgotten") {
		t.Errorf("the log does not say that the reload forgot the cached DNS answers:\n%s", logs.String())
	}
}

// dkimKey makes an Ed25519 key and publishes it at selector s1 of
// sinkauth.test, TTL 300.
func dkimKey(t *testing.T, srv *dnstest.Server) ed25519.PrivateKey {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddString(`s1._domainkey.sinkauth.test. 300 IN TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"`); err != nil {
		t.Fatal(err)
	}
	return key
}

// sendSigned sends message n from alice@sinkauth.test signed with key,
// and returns the stored copy's DKIM result and DMARC policy as its
// Authentication-Results field gives them.
func sendSigned(t *testing.T, addr string, st *store.Store, key ed25519.PrivateKey, n int) string {
	t.Helper()
	var signed bytes.Buffer
	msg := "From: <alice@sinkauth.test>\r\nTo: <b@sink.test>\r\nSubject: key " + string(rune('0'+n)) + "\r\n\r\nHello.\r\n"
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "sinkauth.test", Selector: "s1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	if err := send(addr, "alice@sinkauth.test", "b@sink.test", signed.Bytes()); err != nil {
		t.Fatalf("message %d: %v", n, err)
	}
	var id int64
	if err := st.DB().QueryRowContext(context.Background(), `SELECT id FROM sink_messages ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	m, err := sink.MessageByID(context.Background(), st.DB(), id)
	if err != nil {
		t.Fatal(err)
	}
	hdr, _, _ := strings.Cut(string(m.Raw), "\r\nFrom:")
	var out []string
	for _, f := range strings.FieldsFunc(hdr, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
		if strings.HasPrefix(f, "dkim=") || strings.HasPrefix(f, "polrec.p=") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// send sends msg in plaintext (smtp.SendMail would try the sink's
// STARTTLS, whose certificate is its own).
func send(addr, from, to string, msg []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// lockedBuffer is a log's output, written by the sink's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
