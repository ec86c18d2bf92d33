package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserRulesErrorSelectsLine: a rule refused at a place in the
// editor's text has its line selected, and the page says which; the page
// shows what form the text takes.
func TestBrowserRulesErrorSelectsLine(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	s := listen(t, Options{Store: st, Sink: sink})
	url := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(url+"/#/rules"))
	b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("defer.test")`)
	if form := b.eval(t, `document.getElementById("rules-form").textContent`).(string); !strings.Contains(form, "- {name: flaky") {
		t.Errorf("the page does not show a rule's form: %q", form)
	}
	sink.mu.Lock()
	sink.setErr = fmt.Errorf("%w: rules:3:10: mapping value is not allowed in this context (check the indentation of line 3)", ErrInvalid)
	sink.mu.Unlock()
	text := `- name: slow\n  stage: rcpt\n    reply: \"451 4.7.1 later\"\n- name: last\n`
	b.eval(t, `(() => { document.getElementById("rules-text").value = "`+text+`"; document.querySelector("#main .bar button").click(); return true; })()`)
	b.waitFor(t, "the line named", `(document.getElementById("rules-at") || {}).textContent === "Line 3 is selected in the editor."`)
	sel := b.eval(t, `(() => { const a = document.getElementById("rules-text"); return a.value.slice(a.selectionStart, a.selectionEnd); })()`).(string)
	if sel != `    reply: "451 4.7.1 later"` {
		t.Errorf("selected %q, want line 3", sel)
	}
	if detail := b.eval(t, `document.querySelector("#rules-result pre").textContent`).(string); !strings.Contains(detail, "indentation of line 3") {
		t.Errorf("the error's detail is not shown whole: %q", detail)
	}
}
