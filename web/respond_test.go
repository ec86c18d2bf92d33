package web

import (
	"net/http/httptest"
	"testing"
)

func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{"", "after=5&kind=relay.", "kind=a,b,,c&limit=0", "after=-1", "after=99999999999999999999", "kind=%00", "limit=5001", "tail=3"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/api/v1/events", nil)
		r.URL.RawQuery = q
		fl, err := parseFilter(r)
		if err != nil {
			return
		}
		if fl.AfterID < 0 || fl.Limit < 0 || fl.Limit > 5000 {
			t.Fatalf("%q: accepted out-of-range filter %+v", q, fl)
		}
		for _, k := range fl.Kinds {
			if !validKind(k) {
				t.Fatalf("%q: accepted kind %q", q, k)
			}
		}
	})
}

func FuzzCheckEnqueue(f *testing.F) {
	f.Add("a@example.org", "b@example.com", "X-Tag", "v", "")
	f.Add("", "b@example.com", "", "", "Subject: x\r\n\r\nhi")
	f.Add("<>", "bad", "Bad Name", "a\r\nb", "")
	f.Fuzz(func(t *testing.T, from, to, hname, hvalue, raw string) {
		m := EnqueueRequest{From: from, To: []string{to}, Raw: raw}
		if hname != "" {
			m.Headers = []Header{{hname, hvalue}}
		}
		if checkEnqueue(m) == nil && hname != "" && raw == "" {
			for _, c := range hname + hvalue {
				if c == '\r' || c == '\n' {
					t.Fatalf("accepted a header with a line break: %q: %q", hname, hvalue)
				}
			}
		}
	})
}
