package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFromField: a message page shows the From field, display
// name and address, beside the envelope sender: on a relayed message
// they often differ (a bounce address, an ESP's return path). The field
// is text, isolated, its direction controls shown, not applied.
func TestBrowserFromField(t *testing.T) {
	b, _, relay, _, base := browserUI(t)
	raw := "From: =?UTF-8?B?PHNjcmlwdD5hbGVydCgnZnJvbScpPC9zY3JpcHQ+IOKArmtuYUIgeXJ1Uw==?= <evil@shop.test>\r\n" +
		"To: user@example.test\r\nSubject: from field\r\n\r\nhi\r\n"
	d := DecodeMessage([]byte(raw))
	d.ID, d.From, d.To, d.Received = "from-1", "bounces+123@esp.test", []string{"user@example.test"}, time.Now()
	relay.mu.Lock()
	relay.msgs["from-1"] = d
	relay.msgs["from-2"] = MessageDetail{ID: "from-2", From: "app@shop.test", To: []string{"user@example.test"}, Text: "no header"}
	relay.mu.Unlock()

	b.do(t, chromedp.Navigate(base+"/#/messages/from-1"))
	b.waitFor(t, "the message", `document.getElementById("msg-header-from")`)
	got := b.eval(t, `document.getElementById("msg-header-from").textContent`).(string)
	// The name holds specials (< > ( ) '): quoted, so that it is not
	// read as the address (showAddresses).
	if want := `"<script>alert('from')</script> ⟨U+202E⟩knaB yruS" <evil@shop.test>`; got != want {
		t.Errorf("From field %q, want %q", got, want)
	}
	if b.eval(t, `getComputedStyle(document.querySelector("#msg-header-from bdi")).unicodeBidi === "isolate" && !document.querySelector("#msg-header-from script")`) != true {
		t.Errorf("the From field is not isolated text")
	}
	if env := b.eval(t, `document.getElementById("msg-envelope-from").textContent`).(string); env != "bounces+123@esp.test" {
		t.Errorf("envelope sender %q, want bounces+123@esp.test", env)
	}

	b.do(t, chromedp.Navigate(base+"/#/messages/from-2"))
	b.waitFor(t, "the message", `document.getElementById("msg-header-from")`)
	if got := b.eval(t, `document.getElementById("msg-header-from").textContent`).(string); !strings.Contains(got, "no From field") {
		t.Errorf("a message without a From field shows %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
