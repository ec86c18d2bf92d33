package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestOwnFailureShowsEnhancedCode: a try the relay ended itself, with no
// server reply (an MX lookup's SERVFAIL, 4.4.3), shows its enhanced code
// in the text report, the timeline, the HTML and the Markdown, as queue
// show does; last_reply, any_reply and no_reply globs match it with or
// without the code, so globs written against the error alone still hold.
func TestOwnFailureShowsEnhancedCode(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(min int, kind string, p map[string]any) {
		e := events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: "m1", Recipient: "a@dns.test"}
		if p != nil {
			e = e.WithPayload(p)
		}
		l = append(l, e)
	}
	add(0, events.RelayQueued, nil)
	add(0, events.RelayAttempt, map[string]any{"attempt": 1, "path": "mx", "reply": map[string]any{"stage": "dns", "enhanced": "4.4.3", "text": "MX lookup for dns.test: the resolver answered SERVFAIL"}})
	add(0, events.RelayDeferred, map[string]any{"category": "dns-failure"})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	const shown = "4.4.3 dns: MX lookup for dns.test: the resolver answered SERVFAIL"
	for _, format := range []string{"text", "html", "markdown"} {
		var b bytes.Buffer
		if err := Write(&b, format, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), shown) {
			t.Errorf("%s report lacks %q:\n%s", format, shown, b.String())
		}
	}
	var tl bytes.Buffer
	WriteTimeline(&tl, d.Recipients[0])
	if !strings.Contains(tl.String(), shown) {
		t.Errorf("timeline lacks %q:\n%s", shown, tl.String())
	}
	r := d.Recipients[0]
	if got := r.LastReply(); got != "dns: MX lookup for dns.test: the resolver answered SERVFAIL" {
		t.Errorf("LastReply = %q: it is what globs have matched, without the code", got)
	}
	for _, glob := range []string{"4.4.3 dns: *", "dns: *", "4.4.3 *"} {
		if why := checkLastReply(r, glob); why != nil {
			t.Errorf("last_reply %q: %v", glob, why)
		}
		if why := checkAnyReply(r, glob); why != nil {
			t.Errorf("any_reply %q: %v", glob, why)
		}
		if why := checkNoReply(r, glob); why == nil {
			t.Errorf("no_reply %q held, though the attempt matches it", glob)
		}
	}
	why := checkLastReply(r, "4.4.4 *")
	if len(why) != 1 || !strings.Contains(why[0], `got "`+shown+`"`) {
		t.Errorf("a failed last_reply = %v, want it to quote %q", why, shown)
	}
}
