package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpectFileNotJudged: a file that does not load is not judged, and
// says so in every output, while the others are judged and written, as
// replay does; expect exits 2. It stopped at the bad file and wrote no
// output at all, so an earlier one could stay in place looking green.
func TestExpectFileNotJudged(t *testing.T) {
	t.Parallel()
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"ok@example.test","stage":"data","code":250,"enhanced":"2.0.0","text":"queued","message":1,"session":1}]}`, "")
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("name: ok\nexpect:\n  recipients:\n    - {match: \"ok@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("name: broken\nexpect:\n  recipients:\n    - {match: \"ok@example.test\", stauts: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	html, junit := filepath.Join(dir, "v.html"), filepath.Join(dir, "v.xml")
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, "--html", html, "--junit", junit, bad, good)
	if code != 2 || !strings.Contains(errOut, "stauts") {
		t.Errorf("exit %d (want 2), stderr naming the bad key:\n%s", code, errOut)
	}
	if !strings.Contains(out, "PASS ok") {
		t.Errorf("the good file was not judged:\n%s", out)
	}
	for _, f := range []string{html, junit} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("%s not written: %v", filepath.Base(f), err)
			continue
		}
		if !strings.Contains(string(b), "stauts") || !strings.Contains(string(b), "ok@example.test") && !strings.Contains(string(b), "ok") {
			t.Errorf("%s lacks the file not judged or the judged one:\n%.600s", filepath.Base(f), b)
		}
	}
}
