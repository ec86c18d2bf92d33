package relay

import (
	"strings"
	"testing"
)

// TestBarePostmaster: RCPT TO:<Postmaster> without a domain, which RFC
// 5321 4.5.1 has every relay take, is taken from a client that may
// submit, echoed and recorded as postmaster at the relay's own name
// (relay.hostname), and relayed there, in the clear and under TLS, with
// parameters after it; a client that may not submit is refused as for any
// recipient (never an open relay), and a path that spells the domain
// go-smtp is given is refused like any control character. go-smtp's
// parser answered 501 5.5.2 "Was expecting RCPT arg syntax of
// TO:<address>" to every client.
func TestBarePostmaster(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	rc, raw := wireDial(t, h)
	rc.want("EHLO", rc.cmd("EHLO client.test"), "250-")
	rc.want("MAIL", rc.cmd("MAIL FROM:<a@s.test>"), "250 ")
	const echo = "250 2.1.5 Recipient <postmaster@relaylab.localhost> OK"
	if got := rc.cmd("RCPT TO:<Postmaster>"); len(got) != 1 || got[0] != echo {
		t.Errorf("RCPT TO:<Postmaster>: %q; want %q", got, echo)
	}
	for _, tt := range []struct{ cmd, want string }{
		{"RCPT TO:<postmaster@\x00postmaster>", "501 5.1.3 Recipient address has a control character"},
		{"RCPT TO:<postmaster@>", "501 5.5.2 "},
		{"RCPT TO:<postmasters>", "501 5.5.2 "},
	} {
		rc.want(strings.ToValidUTF8(tt.cmd, "?"), rc.cmd(tt.cmd), tt.want)
	}
	rc.want("DATA", rc.cmd("DATA"), "354 ")
	rc.want("the final dot", rc.cmd("Subject: to the postmaster\r\n\r\nHello.\r\n."), "250 2.0.0 OK: queued as ")
	h.runUntil("the delivery", func() bool { return len(mta.received()) == 1 })
	if got := mta.received()[0].to; len(got) != 1 || got[0] != "postmaster@relaylab.localhost" {
		t.Errorf("delivered to %q; want postmaster@relaylab.localhost", got)
	}

	// Under TLS: the relay's wire reads the command after decryption.
	rc.upgrade(raw)
	rc.want("EHLO", rc.cmd("EHLO client.test"), "250-")
	rc.want("MAIL", rc.cmd("MAIL FROM:<a@s.test>"), "250 ")
	if got := rc.cmd("RCPT TO: <POSTMASTER> NOTIFY=FAILURE"); len(got) != 1 || got[0] != echo {
		t.Errorf("RCPT TO: <POSTMASTER> NOTIFY=FAILURE under TLS: %q; want %q", got, echo)
	}

	// A client that may not submit gets what any recipient gets.
	closed := newHarness(t, submitConfig(mta.addr), Options{}) // allowed_networks 10.0.0.0/8
	cc, _ := wireDial(t, closed)
	cc.want("EHLO", cc.cmd("EHLO client.test"), "250-")
	cc.want("MAIL", cc.cmd("MAIL FROM:<>"), "250 ")
	cc.want("RCPT TO:<postmaster> without AUTH", cc.cmd("RCPT TO:<postmaster>"), "550 5.7.1 Relaying denied")
}
