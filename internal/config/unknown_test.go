package config

import (
	"strings"
	"testing"
)

// TestUnknownKeysAllNamedInFileOrder: a file with several unknown keys
// gets one error that names the first of the file and lists the others
// with their lines and near keys. The decoder named one of a mapping's
// unknown keys at random (it gathers them in a map), so the same file
// gave a different error from run to run, and a user mended one typo a
// run.
func TestUnknownKeysAllNamedInFileOrder(t *testing.T) {
	t.Parallel()
	type listener struct {
		Name   string `yaml:"name"`
		Listen string `yaml:"listen"`
	}
	type Doc struct {
		Sink struct {
			Listeners []listener `yaml:"listeners"`
			MaxSize   int        `yaml:"max_size"`
		} `yaml:"sink"`
		Web struct {
			Listen string `yaml:"listen"`
		} `yaml:"web"`
	}
	in := "sink:\n  listeners:\n    - name: a\n      lisen: 127.0.0.1:1\n      colour: red\n      size: 3\n  max_sise: 1\nweb:\n  listen: 127.0.0.1:2\n  theme: dark\n"
	want := `f:4:7: sink.listeners[0].lisen: unknown field "lisen" (did you mean "listen"?); also unknown: sink.listeners[0].colour (line 5), sink.listeners[0].size (line 6), sink.max_sise (line 7, did you mean "max_size"?), web.theme (line 10)`
	for range 20 { // the decoder's choice varied from run to run
		var v Doc
		err := Decode("f", []byte(in), &v)
		if err == nil || err.Error() != want {
			t.Fatalf("error:\n%v\nwant:\n%s", err, want)
		}
	}

	// One unknown key: as before, nothing added.
	var v Doc
	if err := Decode("f", []byte("web:\n  theme: dark\n"), &v); err == nil || strings.Contains(err.Error(), "also") {
		t.Errorf("one unknown key: %v", err)
	}
	// Under a YAML merge key, the merged mapping's keys are the
	// struct's: a good one is not listed, a bad one is.
	in = "base: &b {name: a, lisen: x}\nsink:\n  listeners:\n    - <<: *b\n      listen: 127.0.0.1:1\n      colour: red\n"
	type withBase struct {
		Base map[string]string `yaml:"base"`
		Doc  `yaml:",inline"`
	}
	var wb withBase
	err := Decode("f", []byte(in), &wb)
	if err == nil || !strings.Contains(err.Error(), "colour") || strings.Contains(err.Error(), "name (line") {
		t.Errorf("merge key: %v", err)
	}
	// A document that stands for a key names keys from it.
	var rules []listener
	err = DecodeRoot("f", "rules", []byte("- nme: a\n  lisen: x\n"), &rules)
	if want := `f:1:3: rules[0].nme: unknown field "nme" (did you mean "name"?); also unknown: rules[0].lisen (line 2, did you mean "listen"?)`; err == nil || err.Error() != want {
		t.Errorf("rules editor:\n%v\nwant:\n%s", err, want)
	}
}

// TestSecondDocumentRefused: a file with a second YAML document (after
// "---") is refused at its line; the decoder read the first alone and
// dropped the rest without a word (walk X: a rules text of two documents
// installed only the first, with a 200). A lone "---" at the start, or
// one before an empty document, is still no second document.
func TestSecondDocumentRefused(t *testing.T) {
	t.Parallel()
	type doc struct {
		Web struct {
			Listen string `yaml:"listen"`
		} `yaml:"web"`
	}
	var v doc
	err := Decode("f", []byte("web:\n  listen: a\n---\nweb:\n  listen: b\n"), &v)
	if err == nil || !strings.HasPrefix(err.Error(), "f:4:1:") || !strings.Contains(err.Error(), "second YAML document") {
		t.Errorf("two documents: %v, want the second refused at 4:1, where its value starts", err)
	}
	var rules []struct {
		Name string `yaml:"name"`
	}
	if err := DecodeRoot("rules", "rules", []byte("- name: p\n---\n- name: q\n"), &rules); err == nil || !strings.HasPrefix(err.Error(), "rules:3:1:") {
		t.Errorf("rules of two documents: %v, want the second refused at 3:1", err)
	}
	// The parser drops a document after an empty one: the file read as
	// empty, without a word (helper WF).
	if err := Decode("f", []byte("---\n---\nweb:\n  listen: a\n"), &v); err == nil || !strings.HasPrefix(err.Error(), "f:3:1:") {
		t.Errorf("an empty document, then one with a value: %v, want the second refused at 3:1", err)
	}
	for _, ok := range []string{"---\nweb:\n  listen: a\n", "web:\n  listen: a\n---\n", "web:\n  listen: a\n---\n# nothing\n", "---\n---\n"} {
		if err := Decode("f", []byte(ok), &v); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
