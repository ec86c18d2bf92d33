package sink

import (
	"slices"
	"strings"
	"testing"
)

// Of several directives for one stage, the first that acts on an attempt
// applies: a used-up one lets the next act, as a drawn-out one does
// (defer+rcpt550 is 451, then 550, where the 550 never came); one after a
// directive that acts on every attempt never acts, and the transcript,
// the 250 and the attempt's record say so.
func TestDirectivesOfOneStage(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	codes, lines := pipelined(t, addr, "EHLO a.test\r\nMAIL FROM:<app@shop.test>\r\n"+
		"RCPT TO:<defer+rcpt550@x.test>\r\nRCPT TO:<defer+rcpt550@x.test>\r\n"+
		"RCPT TO:<rcpt550+defer@x.test>\r\nRCPT TO:<ok+rcpt550@x.test>\r\nRCPT TO:<rcpt550+rcpt550@x.test>\r\nQUIT\r\n")
	want := []int{220, 250, 250, 451, 550, 550, 250, 550, 221}
	if !slices.Equal(codes, want) {
		t.Fatalf("replies %v %q, want %v", codes, lines, want)
	}
	if okLine := lines[6]; !strings.Contains(okLine, `directive "rcpt550" never acts: "ok" comes before it for stage rcpt`) {
		t.Errorf("the 250 to ok+rcpt550 is %q, want it to say that rcpt550 never acts", okLine)
	}
	waitSessions(t, st, 1)
	_, tr := lastSession(t, st)
	for _, w := range []string{
		`* directive "defer" never acts: "rcpt550" comes before it for stage rcpt and acts on every attempt`,
		`* directive "rcpt550" never acts: "ok" comes before it`,
	} {
		if !strings.Contains(tr, w) {
			t.Errorf("transcript lacks %q:\n%s", w, tr)
		}
	}
	if strings.Contains(tr, `"rcpt550" never acts: "rcpt550"`) || strings.Contains(tr, `directive "rcpt550" never acts: "defer"`) {
		t.Errorf("a repeat, or a directive after one that does not act every time, noted as never acting:\n%s", tr)
	}
	var text string
	if err := st.DB().QueryRow(`SELECT text FROM sink_attempts WHERE recipient = 'rcpt550+defer@x.test'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, `directive "defer" never acts`) {
		t.Errorf("the attempt's reply %q does not say that defer never acts (relaylab expect shows it as a note)", text)
	}
}

// relaylab sink explain says the same, and names one attempt as one.
func TestExplainDirectivesOfOneStage(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	steps, err := Explain(cfg, Envelope{From: "app@shop.test", To: []string{"rcpt550+defer@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	rc := stepAt(t, steps, StageRcpt)
	if !slices.ContainsFunc(rc.Notes, func(n string) bool { return strings.Contains(n, `directive "defer" never acts`) }) {
		t.Errorf("explain's RCPT notes %q, want one saying defer never acts", rc.Notes)
	}

	steps, err = Explain(cfg, Envelope{From: "app@shop.test", To: []string{"defer+rcpt550@x.test"}, Attempt: 2})
	if err != nil {
		t.Fatal(err)
	}
	rc = stepAt(t, steps, StageRcpt)
	if rc.Reply == nil || rc.Reply.Code != 550 {
		t.Errorf("explain --attempt 2 of defer+rcpt550 answers %+v, want the 550 after the used-up defer", rc.Reply)
	}
	if !slices.ContainsFunc(rc.History, func(h string) bool {
		return strings.Contains(h, `directive "defer" acts on attempt 1 of this sender`)
	}) || slices.ContainsFunc(rc.History, func(h string) bool { return strings.Contains(h, "attempts 1 to 1") }) {
		t.Errorf("explain's history %q, want \"acts on attempt 1\" for defer", rc.History)
	}
}

func stepAt(t *testing.T, steps []Step, stage Stage) Step {
	t.Helper()
	for _, s := range steps {
		if s.Stage == stage {
			return s
		}
	}
	t.Fatalf("no step at stage %s in %+v", stage, steps)
	return Step{}
}
