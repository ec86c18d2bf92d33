package main

import "testing"

// TestAttemptReplyWithoutAReply: an attempt the sink ended without a
// reply says why in the sink's words when it has them, instead of "no
// reply (dropped or hung) at rcpt" before the sink's own sentence.
func TestAttemptReplyWithoutAReply(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ stage, text, want string }{
		{"rcpt", "the sink dropped the connection on purpose at RCPT (directive rcptdrop)", "no reply: the sink dropped the connection on purpose at RCPT (directive rcptdrop)"},
		{"data-end", "", "no reply (dropped or hung) at data-end"},
	} {
		if got := attemptReply(tt.stage, 0, "", tt.text); got != tt.want {
			t.Errorf("attemptReply(%q, 0, %q) = %q, want %q", tt.stage, tt.text, got, tt.want)
		}
	}
	if got := attemptReply("rcpt", 550, "5.1.1", "no such user"); got != "550 5.1.1 no such user (at rcpt)" {
		t.Errorf("a reply: %q", got)
	}
}
