package scenario

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/reports"
)

func TestGreylistingScenario(t *testing.T) {
	t.Parallel()
	sc, err := Load(filepath.Join("..", "..", "testdata", "scenarios", "greylisting.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
	var b bytes.Buffer
	reports.WriteText(&b, out.Data)
	t.Logf("virtual %s wall %s jumps %d\n%s", out.Virtual, out.Wall, out.Jumps, b.String())
}
