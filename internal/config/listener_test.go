package config

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// selfDecoding decodes itself into a value of its own shape, as
// sink.ListenerConfig does to start from its defaults.
type selfDecoding struct {
	Name   string `yaml:"name"`
	Limits struct {
		MaxRecipients int `yaml:"max_recipients"`
	} `yaml:"limits"`
}

func (s *selfDecoding) UnmarshalYAML(unmarshal func(any) error) error {
	type plain selfDecoding
	p := plain{Name: "default"}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*s = selfDecoding(p)
	return nil
}

// TestWholeNumbersInSelfDecodingStructs: the fields of a struct that
// decodes itself into its own shape are checked too; a fraction in one of
// its integers used to be cut down silently.
func TestWholeNumbersInSelfDecodingStructs(t *testing.T) {
	t.Parallel()
	var f struct {
		Items []selfDecoding `yaml:"items"`
	}
	err := Decode("t.yaml", []byte("items:\n  - name: mx\n    limits:\n      max_recipients: 1.5\n"), &f)
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4:23: items[0].limits.max_recipients: want a whole number, got 1.5") {
		t.Errorf("a fraction inside a self-decoding struct: %v", err)
	}
	if err := Decode("t.yaml", []byte("items:\n  - name: mx\n    limits:\n      max_recipients: 2\n"), &f); err != nil || f.Items[0].Limits.MaxRecipients != 2 {
		t.Errorf("a whole number: %v, %+v", err, f.Items)
	}
}

var _ yaml.InterfaceUnmarshaler = (*selfDecoding)(nil)
