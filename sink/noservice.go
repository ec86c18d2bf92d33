package sink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A greeting that refuses the connection (a connect rule's reply other
// than 220) is answered here, without go-smtp, which would greet with 220.
//
// RFC 5321 3.1: after a 554 greeting the server MUST wait for QUIT (221)
// and answer every other command with 503 rather than close; a client
// that hears the 554 and says QUIT would otherwise read no reply at all.
// The sink does so for every 5xx greeting but 521. RFC 5321 3.8: after a
// 421 the server closes, as after any other 4xx greeting here. RFC 7504
// 3: a host that accepts no mail at all greets with 521 and may close the
// connection at once, which the sink does: a client then knows without a
// QUIT that there is nothing more to say.

// waitsForQuit reports whether a refusing greeting with code keeps the
// connection open until the client's QUIT.
func waitsForQuit(code int) bool { return code/100 == 5 && code != 521 }

// refusalWriteTimeout bounds each reply to a refused connection, and the
// TLS handshake of an implicit-TLS listener before the greeting: a client
// that never reads must not hold the connection. One that stays silent is
// let go after the listener's idle timeout, as go-smtp lets go of one in
// a session (none when limits.idle_timeout is 0).
const refusalWriteTimeout = 30 * time.Second

// refuse answers the connection with r instead of a greeting, then closes
// it, or waits for QUIT (waitsForQuit).
func (c *conn) refuse(r Reply) {
	defer c.Close()
	c.greeted = true
	if _, err := c.handshake(refusalWriteTimeout); err != nil {
		return
	}
	// Network deadlines are the wall clock's, as go-smtp's idle timeout.
	c.tcp.SetDeadline(time.Now().Add(refusalWriteTimeout))
	if err := c.send(StageConnect, r.wire()); err != nil || !waitsForQuit(r.Code) {
		return
	}
	stop := context.AfterFunc(c.sink.hardCtx, func() { c.closeSocket() })
	defer stop()
	c.notef('*', "the greeting refused the connection: every command but QUIT gets 503 (RFC 5321 3.1)")
	c.untilQuit()
}

// untilQuit reads the client's commands after a refusing greeting and
// answers each with 503, and QUIT with 221, after which it returns, as it
// does when the client goes or stays silent longer than the listener's
// idle timeout (which gets 421).
func (c *conn) untilQuit() {
	host := c.l.cfg.Hostname
	noService := Reply{Code: 503, Enhanced: "5.5.1", Text: "Bad sequence of commands: no SMTP service here, " + host + " refused this connection in its greeting; send QUIT (RFC 5321 3.1)"}
	idle := c.l.cfg.Limits.IdleTimeout.D()
	var from io.Reader = c.Conn
	if len(c.held) > 0 {
		// What a client sent before the greeting (pregreet): its
		// commands, answered as the others.
		from = io.MultiReader(bytes.NewReader(c.held), c.Conn)
		c.held = nil
	}
	br := bufio.NewReaderSize(from, 1024)
	for {
		var deadline time.Time // none
		if idle > 0 {
			deadline = time.Now().Add(idle)
		}
		c.tcp.SetReadDeadline(deadline)
		line, err := readRefusedLine(br)
		c.checkTLS()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !c.netClosed {
				c.notef('*', "no command for "+idle.String()+" (limits.idle_timeout): closing")
				c.tcp.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
				c.send("other", Reply{Code: 421, Enhanced: "4.4.2", Text: host + " closing: idle for " + idle.String() + " after refusing the connection (RFC 5321 4.5.3.2)"}.wire())
			}
			return
		}
		verb, rest, _ := strings.Cut(string(line), " ")
		verb = strings.ToUpper(verb)
		stage := verbStage(verb)
		if verb == "AUTH" {
			if mech, _, ok := strings.Cut(rest, " "); ok {
				line = []byte("AUTH " + mech + " [credentials]")
			}
		}
		c.note('C', line)
		c.tcp.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
		if verb == "QUIT" {
			c.quit.Store(true)
			c.send(stage, Reply{Code: 221, Enhanced: "2.0.0", Text: host + " Service closing transmission channel"}.wire())
			return
		}
		if verb == "BDAT" {
			// RFC 3030 2: the chunk follows the command unasked; it is
			// data, not commands to answer.
			if f := strings.Fields(rest); len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && n > 0 {
					c.notef('C', "["+f[0]+" bytes of a BDAT chunk]")
					if _, err := io.CopyN(io.Discard, br, n); err != nil {
						return
					}
				}
			}
		}
		if err := c.send(stage, noService.wire()); err != nil {
			return
		}
	}
}

// readRefusedLine returns the next line without its end, at most 1024
// octets of it (the rest is read and dropped: the transcript keeps no
// more of a line either).
func readRefusedLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(line) < 1024 {
			line = append(line, part[:min(len(part), 1024-len(line))]...)
		}
		switch {
		case err == nil:
			return bytes.TrimRight(line, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, err
		}
	}
}
