package reports

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

var errDiskFull = errors.New("no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteReportsWriteErrors: a report cut short by a failing writer
// (a full disk under report --out, a closed pipe) is an error in every
// format, wherever the output stops; Markdown, and text past its summary
// table, ended with no error, so report exited 0 with half a report.
func TestWriteReportsWriteErrors(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		var whole bytes.Buffer
		if err := Write(&whole, f, d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, cut := range []int{0, whole.Len() / 2, whole.Len() - 1} {
			if err := Write(&failAfter{n: cut}, f, d); !errors.Is(err, errDiskFull) {
				t.Errorf("%s cut after %d of %d bytes: error %v, want %v", f, cut, whole.Len(), err, errDiskFull)
			}
		}
	}
}
