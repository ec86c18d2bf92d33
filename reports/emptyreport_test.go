package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEmptyStoreSaysWhatToDo: a report on a store where nothing has been
// recorded says so and how to record something, instead of "recipients
// 0 / attempts 0" alone; its JSON summary has "sink_replies": [] as it
// has the other lists, instead of leaving the key out.
func TestEmptyStoreSaysWhatToDo(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), fakeLog(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"text", "markdown", "html"} {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"nothing has been recorded in this store yet", "send mail through the relay", "straight to the sink"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s lacks %q:\n%s", f, want, b.String())
			}
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Summary map[string]json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sink_replies", "by_status", "by_code"} {
		if got := string(v.Summary[k]); got != "[]" {
			t.Errorf("summary %s = %q, want []", k, got)
		}
	}
	// A store with something in it has no such note.
	var full bytes.Buffer
	sink, err := FromSink(context.Background(), fakeSink{{Time: t0, Listener: "mx", Recipient: "a@x.test", Stage: "data-end", Code: 250}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&full, sink); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(full.String(), "nothing has been recorded") {
		t.Errorf("a store with a recipient says nothing was recorded:\n%s", full.String())
	}
}

// TestSinkTimeToDeliveryNotMeasured: a sink's record sees no queueing,
// so with every recipient delivered at its first attempt nothing was
// timed, and the text and HTML leave out the line that read "time to
// delivery p50 0s ... max 0s"; with a delivery after a deferral the line
// is there, named for what it measures (from the first attempt the sink
// saw). A relay's recipients keep "time to delivery".
func TestSinkTimeToDeliveryNotMeasured(t *testing.T) {
	t.Parallel()
	at := func(min int, rcpt, stage string, code int) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx", Client: "127.0.0.1", Recipient: rcpt, Stage: stage, Code: code}
	}
	render := func(d *Data) (string, string) {
		var text, h bytes.Buffer
		if err := WriteText(&text, d); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&h, d); err != nil {
			t.Fatal(err)
		}
		return text.String(), h.String()
	}
	instant, err := FromSink(context.Background(), fakeSink{at(0, "a@x.test", "data-end", 250), at(1, "b@x.test", "data-end", 250)})
	if err != nil {
		t.Fatal(err)
	}
	text, h := render(instant)
	for _, out := range []string{text, h} {
		if strings.Contains(strings.ToLower(out), "to delivery") {
			t.Errorf("nothing was timed, but the report has a time to delivery:\n%s", out)
		}
	}
	greylisted, err := FromSink(context.Background(), fakeSink{at(0, "a@x.test", "rcpt", 451), at(5, "a@x.test", "data-end", 250)})
	if err != nil {
		t.Fatal(err)
	}
	text, h = render(greylisted)
	if !strings.Contains(text, "first attempt to delivery  p50 5m0s") || !strings.Contains(h, "First attempt to delivery p50 5m0s") {
		t.Errorf("a delivery 5 minutes after a deferral lacks its time from the first attempt:\n%s\n%s", text, h)
	}
	relay := &Data{Recipients: []*Recipient{{Message: "m1", Address: "a@x.test", Status: "delivered", Queued: t0, Done: t0,
		Attempts: []Attempt{{Time: t0, Try: 1, Code: 250}}}}}
	text, h = render(relay)
	if !strings.Contains(text, "time to delivery  p50 0s") || !strings.Contains(h, "Time to delivery p50 0s") {
		t.Errorf("a relay's delivery lacks its time to delivery:\n%s\n%s", text, h)
	}
}
