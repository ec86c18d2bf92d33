package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestReadJSONRefusesBytesNotUTF8: a JSON body with a byte that is not
// UTF-8 (RFC 8259 8.1) is a 400 that names the string holding it and the
// byte, where encoding/json took it as U+FFFD and the text stored was not
// the one sent; UTF-8 text and \u escapes are taken as before.
func TestReadJSONRefusesBytesNotUTF8(t *testing.T) {
	t.Parallel()
	ts, _, _ := componentServer(t)
	const must = "is not UTF-8, and a JSON text must be UTF-8 (RFC 8259 8.1)"
	for _, tc := range []struct {
		name, method, path, body, where string
	}{
		{"in text", "POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test"],"text":"` + "\xff\xfe" + `"}`,
			`"text": byte 55 of the body (0xFF) ` + must},
		{"Latin-1 in a header's value", "POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test"],"text":"x","headers":[{"name":"X-A","value":"1"},{"name":"X-B","value":"na` + "\xef" + `ve"}]}`,
			`"headers[1].value": byte 121 of the body (0xEF) ` + must},
		{"in a list", "POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test","c` + "\xe9" + `@example.test"],"text":"x"}`,
			`"to[1]": byte 48 of the body (0xE9) ` + must},
		{"in a key", "POST", "/api/v1/messages", `{"fr` + "\xe9" + `m":"a@shop.test","to":["b@example.test"]}`,
			`the key "fr` + "\uFFFD" + `m": byte 5 of the body (0xE9) ` + must},
		{"outside a string", "POST", "/api/v1/messages", `{"from":` + "\xff" + `}`, `the body: byte 9 of the body (0xFF) ` + must},
		{"in the sink's rules", "PUT", "/api/v1/sink/rules", `{"yaml":"rules: [` + "\xc3" + `]"}`, `"yaml": byte 18 of the body (0xC3) ` + must},
	} {
		code, _, body := do(t, tc.method, ts.url+tc.path, tc.body)
		e := wantAPIError(t, body)
		if code != http.StatusBadRequest || e.Error != "the body is not UTF-8" || !strings.HasPrefix(e.Detail, tc.where) {
			t.Errorf("%s: %d %q %q\nwant 400 %q and a detail that starts %q", tc.name, code, e.Error, e.Detail, "the body is not UTF-8", tc.where)
		}
	}
	ok := `{"from":"a@shop.test","to":["b@example.test"],"subject":"caf` + "\u00e9 \U0001F600" + `","text":"na\u00efve \ufffd"}`
	if code, _, body := do(t, "POST", ts.url+"/api/v1/messages", ok); code != http.StatusAccepted {
		t.Errorf("POST %s: %d %s, want 202", ok, code, body)
	}
}

// TestDuplicateKeyPerObject: duplicateKey tells objects apart however
// their paths read: an object under the key "" has the path of the body's.
func TestDuplicateKeyPerObject(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"a":1,"":{"a":2}}`:              "",
		`{"a":1,"":{"a":2,"A":3}}`:        "A",
		`[{"a":1},{"a":2}]`:               "",
		`{"x":[{"n":1,"N":2}]}`:           "x[0].N",
		`{"x":{"y":{"z":1}},"y":{"z":2}}`: "",
	} {
		if got := duplicateKey([]byte(body)); got != want {
			t.Errorf("duplicateKey(%s) = %q, want %q", body, got, want)
		}
	}
}
