package scenario

import (
	"strings"
	"testing"
)

// TestDSNThatNeverArrives: with both smarthosts refusing the relay's
// credentials, the DSN to the sender bounces like the message, so dsn:
// sent fails and says what became of the DSN, named as the replay names
// the relay's own messages. It held, since the relay had queued one.
func TestDSNThatNeverArrives(t *testing.T) {
	t.Parallel()
	sc, err := Parse("auth-refused.yaml", []byte(`name: auth-refused
seed: 1
sink:
  listeners:
    - name: primary
    - name: backup
  rules:
    - {name: no auth, stage: mail, reply: "535 5.7.8 Authentication credentials invalid"}
relay:
  paths:
    - {name: primary, host: "sink:primary", tls: none}
    - {name: backup, host: "sink:backup", tls: none}
  routes:
    - {name: failover, paths: [primary, backup]}
messages:
  - from: news@shop.test
    to: ["a@example.test"]
expect:
  recipients:
    - {match: "a@example.test", status: bounced, dsn: sent}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := replay(t, sc)
	if out.Passed() {
		t.Fatal("dsn: sent held, though the DSN bounced")
	}
	const want = "expected a DSN to be sent, none reached the sender (the relay's DSN was queued as message relay-1 to news@shop.test, which bounced undelivered after 1 attempt; last reply: 535 5.7.8 Authentication credentials invalid)"
	if got := out.Results[0].Message; !strings.Contains(got, want) {
		t.Errorf("failure:\n%s\nwant it to contain\n%s", got, want)
	}
	for _, r := range out.Data.Recipients {
		if r.Address == "a@example.test" && (r.DSN || r.DSNMessage != "relay-1") {
			t.Errorf("recipient: dsn %v, dsn_message %q; want false, relay-1", r.DSN, r.DSNMessage)
		}
	}
}
