package relay

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
)

// Tests that the wireConn's view of a session agrees with go-smtp's, and
// that its replies say what go-smtp did.

// wireRelay starts a relay whose submission listener lets loopback submit
// without AUTH; setup may change its configuration.
func wireRelay(t *testing.T, setup func(*Config)) *harness {
	t.Helper()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	if setup != nil {
		setup(&cfg)
	}
	return newHarness(t, cfg, Options{})
}

// wireDial opens a submission connection and reads the greeting.
func wireDial(t *testing.T, h *harness) (*rawClient, net.Conn) {
	t.Helper()
	raw, err := net.Dial("tcp", h.r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return dialRaw(t, raw), raw
}

// want checks that a reply's first line begins with prefix.
func (rc *rawClient) want(what string, got []string, prefix string) {
	rc.t.Helper()
	if !strings.HasPrefix(got[0], prefix) {
		rc.t.Fatalf("%s: reply %q, want %q", what, got, prefix+"...")
	}
}

// upgrade sends STARTTLS and runs the client's TLS handshake over raw.
func (rc *rawClient) upgrade(raw net.Conn) {
	rc.t.Helper()
	rc.want("STARTTLS", rc.cmd("STARTTLS"), "220 ")
	tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		rc.t.Fatalf("TLS handshake after 220: %v", err)
	}
	rc.c, rc.br = tc, bufio.NewReader(tc)
}

type queuedMsg struct{ id, data, to string }

// queued lists the messages in the relay's queue, with their recipients.
func queued(t *testing.T, h *harness) []queuedMsg {
	t.Helper()
	rows, err := h.store.DB().Query(`SELECT m.id, m.data, (SELECT group_concat(address) FROM relay_recipients r WHERE r.message_id = m.id)
		FROM relay_messages m ORDER BY m.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []queuedMsg
	for rows.Next() {
		var m queuedMsg
		var d []byte
		if err := rows.Scan(&m.id, &d, &m.to); err != nil {
			t.Fatal(err)
		}
		m.data = string(d)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// goSMTPDataEnd is where go-smtp's (v0.25.1) data reader ends a DATA
// message in b (the index after the ending LF), or -1: its state machine
// written as a table. Its states: 0 start of a line, 1 "." at the start,
// 2 ".\r" at the start, 3 "\r", 4 inside a line. A byte not in a state's
// row leads to 4, except in state 4 itself, where only "\r" leaves it.
func goSMTPDataEnd(b []byte) int {
	const end = -1
	table := map[int]map[byte]int{
		0: {'.': 1, '\r': 3},
		1: {'\r': 2},
		2: {'\n': end},
		3: {'\n': 0},
		4: {'\r': 3},
	}
	st := 0
	for i, c := range b {
		next, ok := table[st][c]
		switch {
		case !ok:
			st = 4
		case next == end:
			return i + 1
		default:
			st = next
		}
	}
	return -1
}

// wireDataEnd is where the wireConn's matcher ends a DATA message in b,
// fed byte by byte through messageCut and messageSeen as Read does, or -1.
func wireDataEnd(b []byte) int {
	w := &wireConn{inData: true}
	for i := range b {
		if w.messageCut(b[i:i+1]) != 1 {
			panic("messageCut held back a byte of the message")
		}
		w.messageSeen(b[i : i+1])
		if !w.inData {
			return i + 1
		}
	}
	return -1
}

// The wireConn must end a DATA message exactly where go-smtp does, or
// message lines are taken for commands: with its matcher taking "\r" for the
// start of a line end in any state, "\r\r\n.\r\n" ended the message for
// the wireConn and not for go-smtp. Every string of up to 9 bytes of ".",
// CR, LF and "a", and each also read whole through messageCut.
func TestDataEndMatchesGoSMTP(t *testing.T) {
	t.Parallel()
	alphabet := []byte{'.', '\r', '\n', 'a'}
	checked, bad := 0, 0
	var walk func(b []byte)
	walk = func(b []byte) {
		checked++
		g, w := goSMTPDataEnd(b), wireDataEnd(b)
		whole := &wireConn{inData: true}
		cut := whole.messageCut(b)
		if g == -1 && cut != len(b) || g != -1 && cut != g {
			bad++
			if bad <= 5 {
				t.Errorf("%q read whole: the wireConn passes on %d bytes as the message, go-smtp reads %d (-1: the message goes on)", b, cut, g)
			}
		}
		if g != w {
			bad++
			if bad <= 5 {
				t.Errorf("%q byte by byte: the wireConn ends the message after byte %d, go-smtp after byte %d (-1: not ended)", b, w, g)
			}
			return
		}
		if g != -1 || len(b) == 9 {
			return
		}
		for _, c := range alphabet {
			walk(append(b[:len(b):len(b)], c))
		}
	}
	walk(nil)
	if bad > 0 {
		t.Errorf("%d of %d strings disagree", bad, checked)
	}
	if checked < 100000 {
		t.Errorf("only %d strings checked", checked)
	}
}

// A message line after "line\r\r\n.\r\n" is still message to go-smtp. The
// wireConn took it for a command: it answered a STARTTLS in the body with
// 220 and went into a TLS handshake while go-smtp read the message.
func TestDataEndAfterCRCRLF(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, nil)
	rc, _ := wireDial(t, h)
	rc.cmd("EHLO client.test")
	rc.want("MAIL", rc.cmd("MAIL FROM:<a@x.test>"), "250 ")
	rc.want("RCPT", rc.cmd("RCPT TO:<b@y.test>"), "250 ")
	rc.want("DATA", rc.cmd("DATA"), "354 ")
	rc.send("Subject: x\r\n\r\nline with a CR\r\r\n.\r\nSTARTTLS\r\nmore\r\n.\r\nNOOP\r\n")
	got := rc.reply()
	if strings.HasPrefix(got[0], "220") {
		t.Fatalf("reply %q to a STARTTLS line inside a DATA message (after \"\\r\\r\\n.\\r\\n\", which go-smtp does not take for the end): want the message's 250 at its real end", got)
	}
	rc.want("end of the message", got, "250 2.0.0 OK: queued as ")
	id := got[0][len("250 2.0.0 OK: queued as "):]
	rc.want("NOOP after the message", rc.reply(), "250 2.0.0 I have successfully done nothing")
	msgs := queued(t, h)
	if len(msgs) != 1 || msgs[0].id != id {
		t.Fatalf("queue %+v, want the one message %s", msgs, id)
	}
	if !strings.HasSuffix(msgs[0].data, "line with a CR\r\r\n.\r\nSTARTTLS\r\nmore\r\n") {
		t.Errorf("message body %q, want it to end with the lines after \"\\r\\r\\n.\\r\\n\" as sent", msgs[0].data)
	}
}

// A man in the middle, in the clear before STARTTLS, opens a DATA to a
// recipient of its own and sends "\r\r\n.\r\n", then lets the victim's
// STARTTLS through. The wireConn answered it with 220 while go-smtp was
// still reading the attacker's message: the victim's session under TLS
// (its AUTH PLAIN, its message) became the body of that message, queued to
// the attacker, and the injected RSET's swallowed reply hid the 250. Now
// the STARTTLS is a line of the attacker's message, and no 220 comes.
func TestSTARTTLSInsideDataMITM(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, nil)
	rc, _ := wireDial(t, h)
	rc.send("EHLO victim.example\r\nMAIL FROM:<x@evil.test>\r\nRCPT TO:<loot@evil.test>\r\nDATA\r\n" +
		"Subject: loot\r\n\r\n\r\r\n.\r\nSTARTTLS\r\n.\r\n")
	for _, w := range []string{"250-", "250 ", "250 ", "354 "} {
		rc.want("the attacker's transaction", rc.reply(), w)
	}
	got := rc.reply()
	if strings.HasPrefix(got[0], "220") {
		t.Fatalf("reply %q to the victim's STARTTLS inside the attacker's DATA message: a TLS session now would be read as the body of a message to loot@evil.test", got)
	}
	rc.want("the end of the attacker's message", got, "250 2.0.0 OK: queued as ")
	msgs := queued(t, h)
	if len(msgs) != 1 || msgs[0].to != "loot@evil.test" || !strings.HasSuffix(msgs[0].data, "\r\r\n.\r\nSTARTTLS\r\n") {
		t.Errorf("queue %+v, want one message to loot@evil.test ending with its STARTTLS line", msgs)
	}
}

// A client that closes in the middle of a BDAT LAST chunk sent no
// message: go-smtp took the EOF for the chunk's end, queued what came and
// answered 250.
func TestBDATLastCutByClose(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, nil)
	rc, raw := wireDial(t, h)
	rc.cmd("EHLO client.test")
	rc.want("MAIL", rc.cmd("MAIL FROM:<a@x.test>"), "250 ")
	rc.want("RCPT", rc.cmd("RCPT TO:<b@y.test>"), "250 ")
	rc.send("BDAT 1000 LAST\r\nSubject: half\r\n\r\nonly part of it")
	if err := raw.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got := rc.reply()
	if !strings.HasPrefix(got[0], "5") && !strings.HasPrefix(got[0], "4") {
		t.Errorf("reply %q to a BDAT 1000 LAST chunk cut off after 44 octets by the client's close, want an error", got)
	}
	if _, err := io.ReadAll(rc.br); err != nil {
		t.Logf("after the reply: %v", err)
	}
	for _, m := range queued(t, h) {
		t.Errorf("queued %s, %d octets, from a chunk cut short: %q", m.id, len(m.data), m.data)
	}
}

// After STARTTLS an EHLO that go-smtp refuses leaves its name from before
// TLS, so MAIL and AUTH still wait for one it takes (RFC 3207 4.2); the
// Received field names the client by the EHLO under TLS.
func TestRefusedEHLOAfterSTARTTLS(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, nil)
	rc, raw := wireDial(t, h)
	rc.cmd("EHLO before-tls.example")
	rc.upgrade(raw)
	rc.want("EHLO without a domain", rc.cmd("EHLO"), "501 ")
	if got := rc.cmd("MAIL FROM:<a@x.test>"); !strings.HasPrefix(got[0], "503 5.5.1 ") {
		t.Errorf("MAIL after a refused EHLO under TLS: reply %q, want 503 5.5.1 (RFC 3207 4.2)", got)
		// Where it leads: a message taken under TLS whose Received field
		// names the client by its EHLO in the clear.
		rc.cmd("RCPT TO:<b@y.test>")
		rc.cmd("DATA")
		rc.cmd("Subject: x\r\n\r\nx\r\n.")
		for _, m := range queued(t, h) {
			if i := strings.Index(m.data, "\r\n"); i > 0 && strings.Contains(m.data[:i], "before-tls") {
				t.Errorf("queued %s under TLS with %q: the name from the EHLO in the clear", m.id, m.data[:i])
			}
		}
		return
	}
	rc.want("HELO without a domain", rc.cmd("HELO"), "501 ")
	rc.want("AUTH after a refused HELO under TLS", rc.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret"))), "503 5.5.1 ")
	rc.want("EHLO under TLS", rc.cmd("EHLO after-tls.example"), "250-")
	rc.want("MAIL", rc.cmd("MAIL FROM:<a@x.test>"), "250 ")
	rc.want("RCPT", rc.cmd("RCPT TO:<b@y.test>"), "250 ")
	rc.want("DATA", rc.cmd("DATA"), "354 ")
	rc.want("end of data", rc.cmd("Subject: x\r\n\r\nx\r\n."), "250 2.0.0 OK: queued as ")
	msgs := queued(t, h)
	if len(msgs) != 1 {
		t.Fatalf("queue %+v, want one message", msgs)
	}
	if !strings.HasPrefix(msgs[0].data, "Received: from after-tls.example ") || strings.Contains(msgs[0].data, "before-tls") {
		t.Errorf("message %q, want a Received field from after-tls.example, the name under TLS", msgs[0].data[:min(len(msgs[0].data), 200)])
	}
}

// STARTTLS is refused while a BDAT transfer is open, and only then: the
// wireConn took any BDAT that was not LAST for an open transfer, even one
// go-smtp refused or ended with 552, and only RSET and LAST closed it.
func TestBDATOpenFollowsGoSMTP(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, func(c *Config) { c.MaxMessageBytes = 100 })
	chunk := "BDAT 60\r\n" + strings.Repeat("z", 60)

	t.Run("refused without a transaction", func(t *testing.T) {
		rc, _ := wireDial(t, h)
		rc.cmd("EHLO client.test")
		rc.send("BDAT 3\r\nabc")
		rc.want("BDAT without MAIL", rc.reply(), "503 5.5.1 Bad sequence of commands: no recipient was accepted")
		rc.want("STARTTLS after a refused chunk", rc.cmd("STARTTLS"), "220 ")
	})
	t.Run("ended by 552", func(t *testing.T) {
		rc, _ := wireDial(t, h)
		rc.cmd("EHLO client.test")
		rc.cmd("MAIL FROM:<a@x.test>")
		rc.cmd("RCPT TO:<b@y.test>")
		rc.send(chunk)
		rc.want("first chunk", rc.reply(), "250 ")
		rc.want("STARTTLS in a transfer", rc.cmd("STARTTLS"), "503 5.5.1 ")
		rc.send(chunk)
		rc.want("a chunk over the size limit", rc.reply(), "552 5.3.4 ")
		rc.want("STARTTLS after go-smtp ended the transfer with 552", rc.cmd("STARTTLS"), "220 ")
	})
	t.Run("ended by EHLO", func(t *testing.T) {
		rc, _ := wireDial(t, h)
		rc.cmd("EHLO client.test")
		rc.cmd("MAIL FROM:<a@x.test>")
		rc.cmd("RCPT TO:<b@y.test>")
		rc.send("BDAT 3\r\nabc")
		rc.want("first chunk", rc.reply(), "250 ")
		rc.want("BDAT that go-smtp cannot read", rc.cmd("BDAT x"), "501 ")
		rc.want("STARTTLS in a transfer, after a 501 to BDAT", rc.cmd("STARTTLS"), "503 5.5.1 ")
		rc.want("EHLO without a domain", rc.cmd("EHLO"), "501 ")
		rc.want("STARTTLS in a transfer, after a refused EHLO", rc.cmd("STARTTLS"), "503 5.5.1 ")
		rc.want("EHLO", rc.cmd("EHLO client.test"), "250-")
		rc.want("STARTTLS after EHLO reset the transaction", rc.cmd("STARTTLS"), "220 ")
	})
}

// RFC 1870 3 and 6: SIZE is 1*20DIGIT, and a value over the limit gets
// 552 5.3.4. go-smtp answered "501 5.5.4 Unable to parse SIZE as an
// integer" from 2^32 on.
func TestSizeOver32Bits(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, nil)
	rc, _ := wireDial(t, h)
	rc.cmd("EHLO client.test")
	over := "552 5.3.4 Message size exceeds fixed maximum message size: MAIL FROM parameter SIZE="
	for _, c := range []struct{ params, want string }{
		{"SIZE=1000", "250 "},
		{"SIZE=4294967295", "552 5.3.4 "},
		{"SIZE=4294967296", over + "4294967296 is over this relay's limit of 26214400 octets"},
		{"SIZE=00000000004294967296", over + "00000000004294967296 "},
		{"size=99999999999999999999", over + "99999999999999999999 "},
		{"SIZE=999999999999999999999", "501 5.5.4 "}, // 21 digits: no size-value
		{"SIZE=12x", "501 5.5.4 "},
		{"SIZE=5000000000 SIZE=10", "250 "}, // go-smtp takes the last
		{"SIZE=10 SIZE=5000000000", over + "5000000000 "},
	} {
		got := rc.cmd("MAIL FROM:<a@x.test> " + c.params)
		if !strings.HasPrefix(got[0], c.want) {
			t.Errorf("MAIL FROM:<a@x.test> %s: reply %q, want %q...", c.params, got, c.want)
		}
		rc.cmd("RSET")
	}
	// go-smtp refuses one of the two, whichever its map gives first; each
	// gets the relay's wording.
	got := rc.cmd("MAIL FROM:<a@x.test> SIZE=5000000000 X-FOO=1")
	if !strings.HasPrefix(got[0], over+"5000000000 ") && !strings.HasPrefix(got[0], "555 5.5.4 MAIL FROM parameter X-FOO not recognized") {
		t.Errorf("MAIL with a SIZE over 32 bits and an unknown parameter: reply %q, want 552 about SIZE or 555 about X-FOO", got)
	}
}
