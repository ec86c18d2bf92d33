package sink

import (
	"strings"
	"testing"
)

// TestS14HideThatTakesNoMail: a hide list that leaves a listener unable
// to take mail or AUTH is refused at its item, with why: AUTH hidden where
// AUTH is required, STARTTLS hidden where AUTH needs TLS and only
// STARTTLS could start it (as tls: none is with require_tls).
func TestS14HideThatTakesNoMail(t *testing.T) {
	t.Parallel()
	users := map[string]string{"alice": "secret"}
	for _, tc := range []struct {
		name string
		l    func(*ListenerConfig)
		want string // "" for none
	}{
		{"AUTH hidden, AUTH required", func(l *ListenerConfig) {
			l.Auth, l.Hide = AuthConfig{Mode: "required", Users: users}, []string{"SIZE", "auth"}
		}, `listeners[0].hide[1]: "auth" with auth.mode required: MAIL needs an AUTH first`},
		{"STARTTLS hidden, AUTH required under TLS", func(l *ListenerConfig) {
			l.Auth, l.Hide = AuthConfig{Mode: "required", RequireTLS: true, Users: users}, []string{"STARTTLS"}
		}, `listeners[0].hide[0]: "STARTTLS" with auth.require_tls: AUTH is taken only under TLS, and a hidden STARTTLS gets 502, so TLS never starts and no AUTH could ever be taken, nor mail`},
		{"STARTTLS hidden, AUTH optional under TLS", func(l *ListenerConfig) {
			l.Auth, l.Hide = AuthConfig{Mode: "optional", RequireTLS: true, Users: users}, []string{"starttls"}
		}, `listeners[0].hide[0]: "starttls" with auth.require_tls`},
		{"STARTTLS hidden under implicit TLS", func(l *ListenerConfig) {
			l.TLS, l.Auth, l.Hide = "implicit", AuthConfig{Mode: "required", RequireTLS: true, Users: users}, []string{"STARTTLS"}
		}, ""},
		{"STARTTLS hidden, AUTH in the clear", func(l *ListenerConfig) {
			l.Auth, l.Hide = AuthConfig{Mode: "required", Users: users}, []string{"STARTTLS"}
		}, ""},
		{"AUTH hidden, AUTH optional", func(l *ListenerConfig) {
			l.Auth, l.Hide = AuthConfig{Mode: "optional", Users: users}, []string{"AUTH"}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tc.l(&cfg.Listeners[0])
			err := cfg.Validate("")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate: got %v\nwant %s...", err, tc.want)
			}
		})
	}
}

// TestS14ReplyControlCharacters: a rule's reply with a control character
// (YAML "\u0007" went on the wire as it was) is refused at its key and
// line; a tab, and UTF-8 text, are taken (RFC 5321 4.2: textstring is HT,
// SP and printable characters).
func TestS14ReplyControlCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"bell", `sink:
  rules:
    - {stage: rcpt, reply: "550 5.1.1 no\u0007 such user"}
`, `sink.yaml:3:28: sink.rules[0].reply: reply "550 5.1.1 no\a such user": control character U+0007 at octet 13`},
		{"escape in a line of several", `sink:
  rules:
    - stage: rcpt
      reply:
        - "550-5.1.1 first"
        - "550 5.1.1 \u001b[31mred"
`, `sink.yaml:6:11: sink.rules[0].reply[1]: line 2 of 2: reply "550 5.1.1 \x1b[31mred": control character U+001B`},
		{"C1 control", `sink:
  rules:
    - {stage: rcpt, reply: "451 4.7.1 later\u009b"}
`, `control character U+009B`},
		{"DEL in a greylist reply", `sink:
  rules:
    - {stage: rcpt, greylist: {delay: 1m, reply: "451 4.7.1 grey\u007f"}}
`, `sink.rules[0]`},
		{"tab and UTF-8", `sink:
  rules:
    - {stage: rcpt, reply: "550 5.1.1 no\tsuch user: jörg"}
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.yaml)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode: got %v\nwant %s", err, tc.want)
			}
		})
	}
	// The web UI's rules editor (SetRules) refuses it as well.
	s, _ := testSink(t, nil, nil)
	if err := s.SetRules([]Rule{{Stage: "rcpt", Reply: "550 5.1.1 no\x07"}}); err == nil || !strings.Contains(err.Error(), "control character U+0007") {
		t.Errorf("SetRules: got %v", err)
	}
}
