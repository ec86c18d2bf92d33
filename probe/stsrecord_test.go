package probe

import (
	"strings"
	"testing"
)

// TestSTSRecordFields: every field of an MTA-STS TXT record after the
// version is id=... or an extension name=value of the RFC 8461 3.1
// grammar, and id appears once; senders take a record that breaks this
// for no policy at all.
func TestSTSRecordFields(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rec, id, err string
	}{
		{"v=STSv1; id=20260101T000000", "20260101T000000", ""},
		{"v=STSv1;id=1;ext_1=a-b.c;", "1", ""},
		{"v=STSv1 ; id=1 ;", "1", ""},
		{"v=STSv1; id=1; mode=enforce", "1", ""}, // an extension field: ignored
		{"v=STSv1; id=1; id=2", "", "id appears twice"},
		{"v=STSv1; id=1; note=two words", "", `"note=two words"`},
		{"v=STSv1; id=1; enforce", "", `"enforce"`},
		{"v=STSv1; id=1; =x", "", `"=x"`},
		{"v=STSv1; id=1; bad name=x", "", `"bad name=x"`},
	} {
		id, err := parseSTSRecord(tt.rec)
		switch {
		case tt.err == "" && (err != nil || id != tt.id):
			t.Errorf("parseSTSRecord(%q) = %q, %v; want %q", tt.rec, id, err, tt.id)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseSTSRecord(%q) = %q, %v; want an error saying %s", tt.rec, id, err, tt.err)
		}
	}
}
