package config

import (
	"strings"
	"testing"
)

type wr27Item struct {
	Name string `yaml:"name"`
}

func (wr27Item) UnknownKeyAdvice(key string) string {
	if key == "title" {
		return "an item is called by its name: write name:"
	}
	return ""
}

type wr27File struct {
	Items []wr27Item `yaml:"items"`
	Other struct {
		Name string `yaml:"name"`
	} `yaml:"other"`
}

// An unknown key of a struct that advises (KeyAdviser) gets its advice,
// in place of the section hint; a key near one of the struct's own keeps
// its did-you-mean, and a struct without advice says what it said.
func TestWR27KeyAdviser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc, want string
		advice    bool
	}{
		{"items:\n  - {Title: a}\n", `f.yaml:2:6: items[0].Title: unknown field "Title": an item is called by its name: write name:`, true},
		{"items:\n  - {nam: a}\n", `unknown field "nam" (did you mean "name"?)`, false},
		{"items:\n  - {colour: a}\n", `items[0].colour: unknown field "colour"`, false},
		{"other: {title: a}\n", `other.title: unknown field "title"`, false},
	} {
		var f wr27File
		err := Decode("f.yaml", []byte(tc.doc), &f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.doc, err, tc.want)
			continue
		}
		if got := strings.Contains(err.Error(), "called by its name"); got != tc.advice {
			t.Errorf("%q: got %v, want the advice: %v", tc.doc, err, tc.advice)
		}
	}
}

type wr27Limits struct {
	Bytes int64   `yaml:"bytes"`
	Rate  float64 `yaml:"rate"`
}

// A size with a unit where a whole number of octets goes is told the
// number it stands for; another word is not.
func TestWR27SizeHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, want string }{
		{"bytes: 10MB\n", `want a whole number, got "10MB" (a whole number here, without a unit: 10MB is 10000000)`},
		{"bytes: 25 MiB\n", `25 MiB is 26214400)`},
		{"bytes: 1.5kb\n", `1.5kb is 1500)`},
		{"bytes: lots\n", `want a whole number, got "lots"`},
	} {
		var v wr27Limits
		err := Decode("f.yaml", []byte(tc.doc), &v)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want it to end with %q", tc.doc, err, tc.want)
		}
	}
}
