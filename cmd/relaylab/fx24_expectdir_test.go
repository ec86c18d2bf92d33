package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFX24ExpectDirectory: a directory named on expect's command line
// stands for every *.yaml file in it, judged in name order, as replay's
// does, instead of "read DIR: is a directory"; each verdict names the
// file it came from (the command line does not), in the text and as its
// JUnit suite, one suite per file; the exit code is the worst of them.
// A directory without a *.yaml file is refused (exit 2) naming it, with
// replay's words, and the other files are judged all the same.
func TestFX24ExpectDirectory(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	dir := t.TempDir()
	exp, empty := filepath.Join(dir, "exp"), filepath.Join(dir, "empty")
	for _, d := range []string{exp, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{
		"b.yaml":    "name: second\nexpect:\n  recipients:\n    - {name: twice, match: \"a@example.test\", attempts: 2}\n",
		"a.yaml":    "name: first\nexpect:\n  recipients:\n    - {name: arrived, match: \"a@example.test\", status: delivered}\n",
		"notes.txt": "not an expect file",
	} {
		writeScenario(t, filepath.Join(exp, name), text)
	}
	a, b := filepath.Join(exp, "a.yaml"), filepath.Join(exp, "b.yaml")
	junit := filepath.Join(dir, "v.xml")
	code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, "--junit", junit, exp+string(filepath.Separator))
	first, second := strings.Index(out, "PASS first ("+a+"): "), strings.Index(out, "FAIL second ("+b+"): ")
	if code != 1 || first < 0 || second < first || strings.Contains(out+errOut, "is a directory") || strings.Contains(out, "notes") {
		t.Errorf("expect --db STORE DIR/: exit %d; want 1 (b.yaml fails), a.yaml's verdict then b.yaml's, each naming its file, nothing else\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	doc := readJUnit(t, junit)
	var suites []string
	for _, s := range doc.Suites {
		suites = append(suites, s.Name)
	}
	if got, want := strings.Join(suites, " | "), "first ("+a+") | second ("+b+")"; got != want {
		t.Errorf("JUnit suites %q; want one per file, in name order, each naming its file: %q", got, want)
	}

	// An empty directory beside a file: exit 2 for the directory (as
	// replay's), the file judged, and every output naming the directory.
	code, out, errOut = runIn(t, context.Background(), "expect", "--db", db, "--junit", junit, empty, a)
	if code != 2 || !strings.Contains(errOut, empty+": a directory with no *.yaml file in it: name expect files ("+filepath.Join(empty, "*.yaml")+"), or a directory that holds them") ||
		!strings.Contains(out, "ERROR "+empty+": not judged") || !strings.Contains(out, "PASS first: ") {
		t.Errorf("expect EMPTY a.yaml: exit %d; want 2, the empty directory named not judged, a.yaml judged (and named by its name alone: the command line names it)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	doc = readJUnit(t, junit)
	if len(doc.Suites) != 2 || doc.Suites[0].Name != empty || len(doc.Suites[0].Cases) != 1 || doc.Suites[0].Cases[0].Error == nil || doc.Suites[1].Name != "first" {
		t.Errorf("JUnit %+v: want the empty directory's suite with an error case, then first's", doc.Suites)
	}
}

// TestFX24ExpectDirectoryJUnitLegend: the failure of an expect file found
// in a directory, in the JUnit a CI page shows, ends with what the +TIME
// of its timeline counts from on a sink's record.
func TestFX24ExpectDirectoryJUnitLegend(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	dir := t.TempDir()
	exp := filepath.Join(dir, "exp")
	if err := os.Mkdir(exp, 0o755); err != nil {
		t.Fatal(err)
	}
	writeScenario(t, filepath.Join(exp, "b.yaml"), "name: second\nexpect:\n  recipients:\n    - {name: twice, match: \"a@example.test\", attempts: 2}\n")
	junit := filepath.Join(dir, "v.xml")
	if code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, "--junit", junit, exp); code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	const legend = "times: +TIME in a timeline (+0s, +6m0s) counts from the record&#39;s first attempt, as the sink sees no queueing"
	if s := string(b); !strings.Contains(s, "timeline:&#xA;") || !strings.Contains(s, legend) {
		t.Errorf("the failure's text shows a timeline without saying what +TIME counts from (want %q):\n%s", legend, s)
	}
}

// TestFX24ReplayDirectoryNamesFiles: replay names the file of each
// scenario it found in a directory, as expect does.
func TestFX24ReplayDirectoryNamesFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "a.yaml"), "name: first\nmessages:\n  - {from: a@shop.test, to: [\"alice@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"alice@example.test\", status: delivered}\n")
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", dir)
	if code != 0 || !strings.Contains(out, "PASS first ("+sc+"): ") {
		t.Errorf("replay DIR: exit %d; want 0 and the verdict naming its file\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
