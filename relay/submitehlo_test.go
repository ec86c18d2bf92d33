package relay

import (
	"net"
	"strings"
	"testing"
)

// TestEHLOWithControlCharacterRefused: an EHLO or HELO argument with a
// control character or a byte that is not UTF-8 gets 501 5.5.2 saying
// which octet, as the sink answers, and the session goes on; the relay
// took it and echoed it raw ("250-relaylab.localhost Hello x\x00y").
func TestEHLOWithControlCharacterRefused(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	raw, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, raw)
	for _, tt := range []struct{ cmd, want string }{
		{"EHLO x\x00y", "501 5.5.2 Syntax error in the EHLO argument: control character 0x00 at octet 2 is not allowed in a domain (RFC 5321 4.1.1.1)"},
		{"HELO x\x1b[2Jy", "501 5.5.2 Syntax error in the HELO argument: control character 0x1b at octet 2 is not allowed in a domain (RFC 5321 4.1.1.1)"},
		{"EHLO caf\xe9.test", "501 5.5.2 Syntax error in the EHLO argument: octet 0xe9 at octet 4 is not UTF-8, and a domain is ASCII or UTF-8 (RFC 6531 3.3)"},
	} {
		if got := rc.cmd(tt.cmd); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q: %q; want %q", tt.cmd, got, tt.want)
		}
	}
	if got := rc.cmd("EHLO café.test"); !strings.HasPrefix(got[0], "250-relaylab.localhost Hello café.test") {
		t.Errorf("EHLO with a UTF-8 name: %q; want 250", got)
	}
}
