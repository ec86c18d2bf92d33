package dsn

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.eml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=\"\"\n\n--\n--\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: multipart/report; boundary=b\n\n--b\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if p == nil {
			t.Fatal("nil *Parsed")
		}
		if err != nil {
			if !errors.Is(err, ErrNotReport) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps neither ErrNotReport nor ErrMalformed: %v", err)
			}
			return
		}
		if len(p.Report.Recipients) == 0 {
			t.Fatal("no error but no recipients")
		}
		// Whatever parsed must build again when it is valid.
		r := p.Report
		if r.validate() == nil {
			if _, err := Build(BuildOptions{To: "a@b", MessageID: "m@x", Date: time.Unix(1, 0)}, r); err != nil {
				t.Fatalf("Build of a valid parsed report: %v", err)
			}
		}
	})
}
