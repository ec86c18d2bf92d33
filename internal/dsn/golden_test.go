package dsn

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/dsn")

const testdata = "../../testdata/dsn"

// goldenParse is what a parse_*.json golden file holds for its .eml.
type goldenParse struct {
	Error      string  `json:"error,omitempty"`
	EnvelopeID string  `json:"envelope_id,omitempty"`
	Original   string  `json:"original,omitempty"`
	Parsed     *Parsed `json:"parsed"`
}

// checkGolden compares got with the file at path, or rewrites it with
// -update. On mismatch it writes got beside it as path+".got".
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the output; got written to %s.got (run go test -update if the change is right)\n--- got\n%s\n--- want\n%s", path, path, got, want)
	}
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testdata, "parse_*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no parse_*.eml in %s: %v", testdata, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".eml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(raw)
			g := goldenParse{Parsed: p, EnvelopeID: p.EnvelopeID(), Original: string(p.Original)}
			if err != nil {
				g.Error = err.Error()
			}
			out, jerr := json.MarshalIndent(g, "", "  ")
			if jerr != nil {
				t.Fatal(jerr)
			}
			checkGolden(t, strings.TrimSuffix(file, ".eml")+".json", append(out, '\n'))
		})
	}
}

// buildCases are the reports behind the build_*.eml golden files.
func buildCases() map[string]struct {
	opts BuildOptions
	r    Report
} {
	at := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	original := []byte("From: Alice <alice@sender.test>\nTo: bob@receiver.test\nSubject: report\nMessage-ID: <orig-1@sender.test>\nDate: Fri, 20 Nov 2026 08:00:00 +0000\n\nThe body.\n.leading dot stays\n")
	return map[string]struct {
		opts BuildOptions
		r    Report
	}{
		"failed_headers": {
			opts: BuildOptions{To: "alice@sender.test", MessageID: "dsn-1@relay.test", Date: at, Original: original},
			r: Report{
				ReportingMTA: "relay.test", EnvelopeID: "env-1", ReceivedFromMTA: "app.sender.test", ArrivalDate: at.Add(-30 * time.Minute),
				Recipients: []Recipient{{
					OriginalRecipient: "bob@receiver.test", FinalRecipient: "bob@receiver.test", Action: ActionFailed, Status: "5.1.1",
					RemoteMTA: "mx.receiver.test", DiagnosticCode: "550 5.1.1 <bob@receiver.test>: Recipient address rejected: User unknown in virtual mailbox table",
					LastAttempt: at.Add(-time.Minute),
				}},
			},
		},
		"failed_full_two": {
			opts: BuildOptions{To: "alice@sender.test", MessageID: "<dsn-2@relay.test>", Date: at, Return: ReturnFull, Original: original, Subject: "Delivery failed"},
			r: Report{
				ReportingMTA: "relay.test",
				Recipients: []Recipient{
					{FinalRecipient: "full@receiver.test", Action: ActionFailed, Status: "5.2.2", RemoteMTA: "mx.receiver.test", DiagnosticCode: "552 5.2.2 mailbox full"},
					{FinalRecipient: "late@receiver.test", Action: ActionDelayed, Status: "4.4.1", DiagnosticCode: "451 4.4.1 no answer", WillRetryUntil: at.Add(96 * time.Hour)},
				},
			},
		},
		// RFC 6533: UTF-8 addresses make it a global DSN, and a header
		// section with UTF-8 comes back as message/global-headers.
		"failed_global_headers": {
			opts: BuildOptions{To: "jürgen@sender.test", MessageID: "dsn-4@relay.test", Date: at,
				Original: []byte("From: Jürgen <jürgen@sender.test>\nTo: zoë@receiver.test\nSubject: grüße\nMessage-ID: <orig-1@sender.test>\n\nHallo.\n")},
			r: Report{
				ReportingMTA: "relay.test", EnvelopeID: "env-4",
				Recipients: []Recipient{
					{OriginalRecipient: "utf-8;Zoë@receiver.test", FinalRecipient: "zoë@receiver.test", Action: ActionFailed, Status: "5.1.1",
						RemoteMTA: "mx.receiver.test", DiagnosticCode: "550 5.1.1 unbekannter Empfänger"},
					{OriginalRecipient: "rfc822;bob@receiver.test", FinalRecipient: "bob@receiver.test", Action: ActionFailed, Status: "5.1.1"},
				},
			},
		},
		"delayed_utf8_none": {
			opts: BuildOptions{To: "alice@sender.test", From: "Postmaster <postmaster@relay.test>", MessageID: "dsn-3@relay.test", Date: at, Return: ReturnNone, Original: original,
				Explanation: "Zustellung verzögert — wir versuchen es weiter.\n"},
			r: Report{
				ReportingMTA: "relay.test", Extra: Header{{"X-Relaylab-Queue-Id", "q42"}},
				Recipients: []Recipient{{FinalRecipient: "x400; /C=DE/S=Muster/", Action: ActionDelayed, Status: "4.7.0", Extra: Header{{"X-Attempts", "3"}}}},
			},
		},
	}
}

func TestBuildGolden(t *testing.T) {
	t.Parallel()
	for name, c := range buildCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := Build(c.opts, c.r)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(testdata, "build_"+name+".eml"), out)
		})
	}
}
