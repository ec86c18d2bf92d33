// Package smtpdata finds the end of an SMTP DATA message (RFC 5321
// 4.1.1.4: CRLF "." CRLF) in the client's bytes exactly as
// github.com/emersion/go-smtp's data reader finds it, byte by byte. A
// layer in front of go-smtp that looks for the end itself, to tell the
// message from the commands after it, must never disagree with the reader
// that stores the message: where it did, a "\r\r\n." that go-smtp reads
// as data was taken for the end, and a command such as STARTTLS in the
// rest of the message was answered by the layer.
package smtpdata

// state is where the scan is, as go-smtp's dataReader names its states.
type state uint8

const (
	beginLine state = iota // at the start of a line: the initial state
	dot                    // "." at the start of a line
	dotCR                  // ".\r" at the start of a line
	cr                     // "\r", perhaps at the end of a line
	data                   // in the middle of a line
	ended                  // after the ".\r\n" line that ends the message
)

// Scanner follows one message. Its zero value is at the start of a
// message, as after the 354 to DATA.
type Scanner struct{ s state }

// step moves the scan over one byte, as go-smtp's reader does: a CR
// starts a line end only from the start or the middle of a line, so that
// "\r\r\n" ends no line, and only ".\r\n" at the start of a line ends the
// message.
func (sc *Scanner) step(c byte) {
	switch sc.s {
	case beginLine:
		switch c {
		case '.':
			sc.s = dot
		case '\r':
			sc.s = cr
		default:
			sc.s = data
		}
	case dot:
		if c == '\r' {
			sc.s = dotCR
		} else {
			sc.s = data
		}
	case dotCR:
		if c == '\n' {
			sc.s = ended
		} else {
			sc.s = data
		}
	case cr:
		if c == '\n' {
			sc.s = beginLine
		} else {
			sc.s = data
		}
	case data:
		if c == '\r' {
			sc.s = cr
		}
	}
}

// Scan moves the scan over b and returns how many of its bytes belong to
// the message, and whether they end it: then n counts through the ".\r\n"
// that ends it, and the bytes after it are not the message's. A Scanner
// that has ended takes no more bytes.
func (sc *Scanner) Scan(b []byte) (n int, end bool) {
	for n < len(b) && sc.s != ended {
		sc.step(b[n])
		n++
	}
	return n, sc.s == ended
}

// Ended reports whether the scan has seen the message's end.
func (sc *Scanner) Ended() bool { return sc.s == ended }
