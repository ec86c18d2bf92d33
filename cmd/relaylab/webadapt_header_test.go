package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// mustBuild is buildWebMessage for a request that must build.
func mustBuild(t *testing.T, m web.EnqueueRequest) []byte {
	t.Helper()
	b, err := buildWebMessage(m)
	if err != nil {
		t.Fatalf("buildWebMessage: %v", err)
	}
	return b
}

// headerFields unfolds a message's header section (RFC 5322 2.2.3: a CRLF
// before white space is removed, nothing else) into its fields' values,
// by lower-case name.
func headerFields(t *testing.T, msg []byte) map[string][]string {
	t.Helper()
	head, _, ok := strings.Cut(string(msg), "\r\n\r\n")
	if !ok {
		t.Fatalf("no end of the header section in %q", msg)
	}
	head = strings.ReplaceAll(strings.ReplaceAll(head, "\r\n ", " "), "\r\n\t", "\t")
	out := map[string][]string{}
	for line := range strings.SplitSeq(head, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("header line %q is not a field", line)
		}
		out[strings.ToLower(name)] = append(out[strings.ToLower(name)], strings.TrimPrefix(value, " "))
	}
	return out
}

// TestBuildWebMessageFoldsHeaderFields: the header fields of a message
// built from the API's fields are folded or encoded into lines of at most
// 78 characters, 7-bit, and read back as given: a To of 80 recipients
// (2,700 characters on one line before), a subject of 3,000 characters
// without a space, a custom field of 2,000 characters with spaces, an
// 8-bit custom field (sent as 8-bit bytes before) and a Cc with a name
// that is not ASCII. A receiver refused the long lines with "500 5.4.0
// Line too long" after the API had answered 202.
func TestBuildWebMessageFoldsHeaderFields(t *testing.T) {
	t.Parallel()
	var to []string
	for i := range 80 {
		to = append(to, fmt.Sprintf("recipient%02d@example.test", i))
	}
	longSubject := strings.Repeat("s", 3000)
	spaced := strings.TrimSpace(strings.Repeat("yyyy ", 400))
	for _, tc := range []struct {
		name    string
		subject string
		headers []web.Header
	}{
		{"long subject", longSubject, []web.Header{{Name: "X-Long", Value: spaced}}},
		{"spaced subject", spaced, nil},
		{"8-bit subject", strings.Repeat("Grüße aus Köln, ", 60), nil},
		{"8-bit field", "hi", []web.Header{{Name: "X-Note", Value: "héllo wörld"}, {Name: "Cc", Value: "Jörg Müller <jm@example.test>, plain@example.test"}}},
		{"empty subject", "", []web.Header{{Name: "X-Empty", Value: ""}}},
	} {
		msg := mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: to, Subject: tc.subject, Text: "hi", Headers: tc.headers})
		head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
		for i, line := range strings.Split(head, "\r\n") {
			if len(line) > 78 {
				t.Errorf("%s: header line %d is %d characters long: %.90q...", tc.name, i+1, len(line), line)
			}
			if strings.TrimSpace(line) == "" {
				t.Errorf("%s: header line %d is white space alone", tc.name, i+1)
			}
			if needsEncoding(line) {
				t.Errorf("%s: header line %d is not 7-bit text: %q", tc.name, i+1, line)
			}
		}
		f := headerFields(t, msg)
		list, err := mail.ParseAddressList(f["to"][0])
		if err != nil || len(list) != len(to) {
			t.Fatalf("%s: To reads back as %d addresses, %v; want %d", tc.name, len(list), err, len(to))
		}
		for i, a := range list {
			if a.Address != to[i] {
				t.Errorf("%s: To[%d] = %q, want %q", tc.name, i, a.Address, to[i])
			}
		}
		dec := new(mime.WordDecoder)
		if got, err := dec.DecodeHeader(f["subject"][0]); err != nil || got != tc.subject {
			t.Errorf("%s: Subject reads back as %q, %v; want %q", tc.name, got, err, tc.subject)
		}
		for _, h := range tc.headers {
			raw := f[strings.ToLower(h.Name)]
			if len(raw) != 1 {
				t.Fatalf("%s: %s appears %d times", tc.name, h.Name, len(raw))
			}
			got, err := dec.DecodeHeader(raw[0])
			if strings.EqualFold(h.Name, "cc") {
				var l []*mail.Address
				if l, err = (&mail.AddressParser{WordDecoder: dec}).ParseList(raw[0]); err == nil {
					got = l[0].Name + " <" + l[0].Address + ">, " + l[1].Address
				}
			}
			if err != nil || got != h.Value {
				t.Errorf("%s: %s reads back as %q, %v; want %q", tc.name, h.Name, got, err, h.Value)
			}
		}
	}
}

// TestBuildWebMessageRefusesWhatCannotFold: a custom field with a run of
// more than 998 characters without white space cannot be folded, nor
// encoded without changing what it says: it is refused as invalid input
// naming the field, instead of being queued and refused by every
// receiver.
func TestBuildWebMessageRefusesWhatCannotFold(t *testing.T) {
	t.Parallel()
	_, err := buildWebMessage(web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"},
		Headers: []web.Header{{Name: "X-Ok", Value: "v"}, {Name: "X-Long", Value: strings.Repeat("y", 2000)}}})
	if !errors.Is(err, web.ErrInvalid) {
		t.Fatalf("err = %v, want an ErrInvalid", err)
	}
	for _, want := range []string{"headers[1]", "X-Long", "2000 characters", "998", "RFC 5322 2.1.1", "raw"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
	// 998 characters fit, with the name on a line of their own.
	if _, err := buildWebMessage(web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"},
		Headers: []web.Header{{Name: "X-Long", Value: "a " + strings.Repeat("y", 997)}}}); err != nil {
		t.Errorf("a run of 997 characters: %v", err)
	}
}

// TestRelayAdapterEnqueueRefusesUnfoldable: the relay adapter answers
// the API's POST /api/v1/messages with the refusal, and queues nothing.
func TestRelayAdapterEnqueueRefusesUnfoldable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	_, err := relayAdapter{rl: rl}.Enqueue(ctx, web.EnqueueRequest{From: "a@s.test", To: []string{"b@r.test"},
		Headers: []web.Header{{Name: "X-Long", Value: strings.Repeat("y", 2000)}}})
	if !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "headers[0]") {
		t.Errorf("Enqueue = %v, want an ErrInvalid naming headers[0]", err)
	}
	if n, err := rl.Depth(ctx); err != nil || n != 0 {
		t.Errorf("queue depth = %d, %v; want 0", n, err)
	}
}

// TestRelayAdapterEnqueueNeedsFromToBuild: a message built from the API's
// fields without "from" is refused naming from, instead of going out as
// MAIL FROM:<> with "From: <>" (no mailbox, RFC 5322 3.6.2) and its
// bounces going nowhere; a raw message may still use the null
// reverse-path.
func TestRelayAdapterEnqueueNeedsFromToBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	a := relayAdapter{rl: rl}
	_, err := a.Enqueue(ctx, web.EnqueueRequest{To: []string{"b@r.test"}, Subject: "hi", Text: "x"})
	if !errors.Is(err, web.ErrInvalid) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), web.ErrInvalid.Error()+": "), "from: ") ||
		!strings.Contains(err.Error(), "raw") {
		t.Errorf("Enqueue without from = %v, want an ErrInvalid that starts with from: and says how to send raw", err)
	}
	id, err := a.Enqueue(ctx, web.EnqueueRequest{To: []string{"b@r.test"},
		Raw: "From: mailer-daemon@s.test\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\nSubject: x\r\n\r\nbody\r\n"})
	if err != nil {
		t.Fatalf("raw with the null reverse-path: %v", err)
	}
	if m, err := rl.Message(ctx, id); err != nil || m.Sender != "" {
		t.Errorf("raw message's sender = %q, %v; want the null reverse-path", m.Sender, err)
	}
}
