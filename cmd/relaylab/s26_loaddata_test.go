package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoadSendsADataFileAndHeaders: load --data sends the file as every
// message, with CRLF line ends, dots doubled on the wire (and undone by
// the server), and a Message-ID of each message's own in place of the
// file's, folded line and all, so that a run is many messages; --header
// adds a field to the built message, {n} numbered, and one named as a
// built field replaces it.
func TestLoadSendsADataFileAndHeaders(t *testing.T) {
	t.Parallel()
	_, st, sk := startSinkStore(t)
	target := sk.HostPorts()["mx"]
	file := filepath.Join(t.TempDir(), "msg.eml")
	msg := "From: QA <qa@example.test>\nTo: x@example.test\nSubject: Spring sale\nMessage-ID: <fixed@example.test>\n\t(folded)\nContent-Type: text/plain\n\nHello\n.dot line\nMessage-ID: <in the body, kept>\n"
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if code, out, errOut := runIn(t, ctx, "load", "--target", target, "--messages", "3", "--sessions", "1", "--quiet", "--data", file); code != 0 {
		t.Fatalf("load --data: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runIn(t, ctx, "load", "--target", target, "--messages", "2", "--sessions", "1", "--quiet", "--size", "10",
		"--header", "X-Campaign: spring-{n}", "--header", "subject: Custom"); code != 0 {
		t.Fatalf("load --header: exit %d\n%s%s", code, out, errOut)
	}
	rows, err := st.DB().Query(`SELECT CAST(raw AS TEXT) FROM sink_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var raws []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, r)
	}
	if len(raws) != 5 {
		t.Fatalf("%d messages stored, want 5", len(raws))
	}
	var ids []string
	for _, r := range raws[:3] {
		head, body, _ := strings.Cut(r, "\r\n\r\n")
		if strings.Contains(head, "fixed@example.test") || strings.Contains(head, "(folded)") {
			t.Errorf("the file's Message-ID (or its folded line) was sent:\n%s", head)
		}
		if n := strings.Count(strings.ToLower(head), "message-id:"); n != 1 {
			t.Errorf("%d Message-ID fields, want 1:\n%s", n, head)
		}
		if !strings.Contains(head, "Subject: Spring sale\r\nContent-Type: text/plain") {
			t.Errorf("the file's other fields did not go as written:\n%s", head)
		}
		if body != "Hello\r\n.dot line\r\nMessage-ID: <in the body, kept>\r\n" {
			t.Errorf("body %q, want the file's, CRLF, one dot", body)
		}
		i := strings.Index(head, "Message-ID: <")
		ids = append(ids, head[i:i+strings.Index(head[i:], ">")])
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 3 {
		t.Errorf("Message-IDs %q: want one of each message's own", ids)
	}
	for i, r := range raws[3:] {
		head, _, _ := strings.Cut(r, "\r\n\r\n")
		// One session takes the messages in turn.
		if want := fmt.Sprintf("X-Campaign: spring-%d\r\n", i+1); !strings.Contains(head, want) {
			t.Errorf("no numbered X-Campaign field:\n%s", head)
		}
		if strings.Contains(head, "relaylab load message") || !strings.Contains(head, "subject: Custom") {
			t.Errorf("--header subject: did not replace the built Subject:\n%s", head)
		}
	}
}

// TestLoadRefusesDataItCannotSend: a --data file that is not a whole
// message, or with a flag it makes meaningless, is refused by name
// before any connection.
func TestLoadRefusesDataItCannotSend(t *testing.T) {
	t.Parallel()
	target, conns, stop := countingListener(t)
	dir := t.TempDir()
	body := filepath.Join(dir, "body.txt")
	whole := filepath.Join(dir, "msg.eml")
	os.WriteFile(body, []byte("just a body\n"), 0o600)
	os.WriteFile(whole, []byte("Subject: x\n\nbody\n"), 0o600)
	load := func(args ...string) []string {
		return append([]string{"load", "--target", target, "--messages", "1", "--quiet"}, args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{load("--data", body), `--data ` + body + `: line 1 ("just a body") is not a header field`},
		{load("--data", filepath.Join(dir, "nope.eml")), "no such file"},
		{load("--data", whole, "--size", "10"), "--data and --size exclude each other"},
		{load("--data", whole, "--header", "X-A: 1"), "--data and --header exclude each other"},
		{load("--header", "Bad"), `--header "Bad": write it as "Name: value"`},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
		}
	}
	stop()
	if n := len(conns); n != 0 {
		t.Errorf("%d connections were made; bad flags must be refused before connecting", n)
	}
}
