package dsn

import (
	"strings"
	"testing"
)

// TestDecodeTransfer: the one decoder of transfer encodings, for a DSN's
// parts and the web UI's message bodies.
func TestDecodeTransfer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cte, in, want string
	}{
		{"base64 over lines", "base64", "PGI+\r\nYm9sZDwvYj4=\r\n", "<b>bold</b>"},
		{"base64, any case and spaces", " BASE64 ", "Y2Fmw6kgdGV4\r\ndA==\r\n", "café text"},
		{"base64 ignores what is outside its alphabet (RFC 2045 6.8)", "base64", "PGI+\fYm9s\u00a0ZDwv!Yj4=", "<b>bold</b>"},
		{"not base64 after all", "base64", "abcde\r\n", "abcde\r\n"},
		{"quoted-printable", "Quoted-Printable", "soft=\r\nbreak =3D done\r\n", "softbreak = done\r\n"},
		{"quoted-printable that does not decode", "quoted-printable", "bad =ZZ escape", "bad =ZZ escape"},
		{"7bit", "7bit", "PGI+", "PGI+"},
		{"none", "", "plain =3D text", "plain =3D text"},
	} {
		if got := string(DecodeTransfer(tc.cte, []byte(tc.in))); got != tc.want {
			t.Errorf("%s: DecodeTransfer(%q, %q) = %q, want %q", tc.name, tc.cte, tc.in, got, tc.want)
		}
	}
}

// TestParseBase64OutsideAlphabet: a base64 delivery-status part with
// characters outside the alphabet between its lines is read, as RFC 2045
// 6.8 says (ignore them), instead of kept encoded and refused as a DSN
// without a status.
func TestParseBase64OutsideAlphabet(t *testing.T) {
	t.Parallel()
	status := "UmVwb3J0aW5nLU1UQTogZG5zOyBnYXRld2F5LnRlc3QKCkZpbmFs\f\r\n" +
		"LVJlY2lwaWVudDogcmZjODIyOyBnb25lQHJlY2VpdmVyLnRlc3QK\f\r\n" +
		"QWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjEuMQo=\r\n"
	raw := strings.Join([]string{
		"From: postmaster@gateway.test",
		"To: sender@sender.test",
		"Subject: Undelivered",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b"`,
		"",
		"--b",
		"Content-Type: text/plain",
		"",
		"The message could not be delivered.",
		"--b",
		"Content-Type: message/delivery-status",
		"Content-Transfer-Encoding: base64",
		"",
		status + "--b--",
		"",
	}, "\r\n")
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Report.Recipients) != 1 || p.Report.Recipients[0].FinalRecipient != "gone@receiver.test" || p.Report.Recipients[0].Status != "5.1.1" {
		t.Errorf("recipients %+v, want gone@receiver.test failed with 5.1.1", p.Report.Recipients)
	}
}
