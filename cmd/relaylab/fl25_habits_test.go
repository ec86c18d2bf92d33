package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestFL25FlagHintsFromOtherTools: the flags of swaks and Postfix's
// smtp-source are answered with relaylab's flag that does the same, per
// command (-s is swaks' server and smtp-source's sessions), or with what
// takes the place of one that has no match.
func TestFL25FlagHintsFromOtherTools(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--tls-on-connect"}, "no flag --tls-on-connect: did you mean --tls? (swaks' --tls, which is STARTTLS, is --starttls here"},
		{[]string{"send", "--auth-password", "x"}, "no flag --auth-password: did you mean --auth-pass?"},
		{[]string{"send", "--add-header", "X-A: 1"}, "no flag --add-header: did you mean --header?"},
		{[]string{"send", "--h-Subject", "hi"}, `no flag --h-Subject: did you mean --header "Subject: ..."?`},
		{[]string{"send", "--suppress-data"}, "no flag --suppress-data: did you mean --hide-data?"},
		{[]string{"send", "-q", "rcpt"}, "no flag --q: did you mean --quit-after?"},
		{[]string{"send", "-s", "127.0.0.1:25"}, "no flag --s: did you mean --server?"},
		{[]string{"send", "-f", "a@b.test"}, "no flag --f: did you mean --from?"},
		{[]string{"send", "--pipeline"}, "no flag --pipeline: send writes one command at a time"},
		{[]string{"send", "--silent"}, "no flag --silent: the transcript is on stdout"},
		{[]string{"load", "-s", "10"}, "no flag --s: did you mean --sessions?"},
		{[]string{"load", "-m", "10"}, "no flag --m: did you mean --messages?"},
		{[]string{"load", "-l", "1000"}, "no flag --l: did you mean --size?"},
		{[]string{"load", "-r", "2"}, "no flag --r: did you mean --rcpts?"},
		{[]string{"load", "-M", "h.test"}, "no flag --M: did you mean --helo?"},
		{[]string{"load", "-d"}, "no flag --d: did you mean --reuse? (smtp-source's -d keeps the connection"},
		{[]string{"load", "-c"}, "no flag --c: load shows its progress on stderr always"},
	} {
		code, out, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	_, help, _ := runIn(t, context.Background(), "send", "--help")
	if !strings.Contains(strings.Join(strings.Fields(help), " "), "swaks' --tls, which is STARTTLS, is --starttls here") {
		t.Errorf("send --help does not say that swaks' --tls is --starttls:\n%s", help)
	}
}

// TestFL25SendSwaksHabits: --body @FILE reads the file and --body - the
// standard input (send sent "@FILE" as the body), --from '<>' is the null
// sender (it was refused), --from ” writes a From field with a mailbox
// (it wrote "From: <>", which RFC 5322 3.6.2 does not allow), and
// --quit-after takes its stage in any case.
func TestFL25SendSwaksHabits(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Keep: true})
	file := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(file, []byte("from the file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		stdin string
		args  []string
		want  []string // in the message the server took
		from  string
	}{
		{"", []string{"--body", "@" + file}, []string{"\r\n\r\nfrom the file\r\n"}, "relaylab@localhost"},
		{"from stdin\n", []string{"--body", "-"}, []string{"\r\n\r\nfrom stdin\r\n"}, "relaylab@localhost"},
		{"", []string{"--from", "<>", "--helo", "client.test"}, []string{"From: <MAILER-DAEMON@client.test>\r\n"}, ""},
		{"", []string{"--from", "", "--helo", "client.test"}, []string{"From: <MAILER-DAEMON@client.test>\r\n"}, ""},
	} {
		code, out, errOut := runCmd(t, tc.stdin, append([]string{"send", "--server", srv.Addr, "--to", "b@y.test"}, tc.args...)...)
		msgs := srv.Messages()
		if code != 0 || len(msgs) != i+1 {
			t.Fatalf("%q: exit %d, %d messages taken; want 0 and %d\n%s%s", tc.args, code, len(msgs), i+1, out, errOut)
		}
		m := msgs[i]
		for _, w := range tc.want {
			if !strings.Contains(string(m.Data), w) {
				t.Errorf("%q: the message lacks %q:\n%s", tc.args, w, m.Data)
			}
		}
		if m.From != tc.from || strings.Contains(string(m.Data), "From: <>") {
			t.Errorf("%q: envelope sender %q (want %q), message:\n%s", tc.args, m.From, tc.from, m.Data)
		}
	}
	code, out, errOut := runIn(t, context.Background(), "send", "--server", srv.Addr, "--to", "b@y.test", "--quit-after", "RCPT")
	if code != 0 || !strings.Contains(out, "=== Quit after rcpt") {
		t.Errorf("--quit-after RCPT: exit %d; want 0 and a quit after rcpt\n%s%s", code, out, errOut)
	}
}

// TestFL25SizeWithoutStuffedDots: SIZE= is the message's size without the
// dots doubled at line starts (RFC 1870 3), which were counted.
func TestFL25SizeWithoutStuffedDots(t *testing.T) {
	t.Parallel()
	c := &smtpload.Client{Ext: map[string]string{"SIZE": ""}}
	plain := smtpload.WireFormat([]byte("a\r\nb\r\n"))
	dotted := smtpload.WireFormat([]byte(".a\r\n.b\r\n"))
	p1, _ := c.MailParams(&smtpload.Transaction{Parts: [][]byte{plain}})
	p2, _ := c.MailParams(&smtpload.Transaction{Parts: [][]byte{dotted[:4], dotted[4:]}})
	if p1 != "SIZE=6" || p2 != "SIZE=8" {
		t.Errorf("SIZE of a\\r\\nb\\r\\n %q, of .a\\r\\n.b\\r\\n in two parts %q; want SIZE=6 and SIZE=8", p1, p2)
	}
}

// TestFL25LoadJSONSaysItsParameters: --json holds what the run was asked
// (messages, recipients, size, reuse, rate, TLS and AUTH), when it began,
// the connections tried and opened, and the messages never tried; the
// text says when no dial reached a server.
func TestFL25LoadJSONSaysItsParameters(t *testing.T) {
	t.Parallel()
	target := byAddress(t)
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "3", "--sessions", "1", "--rcpts", "2",
		"--size", "100", "--reuse", "0", "--rate", "1000", "--quiet", "--json")
	var j struct {
		Parameters struct {
			Messages, Rcpts, Reuse int
			BodySize               int `json:"body_size"`
			Rate                   float64
			TLS, Auth              string
		} `json:"parameters"`
		Started     string `json:"started"`
		Connections struct{ Tried, Opened int }
		NotTried    *int `json:"not_tried"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	p := j.Parameters
	if p.Messages != 3 || p.Rcpts != 2 || p.BodySize != 100 || p.Reuse != 0 || p.Rate != 1000 || p.TLS != "none" || p.Auth != "none" {
		t.Errorf("parameters %+v; want 3 messages, 2 rcpts, body 100, reuse 0, rate 1000, no TLS, no AUTH\n%s", p, out)
	}
	if j.Started == "" || j.Connections.Tried != 1 || j.Connections.Opened != 1 || j.NotTried == nil || *j.NotTried != 0 {
		t.Errorf("started %q, connections %+v, not tried %v; want a time, 1 and 1, 0\n%s", j.Started, j.Connections, j.NotTried, out)
	}
	_, out, _ = runIn(t, context.Background(), "load", "--target", closedAddr(t, "tcp"), "--messages", "3", "--sessions", "1", "--quiet")
	if !strings.Contains(out, "none of them reached a server") {
		t.Errorf("no dial opened a connection, and the summary does not say that none reached a server:\n%s", out)
	}
}
