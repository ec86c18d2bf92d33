package web

import (
	"mime"
	"strings"
	"testing"
)

// partsMessage has a part of each kind a download must handle: a
// multipart holding the bodies, a PDF named with a path and a direction
// override, an SVG named in UTF-8 (RFC 2231), HTML named with a quote, an
// attached message without a name and a part named as a Windows device.
const partsMessage = "From: a@shop.test\r\nTo: b@example.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
	"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n" +
	"--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n" +
	"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n--b2--\r\n" +
	"--b1\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\u202egnp.exe\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
	"--b1\r\nContent-Type: image/svg+xml\r\nContent-Disposition: inline; filename*=UTF-8''%E2%82%AC%20r%C3%A9sum%C3%A9.svg\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nPHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+\r\n" +
	"--b1\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"evil\\\".html\"\r\n\r\n<script>alert(1)</script>\r\n" +
	"--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@shop.test\r\nSubject: inner\r\n\r\nx\r\n" +
	"--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"CON.txt\"\r\n\r\nx\r\n" +
	"--b1--\r\n"

// TestSinkPartDownload: /api/v1/sink/messages/{id}/parts/{part} serves
// each part the message's JSON lists, and the bodies' parts, decoded from
// their transfer encoding, with their type, as an attachment with a safe
// file name, under nosniff and a CSP that runs nothing; a multipart's
// number, a number the message lacks and one that is no number say so.
func TestSinkPartDownload(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	sink.mu.Lock()
	sink.raw = map[string][]byte{"1": []byte(partsMessage), "2": []byte("Subject: one\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n")}
	sink.mu.Unlock()
	ts := startServer(t, Options{Sink: sink})
	for _, tc := range []struct {
		id, part, body, ctype, name, disposition string
	}{
		{"1", "1.1", "caf\xe9", "text/plain; charset=iso-8859-1", "1-part-1.1.txt", `attachment; filename="1-part-1.1.txt"`},
		{"1", "1.2", "<p>hi</p>", "text/html; charset=utf-8", "1-part-1.2.html", ""},
		{"1", "2", "%PDF-1.4\n", "application/pdf", "passwdgnp.exe", `attachment; filename="passwdgnp.exe"`},
		{"1", "3", "<svg onload=alert(1)></svg>", "image/svg+xml", "€ résumé.svg",
			`attachment; filename="_ r_sum_.svg"; filename*=UTF-8''%E2%82%AC%20r%C3%A9sum%C3%A9.svg`},
		{"1", "4", "<script>alert(1)</script>", "text/html", "evil_.html", ""},
		{"1", "5", "From: c@shop.test\r\nSubject: inner\r\n\r\nx", "message/rfc822", "1-part-5.eml", ""},
		{"1", "6", "x", "application/octet-stream", "_CON.txt", ""},
		{"2", "1", "hello", "text/plain", "2-part-1.txt", ""}, // a message of one part
	} {
		for _, method := range []string{"GET", "HEAD"} {
			code, h, body := do(t, method, ts.url+"/api/v1/sink/messages/"+tc.id+"/parts/"+tc.part, "")
			what := method + " message " + tc.id + " part " + tc.part
			if code != 200 {
				t.Errorf("%s: %d %s", what, code, body)
				continue
			}
			if method == "GET" && string(body) != tc.body || method == "HEAD" && len(body) != 0 {
				t.Errorf("%s: body %q, want %q", what, body, tc.body)
			}
			if h.Get("Content-Length") != itoa(int64(len(tc.body))) || h.Get("Content-Type") != tc.ctype {
				t.Errorf("%s: Content-Length %s, Content-Type %q, want %d, %q", what, h.Get("Content-Length"), h.Get("Content-Type"), len(tc.body), tc.ctype)
			}
			cd := h.Get("Content-Disposition")
			disp, params, err := mime.ParseMediaType(cd)
			if err != nil || disp != "attachment" || params["filename"] != tc.name || tc.disposition != "" && cd != tc.disposition {
				t.Errorf("%s: Content-Disposition %q (%v), want an attachment named %q", what, cd, err, tc.name)
			}
			if h.Get("Content-Security-Policy") != rawCSP || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: CSP %q, nosniff %q, cache %q, want %q, nosniff, no-store", what, h.Get("Content-Security-Policy"),
					h.Get("X-Content-Type-Options"), h.Get("Cache-Control"), rawCSP)
			}
		}
	}
	for _, tc := range []struct {
		path   string
		code   int
		expect []string
	}{
		{"/1/parts/1", 404, []string{"is a multipart/alternative", "1.1, 1.2"}},
		{"/1/parts/7", 404, []string{"has no part 7", "its parts are 1.1, 1.2, 2, 3, 4, 5, 6"}},
		{"/1/parts/2.1", 404, []string{"has no part 2.1"}},
		{"/9/parts/1", 404, []string{"not found"}},
		{"/1/parts/0", 400, []string{"bad part", "1.2"}},
		{"/1/parts/01", 400, nil},
		{"/1/parts/1.", 400, nil},
		{"/1/parts/x", 400, nil},
		{"/1/parts/-1", 400, nil},
		{"/1/parts/1.1.1.1.1.1.1.1.1.1", 400, nil},
		{"/1/parts/1?inline=1", 400, []string{"no query parameters"}},
	} {
		code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages"+tc.path, "")
		e := wantAPIError(t, body)
		if code != tc.code {
			t.Errorf("%s: %d %+v, want %d", tc.path, code, e, tc.code)
		}
		for _, w := range tc.expect {
			if !strings.Contains(e.Error+": "+e.Detail, w) {
				t.Errorf("%s: %+v lacks %q", tc.path, e, w)
			}
		}
	}
	none := startServer(t, Options{})
	if code, _, _ := do(t, "GET", none.url+"/api/v1/sink/messages/1/parts/1", ""); code != 503 {
		t.Errorf("without a sink: %d, want 503", code)
	}
}

// TestSinkPartsListed: every part the message's JSON lists downloads at
// its number, named as listed once made safe.
func TestSinkPartsListed(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	sink.mu.Lock()
	sink.raw = map[string][]byte{"1": []byte(partsMessage)}
	sink.mu.Unlock()
	ts := startServer(t, Options{Sink: sink})
	d := DecodeMessage([]byte(partsMessage))
	if len(d.Attachments) != 5 {
		t.Fatalf("attachments %+v, want 5", d.Attachments)
	}
	for _, a := range d.Attachments {
		code, h, body := do(t, "GET", ts.url+"/api/v1/sink/messages/1/parts/"+a.Part, "")
		_, params, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		want := safeFilename(a.Filename)
		if want == "" {
			want = "1-part-" + a.Part + partExt(a.ContentType)
		}
		if code != 200 || int64(len(body)) != a.Size || params["filename"] != want {
			t.Errorf("part %s: %d, %d bytes named %q, want 200, %d bytes named %q", a.Part, code, len(body), params["filename"], a.Size, want)
		}
	}
}

// TestSafeFilename: a file name from mail keeps its last path segment and
// its extension, without what could hide or move it.
func TestSafeFilename(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 150) + ".pdf"
	for in, want := range map[string]string{
		"report.pdf":                    "report.pdf",
		"../../etc/passwd":              "passwd",
		`C:\Windows\system32\evil.dll`:  "evil.dll",
		"a\x00b\r\nc\x7f\u0085.txt":     "abc.txt",
		"invoice\u202efdp.exe":          "invoicefdp.exe",
		"zero\u200bwidth\ufeff.txt":     "zerowidth.txt",
		`a<b>c:d"e|f?g*h.txt`:           "a_b_c_d_e_f_g_h.txt",
		" . .hidden. . ":                "hidden",
		"..":                            "",
		"/":                             "",
		"tab\there\u2028\u00a0.txt":     "tabhere  .txt",
		"nul":                           "_nul",
		"Com1.tar.gz":                   "_Com1.tar.gz",
		"console.txt":                   "console.txt",
		"bad\xffutf8.txt":               "bad_utf8.txt",
		"résumé €.pdf":                  "résumé €.pdf",
		long:                            strings.Repeat("é", 98) + ".pdf",
		strings.Repeat("a", 300) + ".x": strings.Repeat("a", 198) + ".x",
	} {
		if got := safeFilename(in); got != want {
			t.Errorf("safeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAttachmentDisposition: an ASCII name goes as filename alone; any
// other has an ASCII filename and RFC 6266's filename* with the name,
// which a client that reads it gets back whole.
func TestAttachmentDisposition(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"report.pdf", "a b;c.txt", "100%.txt", "résumé €.pdf", "日本語.txt", "a'b.txt", "x`|~^!#$&+.bin"} {
		v := attachment(name)
		disp, params, err := mime.ParseMediaType(v)
		if err != nil || disp != "attachment" || params["filename"] != name {
			t.Errorf("%q: %q parses to %q %v (%v), want the name back", name, v, disp, params, err)
		}
		ascii, _, _ := strings.Cut(strings.TrimPrefix(v, `attachment; filename="`), `"`)
		for _, c := range []byte(ascii) {
			if c < 0x20 || c > 0x7e || c == '%' || c == '\\' {
				t.Errorf("%q: the ASCII filename %q holds %q", name, ascii, c)
			}
		}
		if strings.Contains(v, "filename*") != (ascii != name) {
			t.Errorf("%q: %q, want filename* only when the name is not ASCII as it stands", name, v)
		}
	}
}

// TestPartHeadersStrict: a part served with its own Content-Type keeps
// the headers that make it a download whatever the type claims.
func TestPartHeadersStrict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mt, cs, want string }{
		{"text/plain", "utf-8", "text/plain; charset=utf-8"},
		{"text/plain", "bad charset\r\nX-Injected: 1", "text/plain"},
		{"image/png", "utf-8", "image/png"},
		{"text/html\r\nSet-Cookie: a=b", "", "application/octet-stream"},
		{"nonsense", "", "application/octet-stream"},
	} {
		if got := partType(tc.mt, tc.cs); got != tc.want {
			t.Errorf("partType(%q, %q) = %q, want %q", tc.mt, tc.cs, got, tc.want)
		}
	}
}
