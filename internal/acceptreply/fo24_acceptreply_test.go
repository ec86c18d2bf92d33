package acceptreply

import "testing"

// TestFO24Stock: go-smtp's stock 250s to MAIL and RCPT are known, with
// the path they echo; other replies are not; Line words them as the sink
// does.
func TestFO24Stock(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		line, addr string
		rcpt, ok   bool
		want       string
	}{
		{"250 2.0.0 Roger, accepting mail from <a@x.test>\r\n", "a@x.test", false, true, "250 2.1.0 Sender <a@x.test> OK"},
		{"250 2.0.0 Roger, accepting mail from <>", "", false, true, "250 2.1.0 Sender <> OK"},
		{"250 2.0.0 I'll make sure <b@y.test> gets this\r\n", "b@y.test", true, true, "250 2.1.5 Recipient <b@y.test> OK"},
		{"250 2.1.5 Accepted on request", "", false, false, ""},
		{"250 2.0.0 Roger, accepting mail from <a@x.test", "", false, false, ""},
	} {
		addr, rcpt, ok := Stock(tt.line)
		if addr != tt.addr || rcpt != tt.rcpt || ok != tt.ok {
			t.Errorf("Stock(%q) = %q, %v, %v; want %q, %v, %v", tt.line, addr, rcpt, ok, tt.addr, tt.rcpt, tt.ok)
		}
		if ok {
			if got := Line(rcpt, addr); got != tt.want {
				t.Errorf("Line(%v, %q) = %q; want %q", rcpt, addr, got, tt.want)
			}
		}
	}
}
