package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestWA26RulesReloadKeepsEdits: the rules editor's Reload, pressed with
// edits not saved, asks before it drops them; declined, the edits stay
// and the page says so; accepted, the editor shows the rules that run.
// Without edits it reloads without asking. Before, Reload replaced the
// text at once, and an hour's edit was gone with one key.
func TestWA26RulesReloadKeepsEdits(t *testing.T) {
	b := fu2Browser(t)
	sink := newFakeSink()
	s := listen(t, Options{Sink: sink})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/rules"))
	b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("defer.test")`)
	theirs := "rules: []\n# replaced behind the page\n"
	sink.mu.Lock()
	sink.rules = SinkRules{YAML: theirs}
	sink.mu.Unlock()

	// Type an edit, then Reload by keyboard, and decline.
	b.eval(t, `(() => { const a = document.getElementById("rules-text"); a.focus(); a.setSelectionRange(a.value.length, a.value.length); return true; })()`)
	b.do(t, chromedp.KeyEvent("# mine"))
	reload := `[...document.querySelectorAll("#main .bar button")].find((x) => x.textContent === "Reload")`
	b.eval(t, `(() => { `+reload+`.focus(); return true; })()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	if asked := wu27Answer(t, b, false); !strings.Contains(asked, "not saved") || !strings.Contains(asked, "Reload") {
		t.Errorf("Reload with edits asked %q, want that the edits are not saved and are dropped", asked)
	}
	b.waitFor(t, "the note", `document.getElementById("rules-result").textContent !== ""`)
	got := b.eval(t, `[document.getElementById("rules-text").value.endsWith("# mine"), document.getElementById("rules-result").textContent].join(" | ")`).(string)
	if !strings.HasPrefix(got, "true | ") || !strings.Contains(got, "edits stay") {
		t.Errorf("after Reload declined: %q, want the edits kept and the page saying so", got)
	}

	// Accepted: the rules that run now.
	b.eval(t, `(() => { `+reload+`.click(); return true; })()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "the rules reloaded", `document.getElementById("rules-text").value === `+strconv.Quote(theirs))

	// No edits: no question.
	b.eval(t, `(() => { `+reload+`.click(); return true; })()`)
	b.waitFor(t, "the reload done", `document.getElementById("rules-text").value === `+strconv.Quote(theirs))
	if b.eval(t, askOpen) != false {
		t.Errorf("Reload without edits asked %q, want no question", b.eval(t, `document.getElementById("ask-dialog-title").textContent`))
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
