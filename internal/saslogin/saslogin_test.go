package saslogin

import (
	"errors"
	"testing"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	bad := errors.New("bad password")
	check := func(user, pass string) error {
		if user == "alice" && pass == "s3cret" {
			return nil
		}
		return bad
	}
	for _, tc := range []struct {
		name  string
		steps [][]byte
		err   error
	}{
		{"prompted", [][]byte{nil, []byte("alice"), []byte("s3cret")}, nil},
		{"initial response", [][]byte{[]byte("alice"), []byte("s3cret")}, nil},
		{"wrong password", [][]byte{nil, []byte("alice"), []byte("nope")}, bad},
	} {
		s := NewServer(check)
		var done bool
		var err error
		var prompts []string
		for _, r := range tc.steps {
			var ch []byte
			ch, done, err = s.Next(r)
			if ch != nil {
				prompts = append(prompts, string(ch))
			}
		}
		if !done || !errors.Is(err, tc.err) {
			t.Errorf("%s: done=%v err=%v, want done with %v", tc.name, done, err, tc.err)
		}
		if prompts[len(prompts)-1] != "Password:" {
			t.Errorf("%s: prompts %q", tc.name, prompts)
		}
		if _, _, err := s.Next(nil); err == nil {
			t.Errorf("%s: a step after the last one was accepted", tc.name)
		}
	}
}
