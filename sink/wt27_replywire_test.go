package sink

import (
	"testing"
)

// A one-line reply goes on the wire as String's line and CRLF, built in
// one allocation: the sink sends several a message.
func TestReplyWireOneLine(t *testing.T) {
	t.Parallel()
	for _, r := range []Reply{
		{Code: 250, Enhanced: "2.1.0", Text: "Sender <a@b.test> OK"},
		{Code: 250, Text: "sink.relaylab.test Hello client.test"},
		{Code: 354, Text: "Go ahead"},
		{Code: 221, Enhanced: "2.0.0", Text: "Bye"},
		{Code: 451, Enhanced: "4.7.1", Text: ""},
		{Code: 999, Text: "x"},
		{Code: 5, Text: "a short code stays as written"},
	} {
		want := r.String() + "\r\n"
		if got := string(r.wire()); got != want {
			t.Errorf("%+v: wire() = %q, want %q", r, got, want)
		}
	}
}

func TestReplyWireOneAllocation(t *testing.T) {
	r := Reply{Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 12345"}
	if n := testing.AllocsPerRun(100, func() { _ = r.wire() }); n != 1 {
		t.Errorf("Reply.wire allocated %v times for a one-line reply, want 1", n)
	}
}
