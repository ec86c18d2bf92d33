package sink

import (
	"context"
	"strings"
	"testing"
)

// TestDirective3xxAfterDot: a 3xx asked for after the final dot (or to
// DATA, but 354) is no directive: the sink accepted dot354 with 250 and
// said nothing. It is now a name with a note, as other impossible pieces
// are; the odd codes the session can go on after are still sent as asked.
func TestDirective3xxAfterDot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seg, why string }{
		{"dot354", "a 3xx cannot answer the final dot (RFC 5321 4.3.2"},
		{"dot300", "a 3xx cannot answer the final dot"},
		{"dot354x1", "a 3xx cannot answer the final dot"},
		{"dataend399p50", "a 3xx cannot answer the final dot"},
		{"data-end354", "a 3xx cannot answer the final dot"},
		{"data334", "the go-ahead to DATA is 354"},
		{"data300", "the go-ahead to DATA is 354"},
	} {
		ds, not := parseLocalPart(tc.seg + "+a@x.test")
		if len(ds) != 0 || len(not) != 1 || not[0].Text != tc.seg || !strings.Contains(not[0].Why, tc.why) || strings.Contains(not[0].Why, "; ") {
			t.Errorf("%s: got %+v %+v, want no directive and a note %q", tc.seg, ds, not, tc.why)
		}
	}
	// Sent as asked: the session goes on after them (DIRECTIVES.md).
	for _, seg := range []string{"rcpt354", "data354", "data250", "rset354", "rcpt221", "quit250", "quit354", "dot299", "dot250", "dotok", "dataok"} {
		if ds, not := parseLocalPart(seg + "@x.test"); len(ds) != 1 || len(not) != 0 {
			t.Errorf("%s: got %+v %+v, want a directive", seg, ds, not)
		}
	}
}

// TestDot354SaysWhy: on the wire, the transcript and the attempt.
func TestDot354SaysWhy(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@shop.test>")
	c.expect(250, `"dot354" is not a directive: a 3xx cannot answer the final dot`, "RCPT TO:<dot354@x.test>")
	c.expect(354, "", "DATA")
	code, msg := c.body(testMsg)
	if code != 250 || !strings.Contains(msg, `"dot354" in <dot354@x.test> is not a directive: a 3xx cannot answer the final dot`) {
		t.Errorf("after the dot: %d %q, want 250 with the note", code, msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 1)
	ss, err := ListSessions(context.Background(), st.DB(), SessionFilter{})
	if err != nil || len(ss) != 1 {
		t.Fatalf("sessions: %v %+v", err, ss)
	}
	full, err := SessionByID(context.Background(), st.DB(), ss[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.Transcript, `* "dot354" is not a directive: a 3xx cannot answer the final dot`) {
		t.Errorf("transcript has no note:\n%s", full.Transcript)
	}
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil || len(all) != 1 {
		t.Fatalf("attempts: %v %+v", err, all)
	}
	if a := all[0]; a.Reply.Code != 250 || !strings.Contains(a.Reply.Text, `"dot354" is not a directive`) {
		t.Errorf("attempt: %+v, want 250 with the note", a)
	}
}
