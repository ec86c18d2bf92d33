package config

import (
	"slices"
	"testing"
)

// TestDecodeKeepsText: a string key given a plain scalar that YAML reads
// as a number or a boolean keeps the text the file wrote, in every
// configuration Decode reads: a listener named 1.10 was "1.1", so an
// expectation's path: 1.10 (which keeps its text) never matched it.
func TestDecodeKeepsText(t *testing.T) {
	type listener struct {
		Name string `yaml:"name"`
	}
	var v struct {
		Name      string            `yaml:"name"`
		Listeners []listener        `yaml:"listeners"`
		Tags      []string          `yaml:"tags"`
		Headers   map[string]string `yaml:"headers"`
		Port      int               `yaml:"port"`
	}
	data := []byte("name: 1.10\nlisteners:\n  - name: 2.0\n  - name: mx\ntags: [0x10, True, .inf]\nheaders: {X-Version: 3.10}\nport: 2525\n")
	if err := Decode("c.yaml", data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "1.10" || len(v.Listeners) != 2 || v.Listeners[0].Name != "2.0" || v.Listeners[1].Name != "mx" ||
		!slices.Equal(v.Tags, []string{"0x10", "True", ".inf"}) || v.Headers["X-Version"] != "3.10" || v.Port != 2525 {
		t.Errorf("decoded %+v; want the text as written", v)
	}
}
