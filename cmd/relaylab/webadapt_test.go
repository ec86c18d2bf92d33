package main

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

func TestParseTranscript(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lines := parseTranscript(start, "0.000 S 220 sink ESMTP\n0.012 C EHLO client\n1.500 * accepted; a bounce follows\ngarbage\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines: %+v", len(lines), lines)
	}
	if lines[0].Dir != "s" || lines[0].Text != "220 sink ESMTP" || lines[1].Dir != "c" || !lines[1].Time.Equal(start.Add(12*time.Millisecond)) {
		t.Errorf("lines = %+v", lines[:2])
	}
	if lines[2].Dir != "*" || lines[3].Dir != "*" || lines[3].Text != "garbage" {
		t.Errorf("notes = %+v", lines[2:])
	}
}

func TestMessageDetail(t *testing.T) {
	t.Parallel()
	raw := "From: a@x.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nTo: b@y.test\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nplain body\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>html =3D body</p>\r\n--b1--\r\n"
	d := messageDetail([]byte(raw))
	if d.Subject != "café" || d.Text != "plain body" || d.HTML != "<p>html = body</p>" {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Headers) != 4 || d.Headers[0].Name != "From" || d.Headers[1].Name != "Subject" {
		t.Errorf("headers out of order: %+v", d.Headers)
	}
	if d := messageDetail([]byte("no headers at all")); d.Text != "no headers at all" {
		t.Errorf("unparsable message: %+v", d)
	}
	// The sink's and the relay's message pages read each part in the
	// charset it declares, as web.DecodeMessage does.
	d = messageDetail([]byte("Subject: =?windows-1252?Q?=93q=94?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9 \x80\r\n"))
	if d.Subject != "“q”" || d.Text != "café €\r\n" {
		t.Errorf("declared charsets: subject %q, text %q; want “q” and café €", d.Subject, d.Text)
	}
}

// TestMessageDetailTransferEncodings: base64 and quoted-printable bodies,
// in parts and alone, are shown decoded, not as the encoded text.
func TestMessageDetailTransferEncodings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw  string
		text, html string
	}{
		{"base64 parts", "Content-Type: multipart/alternative; boundary=b1\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nY2Fmw6kgdGV4\r\ndA==\r\n" +
			"--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: BASE64\r\n\r\nPHA+aHRtbDwvcD4=\r\n--b1--\r\n",
			"café text", "<p>html</p>"},
		{"base64 alone", "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+\r\nYm9sZDwvYj4=\r\n", "bold", "<b>bold</b>"}, // text derived from the HTML
		{"quoted-printable alone", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D done\r\n", "softbreak = done\r\n", ""},
		{"not base64 after all", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nabcde\r\n", "abcde\r\n", ""},
		{"8bit", "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nPGI+\r\n", "PGI+\r\n", ""},
	} {
		d := messageDetail([]byte("From: a@x.test\r\n" + tc.raw))
		if d.Text != tc.text || d.HTML != tc.html {
			t.Errorf("%s: text %q, html %q; want %q, %q", tc.name, d.Text, d.HTML, tc.text, tc.html)
		}
		if derived := tc.name == "base64 alone"; d.TextDerived != derived {
			t.Errorf("%s: text_derived %v, want %v (an HTML-only message's text is made from its HTML)", tc.name, d.TextDerived, derived)
		}
	}
}

func TestBuildWebMessage(t *testing.T) {
	t.Parallel()
	b := string(mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test", "c@y.test"}, Subject: "hi", Text: "line1\nline2", HTML: "<b>x</b>",
		Headers: []web.Header{{Name: "X-Test", Value: "evil\r\nBcc: victim@z.test"}}}))
	if strings.Contains(b, "\r\nBcc:") {
		t.Error("a header value injected a header")
	}
	d := messageDetail([]byte(b))
	if d.Text != "line1\r\nline2" || d.HTML != "<b>x</b>" || d.Subject != "hi" {
		t.Errorf("round trip = %+v", d)
	}
}

// TestBuildWebMessageEncodesWhatHopsMayRefuse: text with 8-bit bytes or a
// line over 998 characters goes quoted-printable, so that it reaches the
// sink whole through a hop without 8BITMIME, and reads back as written.
func TestBuildWebMessageEncodesWhatHopsMayRefuse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1500)
	for _, tc := range []struct {
		name, text, html string
		qp               bool
	}{
		{"ascii", "plain\nlines", "", false},
		{"998", strings.Repeat("y", 998), "", false},
		{"utf-8", "Grüße aus Köln", "", true},
		{"long text", "a\n" + long + "\nb", "", true},
		{"long html", "t", "<p>" + long + "</p>", true},
		{"lone CR", "a\rb", "", true},
	} {
		b := string(mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"}, Text: tc.text, HTML: tc.html}))
		if got := strings.Contains(b, "Content-Transfer-Encoding: quoted-printable"); got != tc.qp {
			t.Errorf("%s: quoted-printable = %v, want %v", tc.name, got, tc.qp)
		}
		for i, line := range strings.Split(b, "\r\n") {
			if len(line) > 998 {
				t.Errorf("%s: line %d is %d characters long", tc.name, i+1, len(line))
			}
		}
		if tc.qp {
			for i := 0; i < len(b); i++ {
				if b[i] > 126 {
					t.Fatalf("%s: 8-bit byte %#x at %d in an encoded message", tc.name, b[i], i)
				}
			}
		}
		d := messageDetail([]byte(b))
		// The line end before the next boundary (or the message's end)
		// reads back too.
		want := strings.ReplaceAll(crlfLines(tc.text), "\r", "")
		if got := strings.TrimSuffix(strings.ReplaceAll(d.Text, "\r", ""), "\n"); got != want && tc.name != "lone CR" {
			t.Errorf("%s: text reads back as %d bytes %.40q, want %d bytes %.40q", tc.name, len(got), got, len(want), want)
		}
		if got := strings.TrimSuffix(strings.ReplaceAll(d.HTML, "\r", ""), "\n"); got != tc.html {
			t.Errorf("%s: html reads back as %d bytes %.40q", tc.name, len(got), got)
		}
	}
}

// testSinkAdapter is the web's view of a default sink (not started) over a
// fresh store.
func testSinkAdapter(t *testing.T) sinkAdapter {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sk, err := sink.New(sink.DefaultConfig(), sink.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return sinkAdapter{sk: sk, db: st.DB()}
}

// runningSinkAdapter starts a sink without TLS on 127.0.0.1:0 with its own
// store, stopped when the test ends, and returns its adapter and address;
// edits change its configuration first.
func runningSinkAdapter(t *testing.T, edits ...func(*sink.Config)) (sinkAdapter, string) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.test")}
	cfg.Listeners[0].TLS = "none"
	for _, edit := range edits {
		edit(&cfg)
	}
	sk, err := sink.New(cfg, sink.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := sk.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Shutdown(context.Background()) })
	return sinkAdapter{sk: sk, db: st.DB()}, sk.Addrs()["mx"].String()
}

func TestSinkAdapterRules(t *testing.T) {
	t.Parallel()
	a := testSinkAdapter(t)
	ctx := context.Background()
	if err := a.SetRules(ctx, web.SinkRules{YAML: "- stage: rcpt\n  recipient: '*@blocked.test'\n  reply: 550 5.7.1 go away\n"}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Rules(ctx)
	if err != nil || !strings.Contains(got.YAML, "550 5.7.1 go away") {
		t.Fatalf("Rules = %q, %v", got.YAML, err)
	}
	for _, bad := range []string{"- stage: rcpt\n  reply: 999 nonsense\n", "- stgae: rcpt\n", "not: a list\n"} {
		err := a.SetRules(ctx, web.SinkRules{YAML: bad})
		if !errors.Is(err, web.ErrInvalid) {
			t.Errorf("SetRules(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := a.Session(ctx, "42"); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("Session(42) = %v, want ErrNotFound", err)
	}
	if _, err := a.Session(ctx, "x"); !errors.Is(err, web.ErrInvalid) {
		t.Errorf("Session(x) = %v, want ErrInvalid", err)
	}
}

// TestSinkAdapterRulesPositions: the editor holds a bare list, and errors
// point into it as typed (line 1 is its first line), naming rules[N].
func TestSinkAdapterRulesPositions(t *testing.T) {
	t.Parallel()
	a := testSinkAdapter(t)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unknown key in flow", "- {name: flaky, stag: rcpt, reply: 451 4.7.1 later}\n",
			`rules:1:17: rules[0].stag: unknown field "stag"`},
		{"unknown key in block", "- stage: rcpt\n  reply: 451 4.7.1 later\n- stage: data\n  rpely: 550 no\n",
			`rules:4:3: rules[1].rpely: unknown field "rpely"`},
		{"bad duration", "- {stage: rcpt, delay: soon}\n",
			`rules:1:24: rules[0].delay: bad duration "soon"`},
		{"bad reply", "- stage: rcpt\n  reply: 451 later\n- {stage: rcpt, reply: 999 nonsense}\n",
			"rules:3:24: rules[1].reply: "},
		{"bad stage", "- {stage: rcpt, drop: true}\n- stage: nowhen\n  drop: true\n",
			"rules:2:10: rules[1].stage: unknown stage"},
		{"a rules: section pasted whole", "rules:\n  - {stage: rcpt, reply: 451 4.7.1 later}\n",
			`remove the "rules:" line above it`},
		// The sink's own checks, which know its listeners and whether it
		// verifies, point into the editor's text too.
		{"dmarc rule with verification off", "- {stage: rcpt, reply: 451 4.7.1 later}\n- stage: data-end\n  dmarc: fail\n  reply: 550 5.7.1 no\n",
			"rules:3:10: rules[1].dmarc: never matches: DMARC is checked only with sink.verify.enabled: true"},
		{"unknown listener", "- {stage: rcpt, listener: mx2, reply: 451 4.7.1 later}\n",
			`rules:1:27: rules[0].listener: no listener is named "mx2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := a.SetRules(context.Background(), web.SinkRules{YAML: tc.in})
			if !errors.Is(err, web.ErrInvalid) {
				t.Fatalf("SetRules(%q) = %v, want ErrInvalid", tc.in, err)
			}
			if got := err.Error(); !strings.Contains(got, ": "+tc.want) {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	for _, ok := range []string{"", "[]\n", "- {stage: rcpt, recipient: '*@x.test', reply: 550 5.1.1 no}\n"} {
		if err := a.SetRules(context.Background(), web.SinkRules{YAML: ok}); err != nil {
			t.Errorf("SetRules(%q): %v", ok, err)
		}
	}
}

// TestSinkAdapterSessionOutcomes: the sessions list says what each session
// ended with (the 452 of a full mailbox, not the 221 to QUIT) and which
// messages it accepted, so the UI's columns are not empty.
func TestSinkAdapterSessionOutcomes(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	if err := sendPlain(addr, "a@shop.test", "full@example.test", "Subject: x\r\n\r\nx\r\n"); err == nil || !strings.Contains(err.Error(), "452") {
		t.Fatalf("full@: %v, want the 452 of a full mailbox", err)
	}
	if err := sendPlain(addr, "a@shop.test", "ok@example.test", "Subject: y\r\n\r\ny\r\n"); err != nil {
		t.Fatalf("ok@: %v", err)
	}
	var ss []web.SinkSession
	var err error
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 2; time.Sleep(10 * time.Millisecond) { // sessions are recorded when they end
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions recorded, want 2", len(ss))
		}
	}
	full, ok := ss[1], ss[0] // newest first
	if !strings.HasPrefix(full.LastReply, "452 4.2.2 ") || !strings.HasSuffix(full.LastReply, "(at rcpt)") || len(full.Messages) != 0 {
		t.Errorf("full mailbox session: last reply %q, messages %v; want the 452 at rcpt and none", full.LastReply, full.Messages)
	}
	if !strings.HasPrefix(ok.LastReply, "250 ") || len(ok.Messages) != 1 {
		t.Fatalf("accepting session: last reply %q, messages %v; want the 250 and one message", ok.LastReply, ok.Messages)
	}
	if _, err := a.Message(context.Background(), ok.Messages[0]); err != nil {
		t.Errorf("the listed message %s: %v", ok.Messages[0], err)
	}
	one, err := a.Session(context.Background(), full.ID)
	if err != nil || one.LastReply != full.LastReply {
		t.Errorf("Session(%s): last reply %q, %v; want %q as in the list", full.ID, one.LastReply, err, full.LastReply)
	}
}

// TestRelayAdapterEnqueueRawLineEnds: a raw message posted with LF line
// ends is queued with CRLF ones, as relay.Submission's Data must be,
// instead of going out with bare LFs.
func TestRelayAdapterEnqueueRawLineEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	raw := "From: a@s.test\nDate: Mon, 2 Jan 2006 15:04:05 +0000\nSubject: x\r\n\none\ntwo\n"
	id, err := relayAdapter{rl: rl}.Enqueue(ctx, web.EnqueueRequest{From: "a@s.test", To: []string{"b@r.test"}, Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	m, err := rl.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := "From: a@s.test\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\nSubject: x\r\n\r\none\r\ntwo\r\n"
	if got := string(m.Data); !strings.HasSuffix(got, "\r\n"+want) || strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") {
		t.Errorf("queued data = %q, want the trace and then %q", got, want)
	}
}

// TestRelayAdapterQueueHostOnlyWhereTried: the web API's queue names a
// recipient's host only when an attempt went there, not for a recipient
// the relay's shaping held before any attempt (which the relay records
// with the path's host all the same).
func TestRelayAdapterQueueHostOnlyWhereTried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []relay.Recipient{{Address: "held@r.test"}, {Address: "tried@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	const host = "127.0.0.1:44026"
	replies := map[string][]any{
		"held@r.test":  {0, "shaping", 0, "not tried: destination path:p rests until 2026-11-28T17:02:00Z after a 421 or rate limit"},
		"tried@r.test": {1, "rcpt", 421, "Messages temporarily deferred"},
	}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for addr, r := range replies {
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = 'deferred', attempts = ?, path = 'p', host = ?, code = ?, reply = ? WHERE message_id = ? AND address = ?`,
				r[0], host, r[2], r[3], id, addr); err != nil {
				return err
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayDeferred, Message: id, Recipient: addr}.WithPayload(map[string]any{
				"attempts": r[0], "host": host, "reply": map[string]any{"stage": r[1], "code": r[2], "text": r[3]}})); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	q, err := relayAdapter{rl: rl}.Queue(ctx, web.QueueFilter{})
	if err != nil || len(q) != 1 || len(q[0].Waiting) != 2 {
		t.Fatalf("Queue = %+v, %v; want one message with two waiting recipients", q, err)
	}
	for _, w := range q[0].Waiting {
		want := map[string]string{"held@r.test": "", "tried@r.test": host}[w.Address]
		if w.Host != want || w.Path != "p" {
			t.Errorf("waiting %s (attempts %d, reply at %s): host %q, path %q; want host %q, path p", w.Address, w.Attempts, w.LastReply.Stage, w.Host, w.Path, want)
		}
	}
}

// TestAdaptersRaw: the web's raw download of a relay's and a sink's
// message is the bytes each stored, 8-bit bytes and CRLFs as they are,
// not the decoded text of Message; an unknown id is the web's not found
// and a sink id that is no number its invalid input.
func TestAdaptersRaw(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	msg := "Message-ID: <raw1@shop.test>\r\nFrom: a@shop.test\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9\r\n"

	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@shop.test", Data: []byte(msg), Recipients: []relay.Recipient{{Address: "b@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := rl.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := relayAdapter{rl: rl}.Raw(ctx, id)
	if err != nil || string(got) != string(m.Data) || !strings.HasSuffix(string(got), msg) {
		t.Errorf("relay Raw(%s) = %q, %v; want the queued data %q, ending in what was sent", id, got, err, m.Data)
	}
	if _, err := (relayAdapter{rl: rl}).Raw(ctx, "nope"); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("relay Raw(nope) = %v, want ErrNotFound", err)
	}

	a, addr := runningSinkAdapter(t)
	if err := sendPlain(addr, "a@shop.test", "b@example.test", msg); err != nil {
		t.Fatal(err)
	}
	var sid int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM sink_messages ORDER BY id DESC LIMIT 1`).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	got, err = a.Raw(ctx, strconv.FormatInt(sid, 10))
	if err != nil || !strings.HasSuffix(string(got), msg) {
		t.Errorf("sink Raw(%d) = %q, %v; want the bytes sent, %q", sid, got, err, msg)
	}
	if _, err := a.Raw(ctx, "99999"); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("sink Raw(99999) = %v, want ErrNotFound", err)
	}
	if _, err := a.Raw(ctx, "x"); !errors.Is(err, web.ErrInvalid) {
		t.Errorf("sink Raw(x) = %v, want ErrInvalid", err)
	}
}
