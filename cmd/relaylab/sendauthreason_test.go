package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// TestSendAuthRefusals: send explains each AUTH refusal by what it says
// (RFC 4954): only a 535 judged the password, a 538 or 534 asks for TLS,
// and a 530 that asks for STARTTLS is not mistaken for missing credentials.
func TestSendAuthRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		stage     string
		reply     smtpload.Reply
		want      []string
		notWanted []string
	}{
		{"538 needs tls", smtpload.StageAuth, smtpload.Reply{Code: 538, Enhanced: "5.7.11", Lines: []string{"Encryption required for requested authentication mechanism"}},
			[]string{"category tls-failure", "only over an encrypted connection", "password was not judged", "add --starttls"}, []string{"refused the user name and password", "check --auth-user"}},
		{"534 too weak", smtpload.StageAuth, smtpload.Reply{Code: 534, Enhanced: "5.7.9", Lines: []string{"Authentication mechanism is too weak"}},
			[]string{"too weak", "password was not judged", "add --starttls"}, []string{"refused the user name and password"}},
		{"454 temporary", smtpload.StageAuth, smtpload.Reply{Code: 454, Enhanced: "4.7.0", Lines: []string{"Temporary authentication failure"}},
			[]string{"category service-unavailable", "could not check the credentials for now", "try again later"}, []string{"refused the user name and password"}},
		{"535 bad password", smtpload.StageAuth, smtpload.Reply{Code: 535, Enhanced: "5.7.8", Lines: []string{"Authentication credentials invalid"}},
			[]string{"category credentials-refused", "refused the user name and password", "check --auth-user"}, nil},
		{"530 starttls first", smtpload.StageMail, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{"Must issue a STARTTLS command first"}},
			[]string{"category tls-failure", "add --starttls"}, []string{"add --auth-user", "add --starttls and --auth-user"}},
		{"530 starttls and auth", smtpload.StageMail, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{"Authentication required: send STARTTLS, then AUTH PLAIN or LOGIN"}},
			[]string{"add --starttls and --auth-user"}, nil},
		{"530 auth only", smtpload.StageMail, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{"Authentication required"}},
			[]string{"category credentials-refused", "add --auth-user"}, []string{"add --starttls"}},
		{"530 to AUTH asking for tls", smtpload.StageAuth, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{"Must issue a STARTTLS command first"}},
			[]string{"only over an encrypted connection", "add --starttls"}, []string{"add --auth-user"}},
		{"530 to AUTH", smtpload.StageAuth, smtpload.Reply{Code: 530, Enhanced: "5.7.0", Lines: []string{"Authentication required"}},
			[]string{"refused AUTH itself"}, []string{"add --auth-user"}},
		{"432 password change", smtpload.StageAuth, smtpload.Reply{Code: 432, Enhanced: "4.7.12", Lines: []string{"A password transition is needed"}},
			[]string{"password to be changed", "change the account's password"}, []string{"try again later"}},
		{"504 mechanism", smtpload.StageAuth, smtpload.Reply{Code: 504, Enhanced: "5.5.4", Lines: []string{"Unrecognized authentication type"}},
			[]string{"does not take the AUTH mechanism", "--auth-mech"}, nil},
		{"greylisted", smtpload.StageRcpt, smtpload.Reply{Code: 451, Enhanced: "4.7.1", Lines: []string{"Greylisted, try again later"}},
			[]string{"category greylisted", "the server greylists"}, []string{"its text says why"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := explainRefusal(tt.stage, tt.reply, 0)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("explanation lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWanted {
				if strings.Contains(got, w) {
					t.Errorf("explanation has %q:\n%s", w, got)
				}
			}
		})
	}
}
