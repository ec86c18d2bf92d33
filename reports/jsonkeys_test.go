package reports

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestJSONKeys pins the keys of the JSON report (WriteJSON documents
// them): a recipient not yet terminal has no "done", instead of
// "0001-01-01T00:00:00Z", and has the reason and advice read from its
// last reply; empty fields are absent; a full one has every
// documented key.
func TestJSONKeys(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	lat := 12.5
	d := &Data{Recipients: []*Recipient{
		{Address: "a@x.test", Domain: "x.test", Status: "deferred", Queued: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 451}}},
		{Message: "m1", Address: "b@x.test", Sender: "s@y.test", Domain: "x.test", Status: "bounced", Path: "p", Category: "invalid-recipient", Reason: "r", Advice: "a",
			DSN: true, DSNStatus: "5.1.1", Suppressed: true, Queued: q, Done: q,
			Attempts: []Attempt{{Time: q, Try: 1, Path: "p", Host: "h", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "t", Latency: &lat, Error: "e", TLS: "TLS 1.3", Cipher: "c", WalkStopped: "w",
				Auth: &Auth{SPF: "fail", DKIM: "none", DMARC: "fail", DMARCPolicy: "reject"}}}},
	}}
	var b bytes.Buffer
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Summary    map[string]json.RawMessage
		Recipients []map[string]json.RawMessage
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		what string
		got  map[string]json.RawMessage
		want []string
	}{
		{"summary", v.Summary, []string{"attempt_latency", "attempts", "by_category", "by_code", "by_domain", "by_path", "by_status", "recipients", "records", "sink_accepted", "sink_messages", "sink_replies", "sink_sessions", "time_to_delivery"}},
		{"a recipient not terminal", v.Recipients[0], []string{"address", "advice", "attempts", "domain", "message", "queued", "reason", "status"}},
		{"a full recipient", v.Recipients[1], []string{"address", "advice", "attempts", "category", "domain", "done", "dsn", "dsn_status", "message", "path", "queued", "reason", "sender", "status", "suppressed"}},
	} {
		if got := keys(c.got); !slices.Equal(got, c.want) {
			t.Errorf("%s: keys %q\nwant %q", c.what, got, c.want)
		}
	}
	var atts []map[string]json.RawMessage
	if err := json.Unmarshal(v.Recipients[1]["attempts"], &atts); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(atts[0]), []string{"auth", "cipher", "code", "enhanced", "error", "host", "latency_ms", "path", "stage", "text", "time", "tls", "try", "walk_stopped"}; !slices.Equal(got, want) {
		t.Errorf("attempt keys %q\nwant %q", got, want)
	}
}
