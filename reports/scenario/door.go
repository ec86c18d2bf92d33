package scenario

import (
	"fmt"
	"io"
	"net"
	"sync"
)

// bounceDoor is the relay's address as the sink knows it. The sink must be
// configured with it before the relay can start (the relay needs the sink's
// addresses first), so the runner binds it at once and keeps it bound for
// the whole replay, passing each connection on to the relay's own
// submission listener, which the relay binds itself on 127.0.0.1:0. A port
// picked free and released for the relay to bind later could be taken in
// between by anything else on the machine (CI runs many suites at once).
type bounceDoor struct {
	ln net.Listener
	wg sync.WaitGroup
}

func openBounceDoor() (*bounceDoor, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenario: binding the address the sink sends asynchronous bounces to: %w", err)
	}
	return &bounceDoor{ln: ln}, nil
}

// addr is what the sink's bounce.relay is set to.
func (d *bounceDoor) addr() string { return d.ln.Addr().String() }

// serve passes every connection on to the relay at to, until close.
func (d *bounceDoor) serve(to string) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			c, err := d.ln.Accept()
			if err != nil {
				return // closed
			}
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				pass(c, to)
			}()
		}
	}()
}

// pass copies c to a new connection to the relay and back, until both
// sides are done. When the relay cannot be reached, c is closed, which the
// sink records as the bounce's failure, as it would a refused connection.
func pass(c net.Conn, to string) {
	defer c.Close()
	up, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, c)
		closeWrite(up)
	}()
	io.Copy(c, up)
	closeWrite(c)
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

// close stops accepting and waits for the connections passed on to end;
// call it after the relay and the sink are shut down, which ends them.
func (d *bounceDoor) close() {
	d.ln.Close()
	d.wg.Wait()
}
