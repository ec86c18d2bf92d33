package reports

import (
	"slices"
	"testing"
)

// TestS24ShadowedDirectiveNote: the sink's note on a directive that
// never acts (one before it for the same stage acts on every attempt)
// is collected with its notes on near-miss directives, named by the
// address it is in, so that replay and expect print it under their
// verdicts; it was dropped, as only "is not a directive" was read.
func TestS24ShadowedDirectiveNote(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "rcpt550+defer@x.test", Attempts: []Attempt{{Try: 1, Code: 550, Enhanced: "5.1.1",
		Text: `No such user (asked for by a directive); directive "defer" never acts: "rcpt550" comes before it for stage rcpt and acts on every attempt (of several directives for one stage, the first that acts applies: give the first an xN or a pP to let the next act after it or instead)`}}}
	other := SinkAttempt{Recipient: "a@x.test", Text: `Message accepted as 3; directive "dot451" in <dot451+dataok@x.test> never acts: "dataok" comes before it for stage data-end and acts on every attempt (of several)`}
	got := sinkNotes([]*Recipient{r}, []SinkAttempt{other})
	want := []string{
		`sink: directive "defer" in rcpt550+defer@x.test never acts: "rcpt550" comes before it for stage rcpt and acts on every attempt`,
		`sink: directive "dot451" in dot451+dataok@x.test never acts: "dataok" comes before it for stage data-end and acts on every attempt`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("notes\n%q\nwant\n%q", got, want)
	}
	if !hasSinkNote(other.Text) {
		t.Error("an attempt with a never-acts note is not kept for the verdicts' notes")
	}
}
