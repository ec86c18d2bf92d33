package web

import (
	"context"
	"net/url"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// M7: the inbox finds messages by the sink's own results (q=dkim:fail,
// spf:, dmarc:) and gives each checked message's results (auth), read
// with the row; a message the sink did not check has none, and no
// spf:, dkim: or dmarc: finds it.
func TestFD24InboxAuth(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxMessages()...)
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		for id, r := range map[int][3]string{1: {"pass", "pass", "pass"}, 2: {"softfail", "fail", "fail"}, 3: {"pass", "none", "none"}} {
			if _, err := tx.Exec(`UPDATE sink_messages SET spf = ?, dkim = ?, dmarc = ? WHERE id = ?`, r[0], r[1], r[2], id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"dkim:fail":               "2",
		"dmarc:fail spf:softfail": "2",
		"dkim:none":               "3",
		"spf:pass":                "3,1",
		"-dmarc:pass":             "4,3,2",
		"dmarc:permerror":         "",
	} {
		if got := inbox(t, ts.url, "?q="+url.QueryEscape(q)).ids(); got != want {
			t.Errorf("q=%s: %q, want %q", q, got, want)
		}
	}
	p := inbox(t, ts.url, "")
	byID := map[string]InboxMessage{}
	for _, m := range p.Messages {
		byID[m.ID] = m
	}
	if a := byID["2"].Auth; a == nil || *a != (InboxAuth{SPF: "softfail", DKIM: "fail", DMARC: "fail"}) {
		t.Errorf("message 2: auth %+v, want softfail fail fail", a)
	}
	if a := byID["4"].Auth; a != nil {
		t.Errorf("message 4, not checked: auth %+v, want none", a)
	}
	if code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages?q=dkim:fail", ""); code != 200 {
		t.Errorf("q=dkim:fail: %d %s, want 200", code, body)
	}
	if code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages?q=dmarc:softfail", ""); code != 400 {
		t.Errorf("q=dmarc:softfail: %d %s, want 400", code, body)
	}
}
