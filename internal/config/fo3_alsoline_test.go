package config

import (
	"fmt"
	"strings"
	"testing"
)

// fo3Listeners refuses two listeners of one name, as the sink does, at
// the second one's name with the first named too (ErrorfAlso).
type fo3Listeners struct {
	Base      any `yaml:"base"` // an anchor's place
	Listeners []struct {
		Port int    `yaml:"port"`
		Name string `yaml:"name"`
	} `yaml:"listeners"`
}

func (c *fo3Listeners) Validate(prefix string) error {
	if prefix != "" {
		prefix += "."
	}
	seen := map[string]int{}
	for i, l := range c.Listeners {
		if j, ok := seen[l.Name]; ok {
			first := fmt.Sprintf("%slisteners[%d]", prefix, j)
			return ErrorfAlso(fmt.Sprintf("%slisteners[%d].name", prefix, i), first, "listener %q is defined twice (%s has the name too): give each its own name", l.Name, first)
		}
		seen[l.Name] = i
	}
	return nil
}

// TestFO3DuplicateNamesBothLines: of two listeners of one name, the error
// is at the second's file, line and key, and says the line of the first
// too (it named the first's key alone, and in a long file the user had to
// count list items to find it); a key given through a merge is at the
// line of its alias, a message that does not name the other key gets its
// line at the end, and without a line the message is as it was.
func TestFO3DuplicateNamesBothLines(t *testing.T) {
	t.Parallel()
	three := "listeners:\n  - port: 25\n    name: mx\n  - name: mx2\n  - name: mx\n"
	for _, tc := range []struct {
		name, root, data string
		want             string
	}{
		{"top", "", three,
			`t.yaml:5:11: listeners[2].name: listener "mx" is defined twice (listeners[0] at line 2 has the name too): give each its own name`},
		{"under a root", "sink", three,
			`t.yaml:5:11: sink.listeners[2].name: listener "mx" is defined twice (sink.listeners[0] at line 2 has the name too): give each its own name`},
		{"first from an alias", "", "base: &b {name: mx}\nlisteners:\n  - *b\n  - name: mx\n",
			`t.yaml:4:11: listeners[1].name: listener "mx" is defined twice (listeners[0] at line 3 has the name too)`},
	} {
		var c fo3Listeners
		err := DecodeRoot("t.yaml", tc.root, []byte(tc.data), &c)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got\n%v\nwant\n%s", tc.name, err, tc.want)
		}
	}

	data := []byte(three)
	e := &FieldError{Key: "listeners[2].name", Also: "listeners[0]", Msg: "a second of one name"}
	if got, want := Locate("t.yaml", data, e).Error(), "t.yaml:5:11: listeners[2].name: a second of one name (listeners[0] is at line 2)"; got != want {
		t.Errorf("a message that does not name the other key:\n%s\nwant\n%s", got, want)
	}
	e = &FieldError{Key: "listeners[1].name", Also: "listeners[1]", Msg: "not listeners[10], nor listeners[1].name, but listeners[1]."}
	if got, want := Locate("t.yaml", data, e).Error(), "t.yaml:4:11: listeners[1].name: not listeners[10], nor listeners[1].name, but listeners[1] at line 4."; got != want {
		t.Errorf("the key's whole mention:\n%s\nwant\n%s", got, want)
	}
	e = &FieldError{Key: "listeners[1].name", Also: "other[0]", Msg: "other[0] has it too"}
	if got, want := Locate("t.yaml", data, e).Error(), "t.yaml:4:11: listeners[1].name: other[0] has it too"; got != want {
		t.Errorf("another key the file does not have:\n%s\nwant\n%s", got, want)
	}
	if got, want := ErrorfAlso("listeners[1].name", "listeners[0]", "as %s", "listeners[0]").Error(), "listeners[1].name: as listeners[0]"; got != want {
		t.Errorf("unlocated: %s, want %s", got, want)
	}
}
