package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// TestReportRefusesMissingOrForeignStores: report reads a store; it must
// neither create one nor migrate a SQLite file that is not one.
func TestReportRefusesMissingOrForeignStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "relay.db")
	code, _, errOut := runIn(t, context.Background(), "report", "--db", missing)
	if code != 2 || !strings.Contains(errOut, "no store at "+missing) {
		t.Errorf("missing store: exit %d (want 2), stderr %q", code, errOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("report created %s", missing)
	}

	foreign, look := foreignDB(t)
	code, _, errOut = runIn(t, context.Background(), "report", "--db", foreign)
	if code != 2 || !strings.Contains(errOut, foreign+" is not a relaylab store") {
		t.Errorf("foreign SQLite file: exit %d (want 2), stderr %q", code, errOut)
	}
	if tables, journal := look(); !reflect.DeepEqual(tables, []string{"mine"}) || journal != "delete" {
		t.Errorf("foreign file now has tables %v, journal mode %s; want [mine], delete", tables, journal)
	}

	notDB := filepath.Join(dir, "notes.db")
	os.WriteFile(notDB, []byte("not SQLite at all\n"), 0o644)
	code, _, errOut = runIn(t, context.Background(), "report", "--db", notDB)
	if code != 2 || !strings.Contains(errOut, notDB+" is not a relaylab store") {
		t.Errorf("not a database: exit %d (want 2), stderr %q", code, errOut)
	}
}

// TestReportConfig: report --config reads the store the configuration
// names, as queue and suppress do, and --db still wins.
func TestReportConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "named.db")
	st, err := store.Open(context.Background(), store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte("store: {path: "+db+"}\n"), 0o644)
	if code, out, errOut := runIn(t, context.Background(), "report", "--config", cfg); code != 0 || !strings.Contains(out, "recipients") {
		t.Errorf("report --config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	other := filepath.Join(dir, "other.db")
	if code, _, errOut := runIn(t, context.Background(), "report", "--config", cfg, "--db", other); code != 2 || !strings.Contains(errOut, "no store at "+other) {
		t.Errorf("--db with --config: exit %d, stderr %q; want --db to win", code, errOut)
	}
}

// TestReportOutWriteError: a report that cannot be written whole (--out
// on a full disk) exits 1 naming --out and the error, in every format;
// Markdown, the format of CI step summaries, exited 0 with nothing
// written.
func TestReportOutWriteError(t *testing.T) {
	t.Parallel()
	const full = "/dev/full" // every write fails with ENOSPC
	if _, err := os.Stat(full); err != nil {
		t.Skipf("no %s on %s: %v", full, runtime.GOOS, err)
	}
	db := filepath.Join(t.TempDir(), "relay.db")
	st, err := store.Open(context.Background(), store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, f := range []string{"text", "markdown", "csv", "json", "html", "junit"} {
		code, _, errOut := runIn(t, context.Background(), "report", "--db", db, "--format", f, "--out", full)
		if code != 1 || !strings.Contains(errOut, "--out "+full+": ") || !strings.Contains(errOut, "no space left on device") {
			t.Errorf("--format %s --out %s: exit %d (want 1), stderr %q", f, full, code, errOut)
		}
	}
}

// TestReportSinkOnlyStore: a store that relaylab sink alone wrote reports
// its sessions, the messages it accepted, every reply by stage and code
// (the successes too, which the event log leaves out) and the recipients
// as the sink saw them, in every format, instead of "recipients 0" and a
// table of refusals alone; each recipient names the message the sink
// numbered for it, the CSV's message column too (it was empty).
func TestReportSinkOnlyStore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Accepted; refused after the dot (received, not accepted); refused at RCPT.
	path, _, _ := sendToSink(t, []string{"app@example.test", "dot552@example.test", "550@example.test"})

	out := map[string]string{}
	for _, f := range []string{"text", "json", "markdown", "html", "csv", "junit"} {
		code, stdout, errOut := runIn(t, ctx, "report", "--db", path, "--format", f)
		if code != 0 {
			t.Fatalf("report --format %s: exit %d, stderr %q", f, code, errOut)
		}
		out[f] = stdout
	}
	// The text's columns are aligned with runs of spaces.
	out["text"] = regexp.MustCompile(` +`).ReplaceAllString(out["text"], " ")
	for _, c := range []struct{ format, want string }{
		{"text", "records 3\n"},
		{"text", "sink sessions 3\n"},
		{"text", "sink messages 1 accepted of 2 received\n"},
		{"text", "\n data-end 250 1\n"},
		{"text", "\n data-end 552 1\n"},
		{"text", "\n connect 220 3\n"},
		{"text", "\n rcpt 550 1\n"},
		{"text", "the records and attempts are as the sink saw them"},
		// Refused before the data: named by its session. Each reply a
		// directive chose says which.
		{"text", "\n550@example.test (session 3): bounced, invalid-recipient\n"},
		{"text", "552 5.3.4 Rejected by the relaylab sink (asked for by a directive) (by directive dot552)\n"},
		{"json", `"sink_sessions": 3,`},
		{"json", `"sink_accepted": 1,`},
		{"json", `"key": "data-end 250",`},
		{"markdown", "3 sink sessions, 1 sink messages accepted of 2 received"},
		{"markdown", "| Sink reply (stage, code) | count |"},
		{"markdown", "| data-end 250 | 1 |"},
		{"html", "3 sink sessions, 1 sink messages accepted of 2 received."},
		{"html", "<h3>Sink replies (stage, code)</h3>"},
		{"html", "<td>data-end 250</td>"},
		{"html", "invalid-recipient<br><small>the mailbox does not exist</small>"},
		// The message column is the sink's number for the message the
		// recipient's last attempt left (its "Message accepted as 1"),
		// empty for one refused before the data.
		{"csv", "\n1,app@example.test,example.test,delivered,mx,,1,250 2.0.0 Message accepted as 1"},
		{"csv", "\n2,dot552@example.test,example.test,bounced,mx,message-too-big,1,552 "},
		{"csv", "\n,550@example.test,example.test,bounced,mx,invalid-recipient,1,550 5.1.1 "},
		{"text", "\ndot552@example.test (message 2): bounced, message-too-big\n"},
		{"json", `"message": "1",`},
		{"html", "<small>message 2</small>"},
		{"junit", `<testsuite name="relaylab" tests="3" failures="2" errors="0" skipped="0">`},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("report --format %s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	if strings.Contains(out["html"], "<p>None.</p>") {
		t.Errorf("the HTML says no mail went undelivered, beside two that did not:\n%s", out["html"])
	}
	if strings.Contains(out["text"], "\napp@example.test:") {
		t.Errorf("the accepted recipient is listed among those not delivered:\n%s", out["text"])
	}
}
