package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestBodyLinks: a message page's JSON lists the links of its HTML body
// as text (a and area elements, each href once, in order, with the
// link's text), those in a noscript too, since the sandbox runs no
// script; the first 100, and links_more past them.
func TestBodyLinks(t *testing.T) {
	t.Parallel()
	ts, relay, sink := componentServer(t)
	body := `<p><a href="javascript:alert('jslink')">click me (javascript:)</a> <A HREF = "http://127.0.0.2:9/click?u=1&amp;x=2">tracked
		 <b>link</b></A><a name=top>no href</a><a href="http://127.0.0.2:9/click?u=1&x=2">again</a>` +
		`<map><area href="mailto:a@shop.test" alt="write us"></map><noscript><a href="https://shop.test/noscript">ns</a></noscript>` +
		`<a href="https://shop.test/` + "\u202e" + `gnp.exe">` + strings.Repeat("x", 300) + `</a>`
	relay.mu.Lock()
	relay.msgs["links-1"] = MessageDetail{ID: "links-1", HTML: body}
	var many strings.Builder
	for i := range 105 {
		fmt.Fprintf(&many, `<a href="https://shop.test/%d">%d</a>`, i, i)
	}
	relay.msgs["links-2"] = MessageDetail{ID: "links-2", HTML: many.String()}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["78"] = MessageDetail{ID: "78", HTML: body}
	sink.mu.Unlock()
	for _, path := range []string{"/api/v1/messages/links-1", "/api/v1/sink/messages/78"} {
		code, _, raw := do(t, "GET", ts.url+path, "")
		var m MessageDetail
		if code != 200 || json.Unmarshal(raw, &m) != nil {
			t.Fatalf("%s: %d %s", path, code, raw)
		}
		var got []string
		for _, l := range m.Links {
			got = append(got, l.Href+" = "+l.Text)
		}
		want := []string{"javascript:alert('jslink') = click me (javascript:)", "http://127.0.0.2:9/click?u=1&x=2 = tracked link",
			"mailto:a@shop.test = write us", "https://shop.test/noscript = ns", "https://shop.test/\u202egnp.exe = " + strings.Repeat("x", 200) + "…"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || m.LinksMore {
			t.Errorf("%s: links\n%s\nmore %v, want\n%s", path, strings.Join(got, "\n"), m.LinksMore, strings.Join(want, "\n"))
		}
	}
	code, _, raw := do(t, "GET", ts.url+"/api/v1/messages/links-2", "")
	var m MessageDetail
	if code != 200 || json.Unmarshal(raw, &m) != nil || len(m.Links) != maxBodyLinks || !m.LinksMore || m.Links[99].Href != "https://shop.test/99" {
		t.Errorf("105 links: %d of them, more %v, want the first %d and links_more", len(m.Links), m.LinksMore, maxBodyLinks)
	}
	for name, v := range map[string]any{"MessageDetail": MessageDetail{}, "BodyLink": BodyLink{}} {
		props, _ := specProperties(t, name)
		for key, field := range jsonFields(v) {
			if _, ok := props[key]; !ok {
				t.Errorf("openapi.yaml: schema %s has no property %q (%s.%s)", name, key, name, field)
			}
		}
	}
}

// TestBodyBaseTarget: the body is served with <base target="_blank">
// first, after what must stay first for the document to keep its mode
// (a byte-order mark, comments, <?xml?>, the doctype), so that a click
// on a link asks for a window the sandbox refuses instead of replacing
// the body.
func TestBodyBaseTarget(t *testing.T) {
	t.Parallel()
	const base = `<base target="_blank">`
	for _, tc := range []struct{ in, want string }{
		{"<p>hi</p>", base + "<p>hi</p>"},
		{"<!DOCTYPE html>\n<html>", "<!DOCTYPE html>\n" + base + "<html>"},
		{"\uFEFF <!-- a -->\r\n<!doctype html><html>", "\uFEFF <!-- a -->\r\n<!doctype html>" + base + "<html>"},
		{`<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html>`,
			`<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">` + base + `<html>`},
		{"<!-- never closed", base + "<!-- never closed"},
	} {
		if got := baseTarget(tc.in); got != tc.want {
			t.Errorf("baseTarget(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	ts, relay, _ := componentServer(t)
	relay.mu.Lock()
	relay.msgs["bt-1"] = MessageDetail{ID: "bt-1", HTML: "<!doctype html><a href=x>x</a>"}
	relay.mu.Unlock()
	if code, _, body := do(t, "GET", ts.url+"/api/v1/messages/bt-1/body.html", ""); code != 200 || string(body) != "<!doctype html>"+base+`<a title="not followed: x">x</a>` {
		t.Errorf("body.html: %d %q, want the base target after the doctype, and the link without its href", code, body)
	}
}
