package config

import (
	"testing"
)

// numbers has integer fields of every shape a configuration uses, and a
// few others, for TestDecodeTypeErrors.
type numbers struct {
	N  int            `yaml:"n"`
	P  *int           `yaml:"p,omitempty"`
	W  []int          `yaml:"w"`
	M  map[string]int `yaml:"m"`
	U  uint8          `yaml:"u"`
	I  int64          `yaml:"i64"`
	F  float64        `yaml:"f"`
	B  bool           `yaml:"b"`
	S  string         `yaml:"s"`
	L  []string       `yaml:"l"`
	D  Duration       `yaml:"d"`
	In struct {
		Cap int `yaml:"cap"`
	} `yaml:"in"`
	Rows []struct {
		Weight int `yaml:"weight"`
	} `yaml:"rows"`
	Embedded `yaml:",inline"`
}

type Embedded struct {
	Deep int `yaml:"deep"`
}

// TestDecodeTypeErrors: a value of the wrong type or size names the file,
// line and key and says what was wanted in words, never Go's type names;
// and a fraction for an integer is refused instead of cut to its whole
// part, however it is written or reached.
func TestDecodeTypeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want: the whole error
	}{
		{"n: two\n", `t.yaml:1:4: n: want a whole number, got "two"`},
		{"n: \"two\"\n", `t.yaml:1:4: n: want a whole number, got "two"`},
		{"n: 99999999999999999999\n", `t.yaml:1:4: n: want a whole number, got 99999999999999999999, which is too large (at most 9223372036854775807)`},
		{"n: -99999999999999999999\n", `t.yaml:1:4: n: want a whole number, got -99999999999999999999, which is too small (at least -9223372036854775808)`},
		{"u: 300\n", `t.yaml:1:4: u: want a whole number, got 300, which is too large (at most 255)`},
		{"n: .inf\n", `t.yaml:1:4: n: want a whole number, got .inf`},
		{"n: true\n", `t.yaml:1:4: n: want a whole number, got true`},
		{"n: [1]\n", `t.yaml:1:4: n: want a whole number, got a list`},
		{"n: 1.5\n", `t.yaml:1:4: n: want a whole number, got 1.5`},
		{"n: -0.5\n", `t.yaml:1:4: n: want a whole number, got -0.5`},
		{"n: \"1.5\"\n", `t.yaml:1:4: n: want a whole number, got 1.5`},
		{"p: 1.5\n", `t.yaml:1:4: p: want a whole number, got 1.5`},
		{"i64: 2.25\n", `t.yaml:1:6: i64: want a whole number, got 2.25`},
		{"w: [1, 2.5]\n", `t.yaml:1:8: w[1]: want a whole number, got 2.5`},
		{"w:\n  - x\n", `t.yaml:2:5: w[0]: want a whole number, got "x"`},
		{"m: {a: 1, b: 1.5}\n", `t.yaml:1:14: m.b: want a whole number, got 1.5`},
		{"in:\n  cap: 0.5\n", `t.yaml:2:8: in.cap: want a whole number, got 0.5`},
		{"rows:\n  - {weight: 1}\n  - {weight: 7.5}\n", `t.yaml:3:14: rows[1].weight: want a whole number, got 7.5`},
		{"deep: 1.5\n", `t.yaml:1:7: deep: want a whole number, got 1.5`},
		{"f: &x 1.5\nn: *x\n", `t.yaml:2:4: n: want a whole number, got 1.5 (written at line 1, in the anchor &x)`},
		{"n: !!float 1.5\n", `t.yaml:1:4: n: want a whole number, got 1.5`},
		{"f: many\n", `t.yaml:1:4: f: want a number, got "many"`},
		{"b: [x]\n", `t.yaml:1:4: b: want true or false, got a list`},
		{"s: [x]\n", `t.yaml:1:4: s: want a single value, got a list`},
	} {
		var v numbers
		err := Decode("t.yaml", []byte(tc.in), &v)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Decode(%q) = %v\nwant %s", tc.in, err, tc.want)
		}
	}
	for _, in := range []string{"n: 2.0\n", "n: 1e3\n", "n: 0x10\n", "n: 1_000\n", "n: -3\n", "f: 1.5\nw: [1, 2]\nm: {a: 2}\n", "d: 1.5d\n", "l: [1.5]\ns: \"2.5\"\n"} {
		var v numbers
		if err := Decode("t.yaml", []byte(in), &v); err != nil {
			t.Errorf("Decode(%q): %v", in, err)
		}
	}
}
