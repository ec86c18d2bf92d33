package smtpdata

import "testing"

// The cases follow go-smtp v0.25's dataReader, which differs from
// net/textproto's: a CR after a CR is data there, so "\r\r\n" ends no line.
func TestScan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		end  bool
		what string
	}{
		{".\r\n", 3, true, "an empty message"},
		{"a\r\n.\r\nQUIT\r\n", 6, true, "the end, then a command"},
		{"a\r\r\n.\r\nb\r\n", 10, false, "CR CR LF ends no line: the dot line is data"},
		{"a\r\r\n\r\n.\r\n", 9, true, "a CRLF after it does end the line"},
		{".\r\r\n.\r\n", 7, false, "dot CR CR LF: a stuffed dot, then data"},
		{"..\r\n.\r\n", 7, true, "a stuffed dot line, then the end"},
		{"a\n.\r\n", 5, false, "a bare LF ends no line"},
		{"a\r\n.\n", 5, false, "dot LF is data"},
		{"a\r\n. \r\n", 7, false, "dot space CRLF is data"},
		{"\r\n.\r\n", 5, true, "an empty line, then the end"},
		{"\r.\r\n", 4, false, "CR dot: the dot is in a line"},
		{"a\r\n.\r", 5, false, "the end not yet whole"},
	} {
		var sc Scanner
		n, end := sc.Scan([]byte(tc.in))
		if n != tc.n || end != tc.end || sc.Ended() != end {
			t.Errorf("%s: Scan(%q) = %d, %v; want %d, %v", tc.what, tc.in, n, end, tc.n, tc.end)
		}
	}
}

// Scanning in pieces finds the end where scanning whole does, and a
// scanner that ended takes nothing more.
func TestScanInPieces(t *testing.T) {
	t.Parallel()
	msg := []byte("Subject: x\r\n\r\nab\r\r\n.\r\nc\r\n..\r\n.\r\nNOOP\r\n")
	var whole Scanner
	wn, _ := whole.Scan(msg)
	for cut := 0; cut <= len(msg); cut++ {
		var sc Scanner
		n1, end1 := sc.Scan(msg[:cut])
		n := n1
		if !end1 {
			n2, _ := sc.Scan(msg[cut:])
			n += n2
		}
		if n != wn || !sc.Ended() {
			t.Errorf("cut at %d: %d octets, ended %v; want %d, ended", cut, n, sc.Ended(), wn)
		}
		if m, _ := sc.Scan([]byte("more")); m != 0 {
			t.Errorf("cut at %d: an ended scanner took %d more octets", cut, m)
		}
	}
}
