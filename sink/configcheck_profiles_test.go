package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantInOrder fails unless each of want is in err's text, in order.
func wantInOrder(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want an error with %q", what, want)
	}
	msg, at := err.Error(), 0
	for _, w := range want {
		i := strings.Index(msg[at:], w)
		if i < 0 {
			t.Fatalf("%s:\n got %v\nwant %q in order", what, err, want)
		}
		at += i + len(w)
	}
}

// A rule naming an undefined listener is refused at its own listener key
// and line (it was the first rule's line, under sink.rules), with the
// names defined, and a hint when only the case differs.
func TestRuleUnknownListener(t *testing.T) {
	t.Parallel()
	doc := `sink:
  listeners:
    - name: mx
      listen: 127.0.0.1:0
    - name: mx2
      listen: 127.0.0.1:0
  rules:
    - stage: rcpt
      reply: "550 no"
    - stage: rcpt
      listener: mx
      reply: "550 no"
    - stage: rcpt
      listener: MX2
      reply: "550 no"
`
	_, err := decodeSink(t, doc)
	wantInOrder(t, "listener MX2", err, "sink.yaml:14:", "sink.rules[2].listener:", `no listener is named "MX2"`, `"mx", "mx2"`, "case-sensitive", `did you mean "mx2"?`)

	// mx3 is what --listen calls a third listener it adds: too late for
	// the file's rules, and the error says so.
	_, err = decodeSink(t, sinkDoc(`[{stage: rcpt, listener: mx3, reply: "550 no"}]`))
	wantInOrder(t, "listener mx3", err, "sink.rules[0].listener:", `no listener is named "mx3"`, "--listen", "define it under sink.listeners")
	if strings.Contains(err.Error(), "case-sensitive") {
		t.Errorf("listener mx3: %v, want no hint about case", err)
	}
}

// writeProfiles writes a profile file and returns its name.
func writeProfiles(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "extra.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// Profile domains and rules that could never match are refused at their
// key: each of these was accepted.
func TestProfileNeverMatches(t *testing.T) {
	t.Parallel()
	head := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n"
	profile := func(rule string) string {
		return "profiles:\n  - name: acme\n    domains: [acme.test]\n    rules:\n      - " + rule + "\n"
	}
	tests := []struct {
		name, doc, file string // file: a profile file, named in the doc as FILE
		want            []string
	}{
		{"address pattern in sink.profiles", head + "  profiles: {\"*@x.test\": gmail}\n", "",
			[]string{"sink.yaml:5:", "sink.profiles.'*@x.test':", "address pattern", `"x.test"`, `"*.x.test"`}},
		{"space in sink.profiles", head + "  profiles: {\"acme test\": gmail}\n", "",
			[]string{"sink.profiles.'acme test':", "no space"}},
		{"address pattern in a file", head + "  profile_files: [FILE]\n", "profiles:\n  - name: acme\n    domains: [\"bob@acme.test\"]\n    rules: [{stage: rcpt, reply: \"550 no\"}]\n",
			[]string{"sink.profile_files[0]:", "extra.yaml:3:", "profiles[0].domains[0]:", "address pattern"}},
		{"space in a file's domain", head + "  profile_files: [FILE]\n", "profiles:\n  - name: acme\n    domains: [\"acme test\"]\n    rules: [{stage: rcpt, reply: \"550 no\"}]\n",
			[]string{"profiles[0].domains[0]:", "no space"}},
		{"stage helo", head + "  profile_files: [FILE]\n", profile(`{stage: helo, reply: "550 no"}`),
			[]string{"profiles[0].rules[0].stage:", "helo: never matches"}},
		{"stage Connect", head + "  profile_files: [FILE]\n", profile(`{stage: Connect, reply: "554 no"}`),
			[]string{"profiles[0].rules[0].stage:", "Connect: never matches"}},
		{"stage quit", head + "  profile_files: [FILE]\n", profile(`{stage: quit, reply: "421 bye"}`),
			[]string{"profiles[0].rules[0].stage:", "never matches"}},
		{"unknown listener", head + "  profile_files: [FILE]\n", profile(`{stage: rcpt, listener: mx9, reply: "550 no"}`),
			[]string{"sink.yaml:5:", "sink.profile_files[0]:", "extra.yaml:5:", "profiles[0].rules[0].listener:", "never matches", `no listener is named "mx9"`, `"mx"`}},
		{"dmarc with verify off", head + "  profile_files: [FILE]\n", profile(`{stage: data-end, dmarc: reject, reply: "550 5.7.26 no"}`),
			[]string{"sink.profile_files[0]:", "profiles[0].rules[0].dmarc:", "never matches", "sink.verify.enabled: true"}},
		{"spf with verify off", head + "  profile_files: [FILE]\n", profile(`{stage: data-end, spf: fail, reply: "550 5.7.23 no"}`),
			[]string{"profiles[0].rules[0].spf:", "never matches"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := tc.doc
			if tc.file != "" {
				doc = strings.Replace(doc, "FILE", writeProfiles(t, tc.file), 1)
			}
			_, err := decodeSink(t, doc)
			wantInOrder(t, tc.name, err, tc.want...)
		})
	}
}

// What the checks above must let through.
func TestProfileAccepts(t *testing.T) {
	t.Parallel()
	head := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n"
	file := writeProfiles(t, "profiles:\n  - name: acme\n    domains: [acme.test, \"*.acme.test\", \"/^acme[0-9]+\\\\.test$/\"]\n    rules:\n      - {stage: rcpt, listener: mx, reply: \"550 no\"}\n      - {stage: mail, sender: \"a@*\", reply: \"550 no\"}\n")
	for _, doc := range []string{
		head + "  profiles: {\"*.corp.test\": gmail, \"mail.example.test\": yahoo}\n",
		head + "  profile_files: [" + file + "]\n  profiles: {\"x.test\": acme}\n",
	} {
		if _, err := decodeSink(t, doc); err != nil {
			t.Errorf("%s: %v, want it accepted", doc, err)
		}
	}
}

// limits.rate.reply gets the checks of a rule's reply: a malformed
// enhanced code was taken as text.
func TestRateReplyChecked(t *testing.T) {
	t.Parallel()
	doc := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n      limits: {rate: {per_second: 1, reply: \"451 4.7 slow down\"}}\n"
	_, err := decodeSink(t, doc)
	wantInOrder(t, "rate reply 4.7", err, "sink.listeners[0].limits.rate.reply:", "4.7 is not an enhanced status code")
}
