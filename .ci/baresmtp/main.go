// Command baresmtp is go-smtp with nothing behind it: it accepts every
// command and discards every message, with no transcript, no rules and no
// store. `.ci/bench ceiling` measures it beside smtp-sink and Mailpit to
// show how fast a sink built on go-smtp could be at most on this machine.
// It lives under .ci/, so `go test ./...` and `go vet ./...` leave it out.
package main

import (
	"flag"
	"io"
	"log"
	"net"

	"github.com/emersion/go-smtp"
)

type backend struct{}

func (backend) NewSession(*smtp.Conn) (smtp.Session, error) { return session{}, nil }

type session struct{}

func (session) Mail(string, *smtp.MailOptions) error { return nil }
func (session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (session) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (session) Reset()        {}
func (session) Logout() error { return nil }

func main() {
	addr := flag.String("listen", "127.0.0.1:42610", "host:port")
	flag.Parse()
	srv := smtp.NewServer(backend{})
	srv.Domain = "baresmtp.test"
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(ln))
}
