package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// fd24Browser is browserUI with Chromium kept off every name but the
// loopback address.
func fd24Browser(t *testing.T) (*browserPage, *store.Store, *fakeSink, string) {
	t.Helper()
	b := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	s := listen(t, Options{Store: st, Relay: newFakeRelay(), Sink: sink})
	return b, st, sink, "http://" + s.Addr()
}

// M1, M2, M3 on the page: each DKIM result shows its algorithm (a=)
// beside d= and s=; a pass with a caution (an unsigned From above the
// signed one, DMARC on an ed25519 signature alone) shows it; a failed
// signature's meaning follows its cause, without the reason that says
// the same.
func TestBrowserFD24AuthNotes(t *testing.T) {
	b, st, sink, base := fd24Browser(t)
	body := "DKIM-Signature: v=1; a=ed25519-sha256; d=shop.test; s=e1; h=From; bh=x; b=x\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=shop.test; s=r1; h=From; bh=y; b=y\r\n" +
		"From: a@shop.test\r\nSubject: hi\r\n\r\nhello\r\n"
	ar := "Authentication-Results: relaylab; spf=pass smtp.mailfrom=a@other.test;" +
		` dkim=pass reason="a From field the signature does not cover sits above the signed one" header.a=ed25519-sha256 header.d=shop.test header.s=e1;` +
		` dkim=fail reason="body hash did not verify (c=relaxed/simple): the body changed after signing" header.a=rsa-sha256 header.d=shop.test header.s=r1;` +
		` dmarc=pass reason="the only aligned pass is an ed25519-sha256 signature (d=shop.test)" header.from=shop.test` + "\r\n"
	d := DecodeMessage([]byte(ar + body))
	d.ID, d.From, d.To, d.Received, d.Size = "43", "a@other.test", []string{"user@example.test"}, time.Now().UTC(), int64(len(body))
	sink.mu.Lock()
	sink.msgs["43"] = d
	sink.mu.Unlock()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw, spf, dkim, dmarc)
			VALUES (43, 7, 'mx', 5, 'a@other.test', 'user@example.test', 1, 1, 250, x'41', 'pass', 'pass', 'pass')`); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Time: time.Unix(0, 5), Kind: events.SinkMessage}.WithPayload(map[string]any{"id": 43, "dmarc_policy": "reject"}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/43"))
	b.waitFor(t, "the authentication section", `document.getElementById("msg-auth")`)
	lines := b.eval(t, `[...document.querySelectorAll("#msg-auth li")].map(li => li.textContent).join("\n")`).(string)
	for _, want := range []string{
		"dkim=pass (d=shop.test, s=e1, a=ed25519-sha256): the signature verifies",
		"Caution: a From field the signature does not cover sits above the signed one",
		"dkim=fail (d=shop.test, s=r1, a=rsa-sha256): the body changed after signing (a footer added, long lines rewrapped; under the signature's c=relaxed/simple also trailing whitespace or line endings: sign with c=relaxed/relaxed)",
		"dmarc=pass (header.from=shop.test, policy reject: it asks receivers to refuse mail that fails): SPF or DKIM passed",
		"Caution: the only aligned pass is an ed25519-sha256 signature",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("authentication lines\n%s\nlack %q", lines, want)
		}
	}
	if strings.Contains(lines, "(body hash did not verify") {
		t.Errorf("authentication lines\n%s\nrepeat the body hash failure's reason, which the meaning says", lines)
	}
	if n := b.eval(t, `document.querySelectorAll("#msg-auth .auth-note").length`); n != float64(2) {
		t.Errorf("%v cautions shown, want 2 (the dkim pass's and the dmarc pass's)", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
