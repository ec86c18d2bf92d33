package config

import (
	"strings"
	"testing"
)

// TestPercentWhereANumberIsWanted: a percentage where a number is wanted
// (a rule's probability: 20%) is answered with how to write it, 0.2;
// before, the error said only "want a number, got "20%"".
func TestPercentWhereANumberIsWanted(t *testing.T) {
	t.Parallel()
	var v struct {
		P float64 `yaml:"probability"`
	}
	err := Decode("f.yaml", []byte("probability: 20%\n"), &v)
	if err == nil || !strings.Contains(err.Error(), `want a number, got "20%" (a percentage is written as a fraction here: 0.2 for 20%)`) {
		t.Errorf("probability: 20%%: %v", err)
	}
	if h := percentHint("0.5"); h != "" {
		t.Errorf("percentHint(0.5) = %q, want none", h)
	}
}
