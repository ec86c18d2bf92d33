package sink

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// A MAIL that declared SMTPUTF8 may carry UTF-8 in the header fields
// (RFC 6531, RFC 6532 3): that alone is no 8-bit data to note. 8-bit
// octets in the body still want BODY=8BITMIME (RFC 6152 3), and octets
// in the header that are not UTF-8 are noted as such.
func TestEightBitNoteSMTPUTF8(t *testing.T) {
	t.Parallel()
	const (
		utf8Header = "From: a@x.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nHello.\r\n"
		utf8Both   = "From: a@x.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nHello.\r\nGr\xc3\xbc\xc3\x9fe.\r\n"
		latin1Hdr  = "From: a@x.test\r\nSubject: Gr\xfc\xdfe\r\n\r\nHello.\r\n"
		bareLF     = "From: a@x.test\nSubject: \xc3\xbc\n\nHi \xc3\xbc\n"
		allHeader  = "From: a@x.test\r\nSubject: \xc3\xbc\r\n"
	)
	tests := []struct {
		name string
		raw  string
		body smtp.BodyType
		utf8 bool
		want []string // what the note says; nil: no note
	}{
		{"UTF-8 header with SMTPUTF8", utf8Header, "", true, nil},
		{"UTF-8 header with SMTPUTF8 and BODY=7BIT", utf8Header, smtp.Body7Bit, true, nil},
		{"UTF-8 header, no header end", allHeader, "", true, nil},
		{"UTF-8 header without SMTPUTF8", utf8Header, "", false, []string{"line 2 (in its header)", "did not declare BODY=8BITMIME"}},
		{"8-bit body with SMTPUTF8", utf8Both, "", true, []string{"line 5 (in its body)", "did not declare BODY=8BITMIME", "SMTPUTF8 covers UTF-8 in the header, not the body", "RFC 6152 3"}},
		{"8-bit body with SMTPUTF8, bare LF", bareLF, "", true, []string{"line 4 (in its body)"}},
		{"8-bit body with SMTPUTF8 and BODY=8BITMIME", utf8Both, smtp.Body8BitMIME, true, nil},
		{"Latin-1 header with SMTPUTF8", latin1Hdr, "", true, []string{"not UTF-8 in the header", "line 2", "declared SMTPUTF8", "RFC 6532"}},
	}
	for _, tc := range tests {
		got := eightBitNote([]byte(tc.raw), tc.body, tc.utf8)
		switch {
		case tc.want == nil && got != "":
			t.Errorf("%s: note %q, want none: SMTPUTF8 declares UTF-8 in the header fields", tc.name, got)
		case tc.want != nil && got == "":
			t.Errorf("%s: no note, want one saying %q", tc.name, tc.want)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: note %q, want it to say %q", tc.name, got, w)
			}
		}
	}
}

// Over the wire: a MAIL FROM with SMTPUTF8 and a UTF-8 Subject gets no
// note in the record or the transcript.
func TestSMTPUTF8HeaderNotNoted(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test> SMTPUTF8")
	c.expect(250, "", "RCPT TO:<m@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body("From: a@x.test\r\nTo: m@sink.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nHello.\r\n"); code != 250 {
		t.Fatalf("the message: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	ctx := context.Background()
	m, err := MessageByID(ctx, st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := SessionByID(ctx, st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Notes) > 0 || strings.Contains(ss.Transcript, "8-bit") {
		t.Errorf("a UTF-8 Subject under SMTPUTF8: notes %q, transcript:\n%s\nwant no note on 8-bit data: SMTPUTF8 declares UTF-8 header fields (RFC 6531, RFC 6532)", m.Notes, ss.Transcript)
	}
}
