package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// TestFO24Send530AuthNotTLS: walk item (d). send labelled the relay's own
// "530 5.7.0 Authentication required: ...; AUTH is offered after STARTTLS"
// category tls-failure, because "starttls" was in its text. A 530 5.7.0 is
// authentication required (RFC 4954 6) unless its text says TLS is
// required (RFC 3207 4: "Must issue a STARTTLS command first").
func TestFO24Send530AuthNotTLS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		text      string
		want      []string
		notWanted []string
	}{
		{"auth, offered after starttls", "Authentication required: this relay accepts mail only after AUTH, or from its allowed networks; AUTH is offered after STARTTLS",
			[]string{"category credentials-refused", "only from clients that authenticate (RFC 4954 6", "add --starttls and --auth-user"}, []string{"tls-failure", "encrypted connection"}},
		{"starttls first", "Must issue a STARTTLS command first",
			[]string{"category tls-failure", "only over an encrypted connection", "add --starttls"}, []string{"--auth-user", "authenticate"}},
		{"starttls required", "STARTTLS required",
			[]string{"category tls-failure", "add --starttls"}, []string{"--auth-user"}},
	} {
		got := explainRefusal(smtpload.StageMail, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{tt.text}}, 0)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: explanation lacks %q:\n%s", tt.name, w, got)
			}
		}
		for _, w := range tt.notWanted {
			if strings.Contains(got, w) {
				t.Errorf("%s: explanation has %q:\n%s", tt.name, w, got)
			}
		}
	}
}
