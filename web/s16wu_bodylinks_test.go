package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUnlinkHTML: the body's frame gets the message's HTML with nothing
// a click can follow, however the link is written (an a, an area, SVG's
// a by href or xlink:href, MathML's href, an iframe's srcdoc, a link
// hidden where the tokenizer sees raw text and the browser markup), each
// link's text kept and its target in its title; everything else is left
// byte for byte.
func TestUnlinkHTML(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"a", `<p>hi <A HREF="http://127.0.0.2:9/a" title="lie" ping="http://127.0.0.2:9/p" download target=_parent>t</A></p>`,
			`<p>hi <a title="not followed: http://127.0.0.2:9/a" target="_parent">t</A></p>`},
		{"area", `<map name=m><area shape=rect coords="0,0,9,9" href="http://127.0.0.2:9/ar" alt="x"/></map>`,
			`<map name=m><area title="not followed: http://127.0.0.2:9/ar" shape="rect" coords="0,0,9,9" alt="x"/></map>`},
		{"svg a", `<svg><a xlink:href="http://127.0.0.2:9/s"><text>s</text></a><a href='x'>y</a><use href="#i"/></svg>`,
			`<svg><a title="not followed: http://127.0.0.2:9/s"><text>s</text></a><a title="not followed: x">y</a><use href="#i"/></svg>`},
		{"relative, under the message's base", `<base href="http://127.0.0.2:9/b/"><a href="rel?x=1&amp;y=2">r</a>`,
			`<base><a title="not followed: http://127.0.0.2:9/b/rel?x=1&amp;y=2">r</a>`},
		{"noscript is markup", `<noscript><a href="http://127.0.0.2:9/n">n</a></noscript>`,
			`<noscript><a title="not followed: http://127.0.0.2:9/n">n</a></noscript>`},
		{"a link after a title's text", `<title><a title="</title><a href=http://127.0.0.2:9/t>click</a>">`,
			`<title><a title="</title><a title="not followed: http://127.0.0.2:9/t">click</a>">`},
		{"srcdoc", `<iframe srcdoc="<a href=http://127.0.0.2:9/i>x</a>"></iframe>`, `<iframe></iframe>`},
		{"forms", `<form action="http://127.0.0.2:9/f"><button formaction="http://127.0.0.2:9/g">go</button></form>`,
			`<form><button>go</button></form>`},
		// In MathML, <title> is an element of its own, and mtext takes
		// HTML: the tokenizer reads the title's text as raw text, the
		// browser a link in it. The second pass finds it.
		{"a link in MathML's title", `<math><title><mtext><a href="http://127.0.0.2:9/m">m</a></mtext></title></math>`,
			`<math><title><mtext><a title="not followed: http://127.0.0.2:9/m">m</a></mtext></title></math>`},
		{"a MathML href", `<math><use href="http://127.0.0.2:9/u">u</use></math>`, `<math><use>u</use></math>`},
		{"no link", "<!doctype html>\r\n<p title=\"a &amp; b\" STYLE='x'>\x00<style>a[href] { }</style><script>x='<a href=y>'</script><a name=top>t</a><!-- <a href=z> -->",
			"<!doctype html>\r\n<p title=\"a &amp; b\" STYLE='x'>\x00<style>a[href] { }</style><script>x='<a href=y>'</script><a name=top>t</a><!-- <a href=z> -->"},
		// SVG's animations give an a the href it lacks while they run:
		// they lose what they would set (the s16 walk's four ways).
		{"set href", `<svg><a id="s1"><set attributeName="href" to="http://127.0.0.2:9/set"/><text>s</text></a></svg>`,
			`<svg><a id="s1"><set/><text>s</text></a></svg>`},
		{"animate href values", `<svg><a id="s2"><animate attributeName=" HREF " values="http://127.0.0.2:9/v1;http://127.0.0.2:9/v2" dur="1s" repeatCount="indefinite"/>t</a></svg>`,
			`<svg><a id="s2"><animate dur="1s" repeatcount="indefinite"/>t</a></svg>`},
		{"set xlink:href", `<svg><a id="s3"><set attributeName="xlink:href" attributeType="XML" to="http://127.0.0.2:9/x"></set>t</a></svg>`,
			`<svg><a id="s3"><set attributetype="XML"></set>t</a></svg>`},
		{"set another's href", `<svg><a id="s4"><text>t</text></a><set href="#s4" attributeName="hr&#101;f" from="a" by="b" to="http://127.0.0.2:9/o"/><animateMotion href="#s4" dur="1s"/></svg>`,
			`<svg><a id="s4"><text>t</text></a><set href="#s4"/><animateMotion href="#s4" dur="1s"/></svg>`},
		{"a tag cut short", `<p>x</p><a href="http://127.0.0.2:9/c`, `<p>x</p><a href="http://127.0.0.2:9/c`},
	} {
		got := unlinkHTML(tc.in)
		if got != tc.want {
			t.Errorf("%s: unlinkHTML(%q)\n = %q\nwant %q", tc.name, tc.in, got, tc.want)
		}
		if hasLink(got) {
			t.Errorf("%s: %q still has a link", tc.name, got)
		}
	}
	// What hasLink finds, unlinkHTML takes out, or serves nothing of.
	for _, in := range []string{`<a href=x>`, `<svg><a xlink:href=x>`, `<math><mi href=x>`, `<iframe srcdoc=x>`, `<area href=x>`,
		`<svg><a><set attributeName=href to=x>`, `<svg><a><animate attributeName=xlink:href values=x>`, `<svg><set href=#a attributeName=HREF to=x>`} {
		if !hasLink(in) {
			t.Errorf("hasLink(%q) = false", in)
		}
	}
}

// FuzzUnlinkHTML: whatever the HTML, what the frame gets holds no link
// the parser finds, and HTML with nothing to follow is left as it is.
func FuzzUnlinkHTML(f *testing.F) {
	for _, s := range []string{`<a href=x>y</a>`, `<svg><style><a href=x>`, `<math><mtext><table><mglyph><style><a href=x>`,
		`<svg><![CDATA[ > <a href=x> ]]>`, `<noscript><p title="</noscript><a href=x>">`, `<p>plain</p>`, `<select><template><a href=x>`,
		`<table><a href=x>t</table>`, `<xmp><a href=x></xmp><plaintext><a href=y>`, `<svg><foreignObject><iframe srcdoc="x">`,
		`<svg><a><set attributeName="href" to="x"/></a></svg>`, `<svg><style><a><set attributeName=href to=x>`, `<svg><a id=s><animate attributeName="xlink:href" values="x;y"/></a><set href="#s" attributeName="h&#x72;ef" to=z /></svg>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := unlinkHTML(s)
		if hasLink(got) {
			t.Fatalf("unlinkHTML(%q) = %q: a link is left", s, got)
		}
		if !strings.Contains(strings.ToLower(s), "href") && !strings.Contains(strings.ToLower(s), "srcdoc") &&
			!strings.Contains(strings.ToLower(s), "action") && !strings.Contains(strings.ToLower(s), "ping") &&
			!strings.Contains(strings.ToLower(s), "download") && !strings.Contains(strings.ToLower(s), "attributename") && got != s {
			t.Fatalf("unlinkHTML(%q) = %q: changed HTML with nothing to follow", s, got)
		}
	})
}

// TestBodyServedUnlinked: body.html serves the message's HTML with no
// href left, while its JSON still lists every link, a relative one
// resolved against the message's own <base href> (shown, not fetched).
func TestBodyServedUnlinked(t *testing.T) {
	t.Parallel()
	ts, relay, sink := componentServer(t)
	body := `<base href="http://127.0.0.2:9/b/"><a href="rel">relative</a> <a href="/root">rooted</a> <a href="http://127.0.0.2:9/b/rel">same</a>` +
		`<a href="mailto:a@shop.test">mail</a><svg><a xlink:href="http://127.0.0.2:9/svg"><text>svg</text></a></svg>`
	relay.mu.Lock()
	relay.msgs["ul-1"] = MessageDetail{ID: "ul-1", HTML: body}
	relay.msgs["ul-2"] = MessageDetail{ID: "ul-2", HTML: `<base href="/relative/base/"><a href="rel">r</a>`}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["91"] = MessageDetail{ID: "91", HTML: body}
	sink.mu.Unlock()
	for _, id := range []string{"/api/v1/messages/ul-1", "/api/v1/sink/messages/91"} {
		code, _, raw := do(t, "GET", ts.url+id+"/body.html", "")
		if code != 200 || strings.Contains(string(raw), "href=") || !strings.Contains(string(raw), `<a title="not followed: http://127.0.0.2:9/b/rel">relative</a>`) ||
			!strings.Contains(string(raw), `title="not followed: http://127.0.0.2:9/root">rooted</a>`) {
			t.Errorf("%s/body.html: %d %q, want every link without its href, its target in its title", id, code, raw)
		}
		code, _, raw = do(t, "GET", ts.url+id, "")
		var m MessageDetail
		if code != 200 || json.Unmarshal(raw, &m) != nil {
			t.Fatalf("%s: %d %s", id, code, raw)
		}
		var got []string
		for _, l := range m.Links {
			got = append(got, l.Href+" = "+l.Text)
		}
		want := []string{"http://127.0.0.2:9/b/rel = relative", "http://127.0.0.2:9/root = rooted", "mailto:a@shop.test = mail", "http://127.0.0.2:9/svg = svg"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: links\n%s\nwant\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// A base that is itself relative says nothing more than the href.
	code, _, raw := do(t, "GET", ts.url+"/api/v1/messages/ul-2", "")
	var m MessageDetail
	if code != 200 || json.Unmarshal(raw, &m) != nil || len(m.Links) != 1 || m.Links[0].Href != "rel" {
		t.Errorf("under a relative base: %d %s, want the href as written", code, raw)
	}
}
