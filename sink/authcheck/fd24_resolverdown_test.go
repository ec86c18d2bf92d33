package authcheck

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/testutil"
	"github.com/relaylab/relaylab/sink"
)

// TestFD24ResolverDownIsLogged: walk L8. A sink.verify resolver that does
// not answer gave every message temperror and logged nothing. The first
// failure is logged at once, naming the resolver, what it does to the
// results and what to check; the next ones within a minute are not;
// once a resolver answers, a line says it works again. A resolver that
// answers (NXDOMAIN included) logs nothing.
func TestFD24ResolverDownIsLogged(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := pc.LocalAddr().String()
	pc.Close() // nothing listens there now: the kernel answers port unreachable

	var logs testutil.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := New(sink.VerifyConfig{Enabled: true, Resolvers: []string{down}}, log).(*verifier)
	w := v.r.(*watchedResolver)
	w.now = func() time.Time { return now }
	msg := []byte("From: <a@sinkauth.test>\r\nSubject: hi\r\n\r\nHi.\r\n")
	for range 3 {
		got, err := v.Verify(context.Background(), loopback, "client.test", "a@sinkauth.test", msg)
		if err != nil {
			t.Fatal(err)
		}
		if got.SPF != "temperror" || got.DMARC != "temperror" {
			t.Errorf("results %+v, want temperror", got)
		}
		now = now.Add(10 * time.Second)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines for three messages in 30s, want 1:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{"level=ERROR", "sink.verify: asking its DNS resolver (" + down + ") failed", "every message gets temperror for SPF, DKIM and DMARC",
		"check sink.verify.resolvers", "nothing answers at " + down} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the line lacks %q:\n%s", want, lines[0])
		}
	}

	// The same resolver, now answering: a line says so, once.
	srv := dnstest.Start(t, "../../testdata/dns/sinkauth.zone")
	now = now.Add(2 * time.Minute)
	w.Resolver = New(sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}}, nil).(*verifier).r.(*watchedResolver).Resolver
	for range 2 {
		if _, err := v.Verify(context.Background(), loopback, "client.test", "a@sinkauth.test", msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := logs.String(); strings.Count(got, "works again") != 1 || strings.Count(got, "level=ERROR") != 1 {
		t.Errorf("after the resolver answers, want one line that it works again:\n%s", got)
	}

	var quiet testutil.SyncBuffer
	ok := New(sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}}, slog.New(slog.NewTextHandler(&quiet, nil)))
	for _, from := range []string{"a@sinkauth.test", "a@no-such-domain.test"} {
		if _, err := ok.Verify(context.Background(), loopback, "client.test", from, msg); err != nil {
			t.Fatal(err)
		}
	}
	if quiet.String() != "" {
		t.Errorf("a resolver that answers logged:\n%s", quiet.String())
	}
}
