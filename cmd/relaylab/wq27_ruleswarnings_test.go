package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// wq27Rules is the answer of GET or PUT /api/v1/sink/rules, with the
// body as it came (has it a warnings key at all?).
type wq27Rules struct {
	YAML     string   `json:"yaml"`
	Version  string   `json:"version"`
	Warnings []string `json:"warnings"`
	body     string
}

func wq27Call(t *testing.T, method, url, text string) wq27Rules {
	t.Helper()
	var body io.Reader
	if method == http.MethodPut {
		b, _ := json.Marshal(map[string]string{"yaml": text})
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s; want 200 (a rule that never applies is installed all the same)", method, resp.StatusCode, b)
	}
	a := wq27Rules{body: string(b)}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v in %s", method, err, b)
	}
	return a
}

// GET and PUT /api/v1/sink/rules say, as warnings, each rule that an
// earlier rule always answers for, as relaylab config and the sink's log
// do: at its line in the text sent (PUT, which the editor keeps) or in
// the text answered (GET). Rules that are fine get none.
func TestWQ27RulesAPIWarnings(t *testing.T) {
	t.Parallel()
	url := startClearRig(t).url + "/api/v1/sink/rules" // the real sink and adapter

	fine := "- {name: bob, stage: rcpt, recipient: \"bob@x.test\", reply: \"451 4.7.1 later\"}\n" +
		"- {name: all, stage: rcpt, reply: \"550 5.1.1 no\"}\n"
	for _, a := range []wq27Rules{wq27Call(t, "GET", url, ""), wq27Call(t, "PUT", url, fine), wq27Call(t, "GET", url, "")} {
		if strings.Contains(a.body, "warnings") {
			t.Errorf("rules that all apply: got %s, want no warnings key", a.body)
		}
	}

	// The catch-all first: bob's rule, on line 5 of the text sent, never
	// applies.
	shadowed := "# the catch-all first\n" +
		"- {name: all, stage: rcpt, reply: \"550 5.1.1 no\"}\n" +
		"\n" +
		"# then bob\n" +
		"- {name: bob, stage: rcpt, recipient: \"bob@x.test\", reply: \"451 4.7.1 later\"}\n"
	put := wq27Call(t, "PUT", url, shadowed)
	get := wq27Call(t, "GET", url, "")
	if put.Version != get.Version {
		t.Fatalf("PUT installed version %s, GET reads %s", put.Version, get.Version)
	}
	// In the text GET answers, bob's rule is the second item.
	getLine, items := 0, 0
	for i, l := range strings.Split(get.YAML, "\n") {
		if strings.HasPrefix(l, "- ") {
			if items++; items == 2 {
				getLine = i + 1
				break
			}
		}
	}
	for _, c := range []struct {
		how  string
		a    wq27Rules
		line int
	}{{"PUT", put, 5}, {"GET", get, getLine}} {
		if len(c.a.Warnings) != 1 {
			t.Errorf("%s: got warnings %q, want one, of rules[1]", c.how, c.a.Warnings)
			continue
		}
		w := c.a.Warnings[0]
		t.Logf("%s: %s", c.how, w)
		at := "rules:" + strconv.Itoa(c.line) + ":"
		for _, want := range []string{at, "rules[1]: never applies: rules[0] (\"all\") comes before it at stage rcpt", "move this rule above rules[0]"} {
			if !strings.Contains(w, want) {
				t.Errorf("%s: warning %q lacks %q", c.how, w, want)
			}
		}
		if !strings.HasPrefix(w, at) {
			t.Errorf("%s: warning %q is not at line %d of the text (%s)", c.how, w, c.line, at)
		}
	}
}
