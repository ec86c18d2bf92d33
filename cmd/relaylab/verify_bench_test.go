package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/sink/authcheck"
)

// BenchmarkSinkVerify measures signed messages accepted per second over
// one SMTP connection, with verification off, on with the resolver's
// cache, and on with every lookup going to the loopback DNS server.
func BenchmarkSinkVerify(b *testing.B) {
	srv := dnstest.Start(b, "../../testdata/dns/sinkauth.zone")
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.AddString(`s1._domainkey.sinkauth.test. 300 IN TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"`); err != nil {
		b.Fatal(err)
	}
	var signed bytes.Buffer
	msg := "From: <alice@sinkauth.test>\r\nTo: <rcpt@sink.test>\r\nSubject: bench\r\n\r\n" + strings.Repeat("A line of the body of the message.\r\n", 50)
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "sinkauth.test", Selector: "s1", Signer: key}); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	vcfg := sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}, Timeout: config.Duration(5 * time.Second)}
	uncached, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, CacheSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  sink.VerifyConfig
		v    sink.Verifier
	}{
		{"off", sink.VerifyConfig{}, nil},
		{"on-cached", vcfg, sinkVerifier(vcfg, log)},
		{"on-uncached", vcfg, authcheck.WithResolver(uncached)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, store.Options{Path: filepath.Join(b.TempDir(), "s.db"), Sync: store.SyncOff, Logger: log})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cfg := sink.DefaultConfig()
			cfg.Listeners[0].Listen, cfg.Listeners[0].TLS, cfg.Bounce.Relay = "127.0.0.1:0", "none", ""
			cfg.Verify = bc.cfg
			sk, err := sink.New(cfg, sink.Options{Store: st, Logger: log, Verifier: bc.v})
			if err != nil {
				b.Fatal(err)
			}
			if err := sk.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer sk.Shutdown(ctx)
			c, err := smtp.Dial(sk.Addrs()["mx"].String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.Hello("bench.sinkauth.test"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Mail("alice@sinkauth.test", nil); err != nil {
					b.Fatal(err)
				}
				if err := c.Rcpt("rcpt@sink.test", nil); err != nil {
					b.Fatal(err)
				}
				w, err := c.Data()
				if err != nil {
					b.Fatal(err)
				}
				w.Write(signed.Bytes())
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
