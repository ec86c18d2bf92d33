package web

import (
	"context"
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

// editorSink is a sink whose rules editor takes any text, as the real one
// takes a bare list, and keeps it as given.
type editorSink struct {
	*fakeSink
}

func (s editorSink) SetRules(ctx context.Context, r SinkRules) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setErr != nil {
		return s.setErr
	}
	s.rules = r
	return nil
}

// TestBrowserRulesEditorErrors: a refusal says that nothing was saved,
// shows the sink's error word for word, selects the line it names, and
// says which rule its key names: the editor's errors count the rules of
// its own text, rules[1] for the second, where the configuration file's
// name sink.rules[1] at the file's line. The rule forms of several lines
// (a reply as a | block) go to the sink as typed.
func TestBrowserRulesEditorErrors(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := editorSink{newFakeSink()}
	s := listen(t, Options{Store: st, Sink: sink})
	url := "http://" + s.Addr()
	b.do(t, chromedp.Navigate(url+"/#/rules"))
	b.waitFor(t, "the rules", `document.getElementById("rules-text").value.includes("defer.test")`)
	save := func(text string) {
		t.Helper()
		b.eval(t, `(() => { document.getElementById("rules-result").textContent = ""; document.getElementById("rules-text").value = `+jsString(text)+`; document.querySelector("#main .bar button").click(); return true; })()`)
		b.waitFor(t, "the answer", `document.getElementById("rules-result").textContent !== ""`)
	}

	// Forms of several lines reach the sink as typed.
	multi := "- stage: rcpt\n  recipient: \"multi*\"\n  reply: |\n    550-5.7.1 first line\n    550 5.7.1 second line\n" +
		"- {stage: data-end, size: \">1MB\", header: \"/^Subject:.*lottery/\", reply: [\"552-5.3.4 too big\", \"552 5.3.4 really\"]}\n"
	save(multi)
	if got := b.eval(t, `document.getElementById("rules-result").textContent`).(string); !strings.HasPrefix(got, "Saved") {
		t.Errorf("saving rules of several lines: %q, want Saved", got)
	}
	sink.mu.Lock()
	if sink.rules.YAML != multi {
		t.Errorf("the sink got %q, want the text as typed %q", sink.rules.YAML, multi)
	}
	sink.mu.Unlock()

	for _, c := range []struct {
		name, text, detail string
		line               string // the line selected, "" for none
		key                string // in #rules-key, "" for none
	}{
		{"dmarc without verification", "- {stage: rcpt, reply: \"550 5.7.1 x\"}\n- {stage: data-end, dmarc: reject, reply: \"550 5.7.26 x\"}\n",
			"rules:2:28: rules[1].dmarc: never matches: DMARC is checked only with sink.verify.enabled: true",
			`- {stage: data-end, dmarc: reject, reply: "550 5.7.26 x"}`, "rules[1] is the editor's rule number 2 (an index counts from 0); in the configuration file, the rule in that place is sink.rules[1]."},
		{"size unquoted", "- stage: data-end\n  size: >1MB\n  reply: \"552 5.3.4 big\"\n",
			"rules:2:9: rules[0].size: the value >1MB starts with >, so YAML reads it as the start of a block of text on the lines below (> folded, | literal), not as the value itself: a value that starts with *, @, `, > or | must be quoted, as in size: \">1MB\"",
			"  size: >1MB", "rules[0] is the editor's rule number 1"},
		{"no key", "- {stage: data-end, size: >1MB, reply: \"552 5.3.4 big\"}\n",
			"rules:1:27: the value >1MB starts with >, so YAML reads it as the start of a block of text on the lines below (> folded, | literal), not as the value itself",
			`- {stage: data-end, size: >1MB, reply: "552 5.3.4 big"}`, ""},
	} {
		sink.mu.Lock()
		sink.setErr = fmt.Errorf("%w: %s", ErrInvalid, c.detail)
		sink.mu.Unlock()
		save(c.text)
		if got := b.eval(t, `document.querySelector("#rules-result strong").textContent`).(string); got != "Not saved: the sink refused these rules and keeps the ones it had." {
			t.Errorf("%s: the result says %q, want that nothing was saved", c.name, got)
		}
		if got := b.eval(t, `document.querySelector("#rules-result pre").textContent`).(string); got != c.detail {
			t.Errorf("%s: the detail shown is %q, want the sink's %q", c.name, got, c.detail)
		}
		sel := b.eval(t, `(() => { const a = document.getElementById("rules-text"); return a.value.slice(a.selectionStart, a.selectionEnd); })()`).(string)
		if sel != c.line {
			t.Errorf("%s: selected %q, want %q", c.name, sel, c.line)
		}
		key, _ := b.eval(t, `(document.getElementById("rules-key") || {}).textContent || ""`).(string)
		if c.key == "" && key != "" || !strings.HasPrefix(key, c.key) {
			t.Errorf("%s: the rule is named as %q, want %q", c.name, key, c.key)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
