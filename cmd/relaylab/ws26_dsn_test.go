package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
	"github.com/relaylab/relaylab/sink"
)

// TestSendDSNParamsReachSink: send's DSN flags reach relaylab's sink,
// which offers DSN, as the sink records them: RET and ENVID (decoded from
// the xtext on the wire) on MAIL, NOTIFY and ORCPT on each RCPT, with
// --orcpt once for every recipient, once per recipient, or "self".
func TestSendDSNParamsReachSink(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, st, sk := startSinkStore(t)
	addr := sk.Addrs()["mx"].String()
	for _, tt := range []struct {
		name  string
		args  []string
		ret   string
		envid string
		wire  []string // lines of the transcript
		dsn   []sink.RecipientDSN
	}{
		{
			name: "self for each",
			args: []string{"--from", "app@ws26.test", "--to", "a1@example.test", "--to", "b1+tag@example.test",
				"--notify", "success, FAILURE", "--ret", "hdrs", "--envid", "batch+7 of=9", "--orcpt", "self"},
			ret: "HDRS", envid: "batch+7 of=9",
			wire: []string{" -> MAIL FROM:<app@ws26.test> SIZE=", " RET=HDRS ENVID=batch+2B7+20of+3D9\n",
				" -> RCPT TO:<b1+tag@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b1+2Btag@example.test\n"},
			dsn: []sink.RecipientDSN{
				{Recipient: "a1@example.test", Notify: []string{"SUCCESS", "FAILURE"}, ORCPT: "rfc822;a1@example.test"},
				{Recipient: "b1+tag@example.test", Notify: []string{"SUCCESS", "FAILURE"}, ORCPT: "rfc822;b1+tag@example.test"},
			},
		},
		{
			name: "one per recipient, utf-8 and a type in any case",
			args: []string{"--from", "app@ws26.test", "--to", "a2@example.test", "--to", "b2@example.test",
				"--notify", "NEVER", "--ret", "FULL", "--orcpt", "RFC822;list@lists.test", "--orcpt", "dé@example.test"},
			ret:  "FULL",
			wire: []string{" -> RCPT TO:<b2@example.test> NOTIFY=NEVER ORCPT=utf-8;d\\x{E9}@example.test\n"},
			dsn: []sink.RecipientDSN{
				{Recipient: "a2@example.test", Notify: []string{"NEVER"}, ORCPT: "rfc822;list@lists.test"},
				{Recipient: "b2@example.test", Notify: []string{"NEVER"}, ORCPT: "utf-8;dé@example.test"},
			},
		},
		{
			name: "one ORCPT for all, no NOTIFY",
			args: []string{"--from", "app@ws26.test", "--to", "a3@example.test", "--to", "b3@example.test", "--orcpt", "alias@example.test"},
			dsn: []sink.RecipientDSN{
				{Recipient: "a3@example.test", ORCPT: "rfc822;alias@example.test"},
				{Recipient: "b3@example.test", ORCPT: "rfc822;alias@example.test"},
			},
		},
	} {
		code, out, errs := runIn(t, ctx, append([]string{"send", "--server", addr, "--hide-data"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tt.name, code, out, errs)
		}
		for _, w := range tt.wire {
			if !strings.Contains(out, w) {
				t.Errorf("%s: transcript lacks %q:\n%s", tt.name, w, out)
			}
		}
		if strings.Contains(out, "=== note:") {
			t.Errorf("%s: a note, though the sink offers DSN:\n%s", tt.name, out)
		}
		if err := sk.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		atts, err := sink.Attempts(ctx, st.DB(), tt.dsn[0].Recipient)
		if err != nil || len(atts) != 1 {
			t.Fatalf("%s: attempts %v, %v", tt.name, atts, err)
		}
		m, err := sink.MessageByID(ctx, st.DB(), atts[0].Message)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(m.DSN)
		want, _ := json.Marshal(tt.dsn)
		if m.Ret != tt.ret || m.EnvID != tt.envid || string(got) != string(want) {
			t.Errorf("%s: the sink recorded RET %q ENVID %q %s\nwant RET %q ENVID %q %s", tt.name, m.Ret, m.EnvID, got, tt.ret, tt.envid, want)
		}
	}
}

// TestSendDSNQuitAfterRcpt: --quit-after rcpt sends the DSN parameters on
// MAIL and RCPT as a whole message would.
func TestSendDSNQuitAfterRcpt(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, st, sk := startSinkStore(t)
	code, out, errs := runIn(t, ctx, "send", "--server", sk.Addrs()["mx"].String(), "--to", "q@example.test",
		"--notify", "DELAY", "--envid", "q1", "--orcpt", "self", "--quit-after", "rcpt")
	if code != 0 || !strings.Contains(out, " -> RCPT TO:<q@example.test> NOTIFY=DELAY ORCPT=rfc822;q@example.test\n") || !strings.Contains(out, " ENVID=q1\n") {
		t.Fatalf("exit %d, want 0 and the parameters on MAIL and RCPT:\n%s%s", code, out, errs)
	}
	if err := sk.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// An attempt without a message is recorded when its session ends.
		atts, err := sink.Attempts(ctx, st.DB(), "q@example.test")
		if err == nil && len(atts) == 1 {
			if a := atts[0]; a.EnvID != "q1" || !slices.Equal(a.Notify, []string{"DELAY"}) || a.ORCPT != "rfc822;q@example.test" {
				t.Errorf("attempt: ENVID %q NOTIFY %q ORCPT %q, want q1, [DELAY], rfc822;q@example.test", a.EnvID, a.Notify, a.ORCPT)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempts %v, %v; want one", atts, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSendDSNNotOffered: to a server without DSN, send leaves the DSN
// parameters out, says so in a note naming them, and the message goes
// with the exit status it earns (0 accepted, 5 refused).
func TestSendDSNNotOffered(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Keep: true})
	for _, tt := range []struct {
		to   string
		code int
	}{{"bob@y.test", 0}, {"reject@y.test", 5}} {
		code, out, errs := runCmd(t, "", "send", "--server", srv.Addr, "--to", tt.to, "--notify", "SUCCESS,FAILURE", "--ret", "HDRS", "--envid", "e1", "--orcpt", "self")
		if code != tt.code {
			t.Errorf("to %s: exit %d, want %d\n%s%s", tt.to, code, tt.code, out, errs)
		}
		note := "=== note: the server does not offer DSN (its EHLO reply has no DSN, RFC 3461 4), so the message goes without the DSN parameters asked for (left out: RET, ENVID, NOTIFY, ORCPT)"
		if !strings.Contains(out, note) {
			t.Errorf("to %s: transcript lacks the note %q:\n%s", tt.to, note, out)
		}
		if strings.Contains(out, "NOTIFY=") || strings.Contains(out, "RET=") || !strings.Contains(out, " -> RCPT TO:<"+tt.to+">\n") {
			t.Errorf("to %s: DSN parameters sent to a server without DSN:\n%s", tt.to, out)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("the server took %d messages, want 1", n)
	}
}

// TestSendDSNFlagErrors: a DSN value RFC 3461 does not allow is bad input
// (exit 2), named with its flag and what the flag takes; nothing is sent.
func TestSendDSNFlagErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 98) + " "
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--notify", "NEVER,SUCCESS"}, `--notify "NEVER,SUCCESS": NEVER must stand alone; give NEVER alone (no DSN at all), or a comma list of SUCCESS, FAILURE and DELAY (RFC 3461 4.1)`},
		{[]string{"--notify", "FAILURE,BOUNCE"}, `--notify "FAILURE,BOUNCE": BOUNCE is not NEVER, SUCCESS, FAILURE or DELAY`},
		{[]string{"--notify", "FAILURE,,DELAY"}, `an empty item in the list`},
		{[]string{"--notify", "DELAY,delay"}, `DELAY is listed twice`},
		{[]string{"--notify", ""}, `--notify "": an empty item`},
		{[]string{"--ret", "HEADERS"}, `--ret "HEADERS": give FULL (a failure DSN returns the whole message) or HDRS (its header only) (RFC 3461 4.3)`},
		{[]string{"--envid", ""}, `--envid "": give an id`},
		{[]string{"--envid", "lot 5\tb"}, `--envid "lot 5\tb": character 6, '\t', is not printable ASCII`},
		{[]string{"--envid", "café"}, `character 4, 'é', is not printable ASCII`},
		{[]string{"--envid", long}, `--envid: 99 characters are 101 once written in xtext (a space, + or = takes 3); ENVID allows at most 100 (RFC 3461 4.4)`},
		{[]string{"--orcpt", "a@x.test", "--orcpt", "b@x.test", "--orcpt", "c@x.test"}, `--orcpt is given 3 times for 2 --to: give it once (for every recipient), or once per --to in their order`},
		{[]string{"--orcpt", "x400;/C=US/"}, `--orcpt "x400;/C=US/": address type "x400" is not rfc822 or utf-8`},
		{[]string{"--orcpt", "rfc822;dé@x.test"}, `an rfc822 address is printable ASCII (RFC 3461 4.2); for a non-ASCII address give utf-8;ADDR, or leave the type out`},
		{[]string{"--orcpt", "rfc822;"}, `--orcpt "rfc822;": no address`},
		{[]string{"--orcpt", "utf-8;a\x01@x.test"}, `a utf-8 address is valid UTF-8 without control characters`},
		{[]string{"--orcpt", strings.Repeat("a", 490) + "@x.test"}, `characters once encoded; ORCPT allows at most 500 (RFC 3461 4.2)`},
	} {
		args := append([]string{"send", "--server", "127.0.0.1:1", "--to", "a@y.test", "--to", "b@y.test"}, tt.args...)
		code, out, errs := runCmd(t, "", args...)
		if code != 2 || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit 2 with %q and nothing sent", tt.args, code, errs, out, tt.want)
		}
	}
}

// TestSendDSNEnvIDLimit: an ENVID of exactly 100 characters in xtext is
// allowed (RFC 3461 4.4 allows 100).
func TestSendDSNEnvIDLimit(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	code, out, errs := runCmd(t, "", "send", "--server", srv.Addr, "--to", "a@y.test", "--envid", strings.Repeat("a", 97)+"+")
	if code != 0 {
		t.Errorf("exit %d, want 0\n%s%s", code, out, errs)
	}
}
