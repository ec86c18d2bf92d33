package smtpload

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestAuthHidesCredentials: the transcript shows AUTH's data as
// HiddenCredentials, for PLAIN and for each answer to LOGIN's 334
// challenges, and never the password in any form; "TLS started" comes
// before the EHLO that follows STARTTLS.
func TestAuthHidesCredentials(t *testing.T) {
	t.Parallel()
	users := map[string]string{"alice": "s3cret"}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Users: users, Mechs: []string{mech}})
		var mu sync.Mutex
		var lines []string
		note := func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }
		opts := Options{TLS: &tls.Config{InsecureSkipVerify: true}, Timeout: 10 * time.Second,
			Trace:      func(dir, line string) { note(dir + " " + line) },
			TLSStarted: func(tls.ConnectionState) { note("TLS started") }}
		c, err := Dial(context.Background(), srv.Addr, false, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Greeting(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Hello(); err != nil {
			t.Fatal(err)
		}
		if err := c.StartTLS(); err != nil {
			t.Fatal(err)
		}
		if err := c.Auth("alice", "s3cret"); err != nil {
			t.Fatalf("%s: %v", mech, err)
		}
		got := strings.Join(lines, "\n")
		for _, secret := range []string{"s3cret", base64.StdEncoding.EncodeToString([]byte("s3cret")), base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret")), base64.StdEncoding.EncodeToString([]byte("alice"))} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: the transcript shows %q:\n%s", mech, secret, got)
			}
		}
		if !strings.Contains(got, HiddenCredentials) {
			t.Errorf("%s: the transcript lacks %q:\n%s", mech, HiddenCredentials, got)
		}
		tlsAt, ehloAt := strings.Index(got, "TLS started"), strings.LastIndex(got, "-> EHLO")
		if tlsAt < 0 || tlsAt > ehloAt {
			t.Errorf("%s: TLS started not noted before the EHLO after STARTTLS:\n%s", mech, got)
		}
	}
}

// TestAuthMech: Options.AuthMech picks the mechanism among those offered;
// one not offered is ErrNotOffered, with nothing sent.
func TestAuthMech(t *testing.T) {
	t.Parallel()
	users := map[string]string{"alice": "s3cret"}
	for _, tt := range []struct {
		offered []string
		mech    string
		sent    string // the AUTH command's start, "" for none
	}{
		{[]string{"PLAIN", "LOGIN"}, "LOGIN", "AUTH LOGIN"},
		{[]string{"PLAIN", "LOGIN"}, "plain", "AUTH PLAIN"},
		{[]string{"PLAIN", "LOGIN"}, "", "AUTH PLAIN"},
		{[]string{"PLAIN"}, "LOGIN", ""},
	} {
		srv := smtptest.Start(t, smtptest.Options{Users: users, Mechs: tt.offered})
		var mu sync.Mutex
		var sent []string
		c, err := Dial(context.Background(), srv.Addr, false, Options{Timeout: 10 * time.Second, AuthMech: tt.mech,
			Trace: func(dir, line string) {
				if dir == Sent && strings.HasPrefix(line, "AUTH") {
					mu.Lock()
					sent = append(sent, line)
					mu.Unlock()
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Greeting(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Hello(); err != nil {
			t.Fatal(err)
		}
		err = c.Auth("alice", "s3cret")
		switch {
		case tt.sent == "" && (!errors.Is(err, ErrNotOffered) || len(sent) > 0):
			t.Errorf("%v offered, %s asked: err %v, sent %q; want ErrNotOffered and nothing sent", tt.offered, tt.mech, err, sent)
		case tt.sent != "" && (err != nil || len(sent) != 1 || !strings.HasPrefix(sent[0], tt.sent)):
			t.Errorf("%v offered, %q asked: err %v, sent %q; want %q", tt.offered, tt.mech, err, sent, tt.sent)
		}
	}
}
