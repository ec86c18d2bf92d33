package reports

import (
	"bytes"
	"context"
	"html"
	"strings"
	"testing"
	"time"
)

// TestUnsentBounceInEveryFormat: a recipient the sink accepted and has a
// late bounce for that it could not send (its bounce relay not
// listening) is said so in every format, on the recipient and as a count
// in the summary, with what to do, instead of in the JSON's
// dsn_not_sent alone while the text, CSV, Markdown, HTML and JUnit
// showed it plainly delivered.
func TestUnsentBounceInEveryFormat(t *testing.T) {
	t.Parallel()
	const notSent = "it could not send: connecting to the bounce relay 127.0.0.1:43551: dial tcp 127.0.0.1:43551: connect: connection refused"
	src := bouncingSink{fakeSink: fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1:4000", Sender: "app@s.test", Recipient: "bounce+1@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "accepted"},
		{Time: t0.Add(time.Second), Listener: "mx", Client: "127.0.0.1:4001", Sender: "app@s.test", Recipient: "ok@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "accepted"},
	}, bounces: []SinkBounce{{Recipient: "bounce+1@x.test", Sender: "app@s.test", Reply: "550 5.1.1 no such user", NotSent: notSent}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if s := Summarize(d); s.SinkBouncesNotSent != 1 {
		t.Errorf("summary counts %d late bounces not sent, want 1", s.SinkBouncesNotSent)
	}
	const note = "late bounce not sent: the sink accepted the message and has a bounce for this recipient that " + notSent
	const fix = "nothing listens at 127.0.0.1:43551, where the sink sends its bounces (sink.bounce.relay"
	const fix2 = "start a relay that takes the sink's mail there (relaylab relay or serve), or set sink.bounce.relay to the address of one that listens"
	for _, c := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"late bounces not sent  1: ", "\nbounce+1@x.test: delivered\n  " + note + "\n  what to do about it: " + fix, fix2}},
		{"markdown", []string{"1 late bounce(s) not sent: ", "| bounce+1@x.test | delivered | " + note + " | " + fix}},
		{"html", []string{"1 late bounce(s) not sent: ", note, "what to do about it: " + fix}},
		{"junit", []string{"1 late bounce(s) not sent: ", "<system-out>" + note + "\nwhat to do about it: " + fix}},
		{"csv", []string{note, fix2}},
		{"json", []string{`"sink_bounces_not_sent": 1`, `"dsn_not_sent": "` + notSent}},
	} {
		var b bytes.Buffer
		if err := Write(&b, c.format, d); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if c.format == "html" || c.format == "junit" {
			out = html.UnescapeString(out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", c.format, w, out)
			}
		}
		if c.format != "json" && strings.Count(b.String(), "ok@x.test: delivered\n") > 0 {
			t.Errorf("%s lists a plain delivery as if it had a note:\n%s", c.format, b.String())
		}
	}
	rows := csvRows(t, d)
	if rows[0]["recipient"] != "bounce+1@x.test" || !strings.HasPrefix(rows[0]["reason"], note) || !strings.HasPrefix(rows[0]["advice"], fix) {
		t.Errorf("csv row %v: want the note in reason and what to do in advice", rows[0])
	}
	if rows[1]["reason"] != "" || rows[1]["advice"] != "" {
		t.Errorf("csv row of a plain delivery %v has a reason or advice", rows[1])
	}
}

// TestUnsentBounceAdvice: what to do follows why the bounce did not go
// out.
func TestUnsentBounceAdvice(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ notSent, want string }{
		{"it could not send: no sink.bounce.relay is configured to send the bounce to", "set sink.bounce.relay"},
		{"it did not send: the recipient was given NOTIFY=NEVER: no DSN of any kind (RFC 3461 4.1)", "nothing: no DSN was due"},
		{"is due at 2026-05-01T09:10:00Z and not sent yet: the sink sends it when it is due", "keep the sink running until the bounce is due, then make the report again; if its log says a try failed, see that something listens at the sink's bounce relay address (sink.bounce.relay)"},
		{"it could not send: the bounce relay 127.0.0.1:43552 refused the DSN for good with 550 5.7.1", "did not take the bounce"},
		// 5.1.1: the relay refused the DSN's recipient, the message's
		// sender; the relay is not what to fix.
		{"it could not send: the bounce relay 127.0.0.1:43552 refused the DSN for good with 550 5.1.1 No such user here (a permanent reply)", "refused the DSN's recipient, the message's own sender"},
		{"", ""},
	} {
		r := &Recipient{Status: "delivered", DSNNotSent: c.notSent}
		note, advice := r.unsentBounce()
		if c.want == "" && (note != "" || advice != "") || !strings.Contains(advice, c.want) {
			t.Errorf("%q: note %q, advice %q; want advice with %q", c.notSent, note, advice, c.want)
		}
	}
}
