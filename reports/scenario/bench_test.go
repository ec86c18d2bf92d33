package scenario

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkReplay10k replays testdata/bench/replay-10k.yaml (10,000
// recipients, four attempts each over 61 hours of virtual time). With
// -short it replays a tenth of it.
func BenchmarkReplay10k(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bench", "replay-10k.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	if testing.Short() {
		data = []byte(strings.NewReplacer("count: 1000", "count: 100", "count: 10000", "count: 1000").Replace(string(data)))
	}
	sc, err := Parse("replay-10k.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := Run(context.Background(), sc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !out.Passed() {
			b.Fatalf("expectations failed: %+v", out.Results)
		}
		b.ReportMetric(out.Virtual.Seconds()/out.Wall.Seconds(), "virtual/wall")
	}
}
