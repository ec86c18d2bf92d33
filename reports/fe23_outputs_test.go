package reports

import (
	"bytes"
	"context"
	"encoding/json"
	stdhtml "html"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// TestFE23SummarySaysTheRelaysDSNs: a summary whose recipients include
// the relay's DSNs to senders says how many, in the text ("3 recipients
// (1 of them the relay's DSN to a sender)"), the report and the JSON
// (relay_dsns), where a replay's progress counted the submitted
// recipients alone.
func TestFE23SummarySaysTheRelaysDSNs(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), dsnAggLog())
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerdict("dsns", "d.yaml", d, nil)
	var text, js, rep bytes.Buffer
	WriteVerdicts(&text, []Verdict{v})
	if !strings.Contains(text.String(), "PASS dsns: 3 recipients (1 of them the relay's DSN to a sender), ") {
		t.Errorf("verdict text:\n%s", text.String())
	}
	if err := WriteVerdictsJSON(&js, []Verdict{v}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdicts []struct {
			Summary map[string]any
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Verdicts[0].Summary["relay_dsns"]; got != 1.0 {
		t.Errorf("the JSON's relay_dsns is %v, want 1", got)
	}
	if err := WriteText(&rep, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.String(), "of them the relay's DSNs  1 (to the senders of messages") {
		t.Errorf("report text:\n%s", rep.String())
	}
}

// TestFE23AttemptsSaidOnce: attempts and attempt_times that fail on the
// same count say it once: the count, then which times came unlisted or
// did not come.
func TestFE23AttemptsSaidOnce(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Message: "m1", Status: "delivered", Queued: t0, Attempts: []Attempt{
		{Time: t0, Try: 1, Stage: "rcpt", Code: 451}, {Time: t0.Add(5 * time.Minute), Try: 2, Stage: "rcpt", Code: 451}, {Time: t0.Add(10 * time.Minute), Try: 3, Stage: "dot", Code: 250}}}
	more := checkRecipient(r, RecipientExpectation{Attempts: Range{Min: 2, Max: 2, Set: true}, AttemptTimes: []config.Duration{0, config.Duration(5 * time.Minute)}})
	if !strings.Contains(more, "expected 2 attempts, got 3; the attempts attempt_times does not list came at +10m0s") || strings.Contains(more, "but there were 3") {
		t.Errorf("more attempts than listed:\n%s", more)
	}
	fewer := checkRecipient(r, RecipientExpectation{Attempts: Range{Min: 4, Max: 4, Set: true}, AttemptTimes: []config.Duration{0, config.Duration(5 * time.Minute), config.Duration(10 * time.Minute), config.Duration(time.Hour)}})
	if !strings.Contains(fewer, "expected 4 attempts, got 3; attempt 4, expected at +1h0m0s, did not come") || strings.Contains(fewer, "there were only") {
		t.Errorf("fewer attempts than listed:\n%s", fewer)
	}
}

// TestFE23AcceptedAtRcptNoMessage: a record accepted at RCPT TO with no
// message after is said to be that, not merely "queued".
func TestFE23AcceptedAtRcptNoMessage(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "quit@x.test", Stage: "rcpt", Code: 250}})
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "recipients:\n  - {match: quit@x.test, status: delivered}\n")
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(d, x)
	if res[0].Pass || !strings.Contains(res[0].Message, "expected status delivered, got queued (accepted at RCPT TO, and no message followed: the sender ended the transaction before sending its data, so the sink holds nothing for it") {
		t.Errorf("%s", res[0].Message)
	}
}

// TestFE23SinkNoteOnlyWhenTrue: on the sink's records of a store that
// holds the relay's mail too (expect on a serve's), the HTML does not
// say that the store holds only what the sink received.
func TestFE23SinkNoteOnlyWhenTrue(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "a@x.test", Stage: "data-end", Code: 250}})
	if err != nil {
		t.Fatal(err)
	}
	for _, relayMail := range []bool{false, true} {
		d.RelayMail = relayMail
		var b bytes.Buffer
		if err := WriteVerdictsHTML(&b, []Verdict{NewVerdict("app", "app.yaml", d, nil)}); err != nil {
			t.Fatal(err)
		}
		if only := strings.Contains(b.String(), "holds only what the sink received"); only == relayMail {
			t.Errorf("relay mail %v: the page says the store holds only the sink's: %v", relayMail, only)
		}
		if relayMail && !strings.Contains(b.String(), "the store holds the relay&#39;s mail too") {
			t.Errorf("relay mail: the page does not say what the records are")
		}
	}
}

// TestFE23TimesLegend: where timelines are shown, the output says that
// their times count from each message's own queueing (text verdicts,
// the report, Markdown, HTML).
func TestFE23TimesLegend(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog())
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "recipients:\n  - {match: \"grey@b.test\", attempts: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerdict("legend", "l.yaml", d, Evaluate(d, x))
	const legend = "counts from when the recipient's message was queued, not from the start of the run: a message sent with at: 1m has its first attempt at +0s"
	var text, md, html, rep bytes.Buffer
	WriteVerdicts(&text, []Verdict{v})
	WriteVerdictsMarkdown(&md, []Verdict{v})
	WriteVerdictsHTML(&html, []Verdict{v})
	WriteText(&rep, d)
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "html": stdhtml.UnescapeString(html.String())} {
		if !strings.Contains(out, legend) {
			t.Errorf("%s lacks the legend:\n%s", name, out)
		}
	}
	// A report on a store no replay wrote says it without the scenario's
	// words (at:, attempt_times), which its reader has never met.
	if r := rep.String(); !strings.Contains(r, "counts from when the recipient's message was queued, not from a common start") || strings.Contains(r, "at: 1m") {
		t.Errorf("report: want the legend without the scenario's words:\n%s", r)
	}
	if !strings.Contains(text.String(), "\n  times +TIME in a timeline (+0s, +6m0s) counts") {
		t.Errorf("text: the legend is not its own line:\n%s", text.String())
	}
	// Nothing failed, no timeline: no legend in the verdicts.
	var quiet bytes.Buffer
	WriteVerdicts(&quiet, []Verdict{NewVerdict("ok", "ok.yaml", d, nil)})
	if strings.Contains(quiet.String(), "+TIME in a timeline") {
		t.Errorf("a verdict without timelines has the legend:\n%s", quiet.String())
	}
}

// TestFE23EarlyRefusalsForGood: a 5xx at MAIL FROM is counted as a
// message refused for good (which expect --wait does not wait for), and
// the note says that no wait sees it rather than "a sender that retries
// will be seen"; a 421 keeps the retry's words.
func TestFE23EarlyRefusalsForGood(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code        int
		forGood     int
		want, avoid string
	}{
		{550, 1, "a 5xx at MAIL FROM refuses the message for good (RFC 5321 4.2.1), so no sender tries it again and no wait will see it", "a sender that retries will be seen"},
		{421, 0, "a sender that retries will be seen", "for good"},
	} {
		d := &Data{FromSink: true, earlyRefusals: []SinkEarlyRefusal{{Time: t0, Listener: "mx", Stage: "mail", Code: c.code, Text: "no", Sender: "bad@s.test"}}}
		if n := d.RefusedForGood(); n != c.forGood {
			t.Errorf("%d: refused for good %d, want %d", c.code, n, c.forGood)
		}
		note := d.EarlyRefusalNote()
		if !strings.Contains(note, c.want) || strings.Contains(note, c.avoid) {
			t.Errorf("%d: note %q", c.code, note)
		}
		if ref := d.EarlyRefusalRef(); ref != "1 session the sink refused before any RCPT TO is in no record: see the note on early refusals" {
			t.Errorf("%d: ref %q", c.code, ref)
		}
	}
}
