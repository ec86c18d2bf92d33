package sink

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// eightBitNote is the note on a message raw (as received) that has an
// octet above 127 its MAIL did not declare, "" when there is nothing to
// note. body is the MAIL's BODY=, and utf8Header says it declared
// SMTPUTF8.
//
// RFC 6152 3 lets a client send 8-bit data only after declaring
// BODY=8BITMIME; a receiver without 8BITMIME may mangle it. SMTPUTF8
// declares UTF-8 in the header fields (RFC 6531, with RFC 6532 3), so with
// it UTF-8 in the header is no 8-bit data to note, but the body still
// needs BODY=8BITMIME, and the header may hold UTF-8, not other 8-bit
// octets (RFC 6532 3.1). The note names the line of the first octet it
// is about and whether it is in the header or the body.
func eightBitNote(raw []byte, body smtp.BodyType, utf8Header bool) string {
	if body == smtp.Body8BitMIME || body == smtp.BodyBinaryMIME {
		// BODY= declares the body; 8-bit octets in the header fields are
		// declared by SMTPUTF8 alone (RFC 6532 3), as UTF-8.
		if utf8Header {
			return ""
		}
		if i := firstEightBit(raw[:headerEnd(raw)]); i >= 0 {
			return fmt.Sprintf("8-bit data in the header without SMTPUTF8: the message has an octet above 127 on line %d, in its header, and its MAIL FROM declared BODY=%s, which covers the body only; header fields may hold UTF-8 only under SMTPUTF8 (RFC 6532 3), else RFC 2047 encoded-words",
				lineOf(raw, i), body)
		}
		return ""
	}
	i := firstEightBit(raw)
	if i < 0 {
		return ""
	}
	hdrEnd := headerEnd(raw)
	if utf8Header && i < hdrEnd {
		if bad := textsafe.FirstNonUTF8(raw[i:hdrEnd]); bad >= 0 {
			return fmt.Sprintf("8-bit data that is not UTF-8 in the header: the message has an octet above 127 on line %d that is not UTF-8; its MAIL FROM declared SMTPUTF8, which lets header fields hold UTF-8 only (RFC 6532 3.1)",
				lineOf(raw, i+bad))
		}
		j := firstEightBit(raw[hdrEnd:])
		if j < 0 {
			return "" // UTF-8 in the header, as SMTPUTF8 declared
		}
		i = hdrEnd + j
	}
	where, also := "body", ""
	if i < hdrEnd {
		where = "header"
	}
	if utf8Header {
		also = " (its SMTPUTF8 covers UTF-8 in the header, not the body: RFC 6531)"
	}
	declared := "did not declare BODY=8BITMIME"
	if body != "" {
		declared = "declared BODY=" + string(body) + ", not BODY=8BITMIME"
	}
	return fmt.Sprintf("8-bit data without BODY=8BITMIME: the message has an octet above 127 on line %d (in its %s), and its MAIL FROM %s%s; RFC 6152 3 lets a client send 8-bit data only after declaring it",
		lineOf(raw, i), where, declared, also)
}

// lineOf is the line number, from 1, of offset i of raw.
func lineOf(raw []byte, i int) int { return bytes.Count(raw[:i], []byte("\n")) + 1 }

// firstEightBit is the index of the first octet of b above 127, or -1;
// eight at a time, as it reads every message.
func firstEightBit(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// headerEnd is the offset where the body of message raw starts: after
// its first empty line (RFC 5322 2.1), CRLF or bare LF; len(raw) when it
// has none and is all header.
func headerEnd(raw []byte) int {
	for off := 0; off < len(raw); {
		end := bytes.IndexByte(raw[off:], '\n')
		if end < 0 {
			break
		}
		if line := raw[off : off+end]; len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return off + end + 1
		}
		off += end + 1
	}
	return len(raw)
}
