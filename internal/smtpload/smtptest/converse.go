package smtptest

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// Converse plays a scripted SMTP server on conn, for replies that no real
// server would give: it sends greeting, then answers each command line
// with answer(line), which may hold several lines joined by CRLF. QUIT
// gets "221 bye" and ends the conversation.
// After a 354 the message's lines are read up to the final dot, which is
// answered "250 ok". It returns when the client closes or a write fails.
func Converse(conn net.Conn, greeting string, answer func(cmd string) string) {
	r := bufio.NewReader(conn)
	if _, err := conn.Write([]byte(greeting + "\r\n")); err != nil {
		return
	}
	inData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		var reply string
		switch {
		case inData && line == ".":
			inData, reply = false, "250 ok"
		case inData:
			continue
		case strings.EqualFold(line, "QUIT"):
			reply = "221 bye"
		default:
			reply = answer(line)
			inData = strings.HasPrefix(reply, "354")
		}
		if _, err := conn.Write([]byte(reply + "\r\n")); err != nil {
			return
		}
		if strings.EqualFold(line, "QUIT") {
			return
		}
	}
}

// Script plays a scripted SMTP server on conn that can also hang up or
// stay silent: it sends greeting, answers EHLO with ehlo, QUIT with "221
// bye" (and hangs up), and every other command line, the final dot of a
// message too (as "."), with answer; the message's other lines are read
// and dropped. When answer says hangup, the connection ends after its
// reply; a reply of "" sends nothing (the client waits for its timeout,
// or, with hangup, sees the connection end without a reply).
// Each command is given to seen first, when seen is not nil. It returns
// when either side ends the connection.
func Script(conn net.Conn, greeting, ehlo string, answer func(cmd string) (reply string, hangup bool), seen func(cmd string)) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	if _, err := conn.Write([]byte(greeting + "\r\n")); err != nil {
		return
	}
	inData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if inData && line != "." {
			continue
		}
		if seen != nil {
			seen(line)
		}
		reply, hangup := "", false
		switch {
		case strings.HasPrefix(line, "EHLO"):
			reply = ehlo
		case line == "QUIT":
			reply, hangup = "221 bye", true
		default:
			reply, hangup = answer(line)
		}
		inData = !inData && line == "DATA" && strings.HasPrefix(reply, "354")
		if reply == "" {
			if hangup {
				return // no reply at all, and the connection ends
			}
			continue
		}
		if _, err := conn.Write([]byte(reply + "\r\n")); err != nil || hangup {
			return
		}
	}
}

// Listen serves every connection to a new loopback port with serve (each
// in its own goroutine) until the test ends, and returns the address.
func Listen(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}
