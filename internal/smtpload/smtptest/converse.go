package smtptest

import (
	"bufio"
	"net"
	"strings"
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
