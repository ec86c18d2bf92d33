package dsn

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkBuild(b *testing.B) {
	c := buildCases()["failed_headers"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(c.opts, c.r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(testdata, "parse_postfix_style.eml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
