package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestBrowserSinkAuthVerdict: a message the sink checked (sink.verify)
// shows an Authentication section near the top, spf=, each dkim= with
// d= and s=, dmarc= with its policy, each with its meaning, and its size
// as received beside the .eml's; the relay's copy of a message with the
// same field shows no such section.
func TestBrowserSinkAuthVerdict(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	body := "DKIM-Signature: v=1; d=shop.test; s=sel1; h=From; b=x\r\nFrom: a@shop.test\r\nSubject: hi\r\n\r\nhello\r\n"
	ar := "Authentication-Results: relaylab; spf=pass smtp.mailfrom=a@shop.test; dkim=fail header.d=shop.test; dmarc=fail header.from=shop.test\r\n"
	d := DecodeMessage([]byte(ar + body))
	d.ID, d.From, d.To, d.Received, d.Size = "42", "a@shop.test", []string{"user@example.test"}, time.Now().UTC(), int64(len(body))
	sink.mu.Lock()
	sink.msgs["42"] = d
	sink.mu.Unlock()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw, spf, dkim, dmarc)
			VALUES (42, 7, 'mx', 5, 'a@shop.test', 'user@example.test', 1, 1, 250, x'41', 'pass', 'fail', 'fail')`); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Time: time.Unix(0, 5), Kind: events.SinkMessage}.WithPayload(map[string]any{"id": 42, "dmarc_policy": "reject"}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/42"))
	b.waitFor(t, "the authentication section", `document.getElementById("msg-auth")`)
	lines := b.eval(t, `[...document.querySelectorAll("#msg-auth li")].map(li => li.textContent).join("\n")`).(string)
	for _, want := range []string{"spf=pass (domain shop.test): the sending IP address is one the domain's SPF record allows",
		"dkim=fail (d=shop.test, s=sel1): the signature does not verify",
		"dmarc=fail (header.from=shop.test, policy reject: it asks receivers to refuse mail that fails): neither SPF nor DKIM passed"} {
		if !strings.Contains(lines, want) {
			t.Errorf("authentication lines\n%s\nlack %q", lines, want)
		}
	}
	if b.eval(t, `document.getElementById("msg-auth").compareDocumentPosition(document.getElementById("msg-subject")) & Node.DOCUMENT_POSITION_FOLLOWING`) == float64(0) {
		t.Error("the authentication section is not above the envelope")
	}
	size := b.eval(t, `document.getElementById("msg-size").textContent`).(string)
	if want := "as received; the .eml download is " + strconv.FormatInt(d.StoredSize, 10) + " bytes: the sink put its Authentication-Results field in front"; !strings.Contains(size, want) {
		t.Errorf("size %q, want it to say %q", size, want)
	}
	b.screenshot(t, "sink-auth-verdict")
	d.ID = "fwd-1"
	relay.mu.Lock()
	relay.msgs["fwd-1"] = d
	relay.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/messages/fwd-1"))
	b.waitFor(t, "the relay's message", `document.getElementById("msg-subject")`)
	if b.eval(t, `!!document.getElementById("msg-auth")`) == true {
		t.Error("the relay's copy shows an authentication verdict read from the message's own field")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
