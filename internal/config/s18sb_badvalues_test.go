package config

import (
	"errors"
	"strings"
	"testing"
)

// keeper is numbers read by a BadValueKeeper: its bad values are set
// aside as it decodes, and its Validate reports them.
type keeper struct {
	Numbers `yaml:",inline"`
	bad     []error
}

// Numbers is numbers by an exported name, which the decoder fills inline.
type Numbers = numbers

func (k *keeper) UnmarshalYAML(decode func(any) error) error {
	type plain keeper
	v := plain(*k)
	bad := SetAsideBadValues(decode, &v)
	if err := decode(&v); err != nil {
		return err
	}
	v.bad = bad
	*k = keeper(v)
	return nil
}

func (*keeper) KeepsBadValues() {}

func (k *keeper) Validate(string) error { return errors.Join(k.bad...) }

// TestSetAsideBadValuesWording: a value set aside is refused in the words,
// and at the line, column and key, that Decode gives it when it stops at
// it: the wrong type, a number too large, a fraction (plain, quoted,
// through an alias, tagged), a list where a value goes, a value its own
// type refuses (a Duration), a string where a list or a mapping goes.
func TestSetAsideBadValuesWording(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"n: two\n", "n: \"two\"\n", "n: 99999999999999999999\n", "u: 300\n", "n: .inf\n", "n: true\n", "n: [1]\n",
		"n: 1.5\n", "n: \"1.5\"\n", "p: 1.5\n", "w: [1, 2.5]\n", "w:\n  - x\n", "m: {a: 1, b: 1.5}\n", "in:\n  cap: 0.5\n",
		"rows:\n  - {weight: 1}\n  - {weight: 7.5}\n", "deep: 1.5\n", "f: &x 1.5\nn: *x\n", "n: !!float 1.5\n",
		"f: many\n", "b: [x]\n", "s: [x]\n", "d: 5x\n", "l: x\n", "m: x\n", "in: 5\n", "rows: {weight: 1}\n",
	} {
		var plain numbers
		want := Decode("t.yaml", []byte(in), &plain)
		var k keeper
		got := Decode("t.yaml", []byte(in), &k)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("%q: kept %v\nwant %v", in, got, want)
		}
	}
}

// TestSetAsideBadValuesAll: a file with several bad values has each
// refused in one reading, one a line, in the order of the file, where
// Decode stopped at the first; the good values around them are read, and
// a key set aside keeps its default. An unknown key still stops the
// reading, as the decoder reports it.
func TestSetAsideBadValuesAll(t *testing.T) {
	t.Parallel()
	in := "n: two\nf: many\ns: ok\nb: [x]\nw: [1, 2.5, y]\nd: 5x\nu: 7\nrows:\n  - {weight: 1}\n  - {weight: 7.5}\n"
	k := keeper{Numbers: Numbers{N: 42}}
	err := Decode("t.yaml", []byte(in), &k)
	want := strings.Join([]string{
		`t.yaml:1:4: n: want a whole number, got "two"`,
		`t.yaml:2:4: f: want a number, got "many"`,
		`t.yaml:4:4: b: want true or false, got a list`,
		`t.yaml:5:8: w[1]: want a whole number, got 2.5`,
		`t.yaml:5:13: w[2]: want a whole number, got "y"`,
		`t.yaml:6:4: d: bad duration "5x": want a duration like 30s, 5m, 1h30m or 5d`,
		`t.yaml:10:14: rows[1].weight: want a whole number, got 7.5`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	if k.N != 42 || k.S != "ok" || k.U != 7 || len(k.W) != 0 || len(k.Rows) != 2 || k.Rows[0].Weight != 1 || k.Rows[1].Weight != 0 {
		t.Errorf("decoded %+v; want the good values read and the bad left as they were", k.Numbers)
	}
	var u keeper
	if err := Decode("t.yaml", []byte("n: two\nbogus: 1\n"), &u); err == nil || !strings.Contains(err.Error(), `t.yaml:2:1: bogus: unknown field "bogus"`) {
		t.Errorf("unknown key beside a bad value: %v", err)
	}
	var g keeper
	if err := Decode("t.yaml", []byte("n: 2\nw: [1, 2]\nd: 5m\nrows:\n  - {weight: 3}\n"), &g); err != nil || g.N != 2 || len(g.W) != 2 || g.D.String() != "5m0s" || g.Rows[0].Weight != 3 {
		t.Errorf("good values: %+v, %v", g.Numbers, err)
	}
}

// TestSetAsideFlowList: a single value where a list goes, in a {...}
// mapping, is told to go in brackets on its line; in a block mapping, the
// advice is items on lines of their own, as Decode gives it.
func TestSetAsideFlowList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"in: {cap: 1}\nl: a@x.test\n", `t.yaml:2:4: l: want a list, each item on a line of its own starting with "- ", got a@x.test`},
		{"rows: [{weight: 1}]\nin: {cap: 1}\nfl: {l: \"a@x.test\"}\n", `t.yaml:3:9: fl.l: want a list, which in a {...} mapping is written in brackets, as in l: ["a@x.test"], got "a@x.test"`},
		{"fl: {l: 5, s: x}\n", `t.yaml:1:9: fl.l: want a list, which in a {...} mapping is written in brackets, as in l: [5], got 5`},
	} {
		var k flowKeeper
		if err := Decode("t.yaml", []byte(tc.in), &k); err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

// flowKeeper is keeper with a mapping of its own, for flow mappings.
type flowKeeper struct {
	Numbers `yaml:",inline"`
	Fl      struct {
		L []string `yaml:"l"`
		S string   `yaml:"s"`
	} `yaml:"fl"`
	bad []error
}

func (k *flowKeeper) UnmarshalYAML(decode func(any) error) error {
	type plain flowKeeper
	v := plain(*k)
	bad := SetAsideBadValues(decode, &v)
	if err := decode(&v); err != nil {
		return err
	}
	v.bad = bad
	*k = flowKeeper(v)
	return nil
}

func (*flowKeeper) KeepsBadValues() {}

func (k *flowKeeper) Validate(string) error { return errors.Join(k.bad...) }
