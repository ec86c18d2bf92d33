package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestR14ExpectFileLines: expect's results carry the expect file and the
// line of each expectation, in the JSON and the JUnit (file and line
// attributes), for CI annotations.
func TestR14ExpectFileLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := writeScenario(t, filepath.Join(dir, "e.yaml"), "name: e\nexpect:\n  recipients:\n    - {name: arrived, match: \"*@example.test\", status: delivered}\n\n    - name: twice\n      match: \"*@example.test\"\n      attempts: 2\n")
	js, junit := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.xml")
	code, out, errOut := runIn(t, context.Background(), "expect", "--db", sinkStore(t, "a@example.test"), "--json", js, "--junit", junit, exp)
	if code != 1 || !strings.Contains(out, "  FAIL  twice ("+exp+":6)\n") {
		t.Errorf("exit %d (want 1), stdout:\n%s\nstderr %q", code, out, errOut)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdicts []struct {
			Results []struct {
				Name string `json:"name"`
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"results"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rs := doc.Verdicts[0].Results
	if len(rs) != 2 || rs[0].File != exp || rs[0].Line != 4 || rs[1].Line != 6 {
		t.Errorf("results %+v, want arrived at %s:4 and twice at line 6", rs, exp)
	}
	if x, _ := os.ReadFile(junit); !strings.Contains(string(x), `<testcase name="twice" classname="relaylab.e" file="`+exp+`" line="6" time="0">`) {
		t.Errorf("JUnit without the case's file and line:\n%s", x)
	}
}

// TestR14ExpectFileRefusals: an expect file's problems are each reported
// at their lines, all at once; max_concurrent_per_destination: 0, which
// expect cannot judge, is refused as any other value is (it was taken
// for the key left out, and ignored); two expectations of one name are
// refused naming both lines; a recipient's key under expect: says where
// it belongs.
func TestR14ExpectFileRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := sinkStore(t, "a@example.test")
	for _, tc := range []struct{ name, text string }{
		{"zero", "name: z\nexpect:\n  recipients:\n    - {match: \"*@example.test\"}\n  aggregate: {max_concurrent_per_destination: 0}\n"},
		{"many", "name: m\nexpect:\n  recipients:\n    - {name: same, match: \"*@example.test\", category: spam-block}\n    - {name: same, match: \"*@example.test\"}\n    - {match: \"*@example.test\", min_interval: 0s}\n"},
		{"indent", "name: i\nexpect:\n  recipients:\n    - match: \"*@example.test\"\n  status: delivered\n"},
	} {
		path := writeScenario(t, filepath.Join(dir, tc.name+".yaml"), tc.text)
		code, _, errOut := runIn(t, context.Background(), "expect", "--db", db, path)
		var want []string
		switch tc.name {
		case "zero":
			want = []string{path + ":5:47: expect.aggregate.max_concurrent_per_destination: applies to replays only"}
		case "many":
			want = []string{path + ":4:55: expect.recipients[0].category: applies to replays only",
				path + `:5:14: expect.recipients[1].name: "same" is also the name of expect.recipients[0] (line 4)`,
				path + ":6:47: expect.recipients[2].min_interval: 0s holds for any attempts"}
		case "indent":
			want = []string{path + `:5:3: expect.status: unknown field "status" (it belongs in an item of expect.recipients, beside that item's match:)`}
		}
		for _, w := range want {
			if code != 2 || !strings.Contains(errOut, w) {
				t.Errorf("%s: exit %d (want 2), stderr %q\nwant %q", tc.name, code, errOut, w)
			}
		}
	}
}
