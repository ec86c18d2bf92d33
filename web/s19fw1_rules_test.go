package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// TestS19PutRulesWithoutYAML: a PUT of the rules whose body has no yaml,
// or yaml null, is a 400 naming the key and what to send for no rules,
// and the rules stay; "" is no rules, as the README says.
func TestS19PutRulesWithoutYAML(t *testing.T) {
	t.Parallel()
	sink := editorSink{newFakeSink()}
	ts := startServer(t, Options{Sink: sink})
	before := sink.rules.YAML
	for _, body := range []string{`{}`, `{"yaml": null}`, `{"version": "abc"}`} {
		code, _, b := do(t, "PUT", ts.url+"/api/v1/sink/rules", body)
		e := wantAPIError(t, b)
		if code != http.StatusBadRequest || !strings.Contains(e.Error, `"yaml" is required`) || !strings.Contains(e.Detail, `{"yaml": ""}`) {
			t.Errorf("PUT %s: %d %+v, want 400 saying yaml is required and how to send no rules", body, code, e)
		}
		sink.mu.Lock()
		got := sink.rules.YAML
		sink.mu.Unlock()
		if got != before {
			t.Fatalf("PUT %s changed the rules to %q", body, got)
		}
	}
	code, _, b := do(t, "PUT", ts.url+"/api/v1/sink/rules", `{"yaml": ""}`)
	if code != http.StatusOK {
		t.Fatalf(`PUT {"yaml": ""}: %d %s, want 200 (no rules)`, code, b)
	}
}

// TestS19RulesVersion: GET gives the rules' version, in the body and as
// the ETag; a PUT with If-Match (or version) of rules replaced since is
// refused (412, or 409 for version) with the rules that run now, and
// changes nothing; one with the current version, with *, or with neither
// (scripts) replaces them.
func TestS19RulesVersion(t *testing.T) {
	t.Parallel()
	sink := editorSink{newFakeSink()}
	ts := startServer(t, Options{Sink: sink})
	rulesURL := ts.url + "/api/v1/sink/rules"
	read := func() (rulesAnswer, string) {
		t.Helper()
		code, hdr, b := do(t, "GET", rulesURL, "")
		var a rulesAnswer
		if err := json.Unmarshal(b, &a); code != 200 || err != nil {
			t.Fatalf("GET: %d %s (%v)", code, b, err)
		}
		return a, hdr.Get("ETag")
	}
	put := func(text string, hdr ...string) (int, http.Header, []byte) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"yaml": text})
		return do(t, "PUT", rulesURL, string(body), hdr...)
	}
	put2 := func(text, version string, hdr ...string) (int, []byte) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"yaml": text, "version": version})
		code, _, b := do(t, "PUT", rulesURL, string(body), hdr...)
		return code, b
	}

	v0, etag := read()
	if v0.Version == "" || etag != `"`+v0.Version+`"` {
		t.Fatalf("GET: version %q, ETag %q; want a version, and the ETag the same in quotes", v0.Version, etag)
	}
	// The first editor saves from v0.
	code, hdr, b := put("- {name: first}\n", "If-Match", etag)
	var v1 rulesAnswer
	if err := json.Unmarshal(b, &v1); code != 200 || err != nil {
		t.Fatalf("PUT If-Match current: %d %s", code, b)
	}
	if v1.Version == v0.Version || hdr.Get("ETag") != `"`+v1.Version+`"` {
		t.Errorf("PUT answered version %q ETag %q; want a new version (was %q) and its ETag", v1.Version, hdr.Get("ETag"), v0.Version)
	}
	// The second, who read v0 too, is refused, and told what runs now.
	for _, tc := range []struct {
		name string
		code int
		send func() (int, []byte)
	}{
		{"If-Match", http.StatusPreconditionFailed, func() (int, []byte) { c, _, b := put("- {name: second}\n", "If-Match", etag); return c, b }},
		{"version", http.StatusConflict, func() (int, []byte) { return put2("- {name: second}\n", v0.Version) }},
		{"weak If-Match", http.StatusPreconditionFailed, func() (int, []byte) {
			c, _, b := put("- {name: second}\n", "If-Match", `W/"`+v1.Version+`"`)
			return c, b
		}},
	} {
		code, b := tc.send()
		var got rulesConflict
		if err := json.Unmarshal(b, &got); err != nil || code != tc.code {
			t.Fatalf("%s stale: %d %s, want %d", tc.name, code, b, tc.code)
		}
		if got.YAML != "- {name: first}\n" || got.Version != v1.Version || !strings.Contains(got.Error, "replaced since you read them") ||
			!strings.Contains(got.Detail, `If-Match: "`+v1.Version+`"`) {
			t.Errorf("%s stale: %+v; want the rules that run now, their version, and how to go on", tc.name, got)
		}
		if cur, _ := read(); cur.Version != v1.Version {
			t.Fatalf("%s stale: the rules changed to %q", tc.name, cur.YAML)
		}
	}
	// Given back, the version that runs now, or *, or none: replaced.
	for _, tc := range []struct {
		name string
		send func() (int, []byte)
	}{
		{"If-Match current", func() (int, []byte) {
			c, _, b := put("- {name: a}\n", "If-Match", `"`+rulesVersion("- {name: first}\n")+`"`)
			return c, b
		}},
		{"version current", func() (int, []byte) { return put2("- {name: b}\n", rulesVersion("- {name: a}\n")) }},
		{"both current", func() (int, []byte) {
			v := rulesVersion("- {name: b}\n")
			return put2("- {name: c}\n", v, "If-Match", `"other", "`+v+`"`)
		}},
		{"If-Match *", func() (int, []byte) { c, _, b := put("- {name: d}\n", "If-Match", "*"); return c, b }},
		{"unconditional", func() (int, []byte) { c, _, b := put("- {name: e}\n"); return c, b }},
	} {
		if code, b := tc.send(); code != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", tc.name, code, b)
		}
	}
	if cur, _ := read(); cur.YAML != "- {name: e}\n" {
		t.Errorf("the rules are %q after the last PUT", cur.YAML)
	}
	// If-Match and version that name different rules: refused.
	code, b = put2("- {name: f}\n", rulesVersion("- {name: e}\n"), "If-Match", `"0123"`)
	if e := wantAPIError(t, b); code != http.StatusBadRequest || !strings.Contains(e.Detail, "If-Match") {
		t.Errorf("If-Match and version apart: %d %+v, want 400", code, e)
	}
}

// blockingSink holds its first SetRules until release is closed.
type blockingSink struct {
	editorSink
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *blockingSink) SetRules(ctx context.Context, r SinkRules) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.editorSink.SetRules(ctx, r)
}

// TestS19RulesPutsOneAtATime: of two PUTs that name the same version at
// the same time, one replaces the rules and the other is told that they
// were replaced: the version is compared and the rules installed under
// one lock, not each PUT checking before the other installs.
func TestS19RulesPutsOneAtATime(t *testing.T) {
	t.Parallel()
	sink := &blockingSink{editorSink: editorSink{newFakeSink()}, entered: make(chan struct{}), release: make(chan struct{})}
	ts := startServer(t, Options{Sink: sink})
	etag := `"` + rulesVersion(sink.rules.YAML) + `"`
	codes := make(chan int, 2)
	send := func(name string) {
		body, _ := json.Marshal(map[string]string{"yaml": "- {name: " + name + "}\n"})
		code, _, _ := do(t, "PUT", ts.url+"/api/v1/sink/rules", string(body), "If-Match", etag)
		codes <- code
	}
	go send("first")
	<-sink.entered // the first is installing
	go send("second")
	// The second gets no further than the lock while the first installs;
	// without it, it would find the old version and install too. (A slow
	// machine can only hide the fault, never make it up.)
	time.Sleep(200 * time.Millisecond)
	close(sink.release)
	got := []int{<-codes, <-codes}
	slices.Sort(got)
	if got[0] != http.StatusOK || got[1] != http.StatusPreconditionFailed {
		t.Errorf("two PUTs from the same version answered %v, want one 200 and one 412", got)
	}
}

// TestS19RulesSpec: the answers' fields are the spec's, which documents
// If-Match, 409 and 412.
func TestS19RulesSpec(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"SinkRulesVersion": rulesAnswer{}, "SinkRulesPut": rulesRequest{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Fatalf("openapi.yaml has no schema %s", name)
		}
		for f := range jsonFields(v) {
			if _, ok := props[f]; !ok {
				t.Errorf("%s: field %q is not in the spec", name, f)
			}
		}
		if len(props) != len(jsonFields(v)) {
			t.Errorf("%s: spec has %d properties, the answer %d", name, len(props), len(jsonFields(v)))
		}
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `yaml:"name"`
				In   string `yaml:"in"`
			} `yaml:"parameters"`
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths["/api/v1/sink/rules"]["put"]
	for _, code := range []string{"409", "412"} {
		if _, ok := op.Responses[code]; !ok {
			t.Errorf("PUT /api/v1/sink/rules leaves out %s", code)
		}
	}
	if len(op.Parameters) != 1 || op.Parameters[0].Name != "If-Match" || op.Parameters[0].In != "header" {
		t.Errorf("PUT /api/v1/sink/rules parameters %+v, want the If-Match header", op.Parameters)
	}
}

// TestS19HostRefusedSaysWhatIsServed: the refusal of a name says which
// names are served, as the server serves them: any IP address, localhost
// and names under .localhost.
func TestS19HostRefusedSaysWhatIsServed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	port := ts.url[strings.LastIndex(ts.url, ":")+1:]
	code, b := doHost(t, "GET", ts.url+"/api/v1/events", "rebind.attacker.test:"+port, "")
	e := wantAPIError(t, b)
	if code != http.StatusForbidden {
		t.Fatalf("a foreign name: %d, want 403", code)
	}
	for _, want := range []string{"an IP address", "localhost", "names under .localhost"} {
		if !strings.Contains(e.Detail, want) {
			t.Errorf("the refusal %q does not say it serves %s", e.Detail, want)
		}
	}
	if strings.Contains(e.Detail, "only to 127.0.0.1, [::1] and localhost") {
		t.Errorf("the refusal still names three hosts alone: %q", e.Detail)
	}
	// What it says is served is.
	for _, host := range []string{"127.0.0.5:" + port, "[::1]:" + port, "localhost.:" + port, "relaylab.localhost:" + port} {
		if code, b := doHost(t, "GET", ts.url+"/api/v1/events", host, ""); code != http.StatusOK {
			t.Errorf("Host %s: %d %.200s, want 200", host, code, b)
		}
	}
}
