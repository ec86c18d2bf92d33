package mailtext

import (
	"reflect"
	"testing"
)

// TestMediaTypeRFC2231Charsets: parameters in RFC 2231's extended form
// are read in any charset Text knows, whole or in sections, where
// mime.ParseMediaType left them out; those it reads stay as it reads
// them, and a charset Text cannot read is named.
func TestMediaTypeRFC2231Charsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		mt     string
		params map[string]string
		unread []string
	}{
		{`attachment; filename*=iso-8859-1''n%E4me.pdf`, "attachment", map[string]string{"filename": "näme.pdf"}, nil},
		{`attachment; filename*=ISO-8859-1'de'Gr%FC%DFe%20aus%20K%F6ln.txt`, "attachment", map[string]string{"filename": "Grüße aus Köln.txt"}, nil},
		{`attachment; filename*0*=windows-1252''%80uro; filename*1=" report.pdf"`, "attachment", map[string]string{"filename": "€uro report.pdf"}, nil},
		{`application/pdf; name*1*=%E9.pdf; name*0*=iso-8859-1''r%E9sum`, "application/pdf", map[string]string{"name": "résumé.pdf"}, nil},
		{`attachment; filename*=utf-8''na%C3%AFve.txt`, "attachment", map[string]string{"filename": "naïve.txt"}, nil},
		{`attachment; filename*=x-unknown''a%FFb.txt`, "attachment", map[string]string{"filename": "a\uFFFDb.txt"}, []string{"x-unknown"}},
		{`attachment; filename="plain.txt"`, "attachment", map[string]string{"filename": "plain.txt"}, nil},
		{`attachment; filename*=iso-8859-1''bad%ZZ.txt`, "attachment", map[string]string{}, nil},
		{`attachment; filename*0*=iso-8859-1''a; filename*2*=b`, "attachment", map[string]string{"filename": "a"}, nil},
		{`text/plain; charset="us-ascii"; note="a;b"; title*=iso-8859-1''%E9t%E9`, "text/plain", map[string]string{"charset": "us-ascii", "note": "a;b", "title": "été"}, nil},
	}
	for _, tt := range tests {
		mt, params, unread, _ := MediaType(tt.in)
		if mt != tt.mt || !reflect.DeepEqual(params, tt.params) || !reflect.DeepEqual(unread, tt.unread) {
			t.Errorf("MediaType(%q) = %q, %q, %q; want %q, %q, %q", tt.in, mt, params, unread, tt.mt, tt.params, tt.unread)
		}
	}
}

func FuzzMediaType(f *testing.F) {
	for _, s := range []string{`attachment; filename*=iso-8859-1''n%E4me.pdf`, `a; b*0*=x''%41; b*1="c;d"`, `a; "`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		MediaType(s) // no panic, whatever the input
	})
}
