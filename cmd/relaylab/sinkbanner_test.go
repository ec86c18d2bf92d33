package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSinkBannerImplicitTLS: the banner gives an implicit-TLS listener as
// smtps://, as serve gives the relay's TLS listener, and a STARTTLS one
// as smtp://.
func TestSinkBannerImplicitTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "relaylab.yaml")
	cfg := "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n    - {name: tlsmx, listen: \"127.0.0.1:0\", tls: implicit}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &sinkOutput{mu: make(chan struct{}, 1)}
	e := &env{stdout: out, stderr: out, hup: make(chan os.Signal, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"sink", "--db", filepath.Join(dir, "x.db"), "--config", cfgPath}) }()
	defer func() { cancel(); <-done }()
	for i := 0; i < 2000 && !strings.Contains(out.String(), "Ctrl-C stops."); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	for _, re := range []string{`sink mx +smtp://127\.0\.0\.1:\d+\n`, `sink tlsmx +smtps://127\.0\.0\.1:\d+\n`} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("the banner lacks %s:\n%s", re, out.String())
		}
	}
}
