package web

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// warnSink is an editorSink that says, as the real one does, that a rule
// named bob after one named all never applies, at bob's line.
type warnSink struct {
	editorSink
}

var _ SinkRulesWarningsAPI = warnSink{}

func (warnSink) RulesWarnings(_ context.Context, text string) []string {
	lines := strings.Split(text, "\n")
	all := -1
	for i, l := range lines {
		switch {
		case strings.Contains(l, "name: all"):
			all = i
		case strings.Contains(l, "name: bob") && all >= 0:
			return []string{"rules:" + strconv.Itoa(i+1) + ":3: rules[1]: never applies: rules[0] (\"all\") comes before it at stage rcpt"}
		}
	}
	return nil
}

// TestBrowserWQ27RulesWarnings: the rules editor shows the rules that
// never apply under the editor, as an amber notice in a live region, on
// load and after a save, which it does not stop; a button selects the
// rule's line; rules that all apply clear it.
func TestBrowserWQ27RulesWarnings(t *testing.T) {
	b := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
	st := openStore(t, clock.Real{})
	sink := warnSink{editorSink{newFakeSink()}}
	loaded := "- {name: all, stage: rcpt, reply: \"550 5.1.1 no\"}\n- {name: bob, stage: rcpt, recipient: bob@x.test, reply: \"451 4.7.1 later\"}\n"
	sink.mu.Lock()
	sink.rules = SinkRules{YAML: loaded}
	sink.mu.Unlock()
	s := listen(t, Options{Store: st, Sink: sink})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/rules"))
	b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("name: bob")`)

	// On load.
	b.waitFor(t, "the warning on load", `!!document.querySelector("#rules-warnings .note.warn")`)
	// role status is a live region (aria-live polite), as the result's.
	if role := b.eval(t, `document.getElementById("rules-warnings").getAttribute("role")`); role != "status" {
		t.Errorf("the warnings' region has role %v, want status, a live region", role)
	}
	text := b.eval(t, `document.getElementById("rules-warnings").textContent`).(string)
	for _, want := range []string{"A rule never applies:", "rules:2:3: rules[1]: never applies: rules[0] (\"all\")", "Select line 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("on load the warnings say %q, want %q in it", text, want)
		}
	}
	if strings.Contains(text, "saved") {
		t.Errorf("on load the warnings say %q: nothing was saved", text)
	}
	// Amber (--warn-bg), not the red of a refusal, and under the editor.
	if bg := b.eval(t, `getComputedStyle(document.querySelector("#rules-warnings .note.warn")).backgroundColor`); bg != "rgb(253, 240, 213)" {
		t.Errorf("the notice's background is %v, want the amber rgb(253, 240, 213)", bg)
	}
	if below := b.eval(t, `!!(document.getElementById("rules-text").compareDocumentPosition(document.getElementById("rules-warnings")) & Node.DOCUMENT_POSITION_FOLLOWING)`); below != true {
		t.Error("the warnings are not under the editor")
	}

	save := func(text string) {
		t.Helper()
		b.eval(t, `(() => { document.getElementById("rules-result").textContent = ""; document.getElementById("rules-text").value = `+jsString(text)+`; document.querySelector("#main .bar button").click(); return true; })()`)
		b.waitFor(t, "the answer", `document.getElementById("rules-result").textContent !== ""`)
		if got := b.eval(t, `document.getElementById("rules-result").textContent`).(string); !strings.HasPrefix(got, "Saved") {
			t.Fatalf("saving: %q, want Saved (a warning does not stop a save)", got)
		}
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if sink.rules.YAML != text {
			t.Errorf("the sink got %q, want %q", sink.rules.YAML, text)
		}
	}

	// Rules that all apply: no warning.
	save("- {name: bob, stage: rcpt, recipient: bob@x.test, reply: \"451 4.7.1 later\"}\n- {name: all, stage: rcpt, reply: \"550 5.1.1 no\"}\n")
	if got := b.eval(t, `document.getElementById("rules-warnings").textContent`).(string); got != "" {
		t.Errorf("after saving rules that all apply the warnings say %q, want none", got)
	}

	// After a save: at the line of the text saved, which the editor keeps.
	shadowed := "# the catch-all first\n- {name: all, stage: rcpt, reply: \"550 5.1.1 no\"}\n\n# then bob\n- {name: bob, stage: rcpt, recipient: bob@x.test, reply: \"451 4.7.1 later\"}\n"
	save(shadowed)
	b.waitFor(t, "the warning after the save", `document.getElementById("rules-warnings").textContent.includes("rules:5:3: rules[1]")`)
	if text := b.eval(t, `document.getElementById("rules-warnings").textContent`).(string); !strings.Contains(text, "A rule never applies (saved all the same):") {
		t.Errorf("after the save the warnings say %q, want that the rule was saved all the same", text)
	}
	b.eval(t, `(() => { document.querySelector("#rules-warnings li button").click(); return true; })()`)
	sel := b.eval(t, `(() => { const a = document.getElementById("rules-text"); return a.value.slice(a.selectionStart, a.selectionEnd); })()`).(string)
	if want := "- {name: bob, stage: rcpt, recipient: bob@x.test, reply: \"451 4.7.1 later\"}"; sel != want {
		t.Errorf("Select line 5 selected %q, want %q", sel, want)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
