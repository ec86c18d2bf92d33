// Package saslogin is the server side of the SASL LOGIN mechanism
// (draft-murchison-sasl-login), which go-sasl offers only as a client: the
// sink and the relay's submission listener both accept it.
package saslogin

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// NewServer returns a LOGIN server that asks for the user name, then the
// password, and passes both to check.
func NewServer(check func(user, pass string) error) sasl.Server {
	return &server{check: check}
}

type server struct {
	check func(user, pass string) error
	user  string
	step  int
}

var _ sasl.Server = (*server)(nil)

func (l *server) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if len(resp) > 0 { // an initial response carries the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("unexpected AUTH LOGIN step")
}
