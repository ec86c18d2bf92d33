package web

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestSec25SlowClientsCut: a connection left idle after a request, and a
// request whose body comes too slowly, are closed by the server instead
// of being held for ever (slowloris).
func TestSec25SlowClientsCut(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Sink: newFakeSink()}, func(s *Server) {
		s.readTimeout, s.idleTimeout = 300*time.Millisecond, 300*time.Millisecond
	})
	// closed waits until the server closes c, reading and dropping what
	// it sends; false when it is still open after a time far past both
	// timeouts.
	closed := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.Copy(io.Discard, c)
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}

	idle, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("healthz: %d, close %v: want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	if !closed(idle) {
		t.Error("a kept-alive connection left idle is still open 5 s later")
	}

	slow, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "PUT /api/v1/sink/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
	go func() {
		// A byte now and then, each well within the old limits.
		for range 50 {
			if _, err := io.WriteString(slow, " "); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if !closed(slow) {
		t.Error("a request whose body comes a byte every 100 ms is still read 5 s later")
	}
}
