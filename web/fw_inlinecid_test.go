package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// tinyPNG is a valid 3x2 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cidMessage is an HTML body with an inline image by cid:, as Python's
// add_related writes it, and a second reference to no part.
func cidMessage(t testing.TB) []byte {
	img := base64.StdEncoding.EncodeToString(tinyPNG(t))
	return []byte("From: a@shop.test\r\nSubject: logo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi<img id=logo src=\"cid:logo%40app.test\"><img id=none src='cid:nothing'>" +
		"<span style=\"background: url(CID:logo@app.test)\">x</span></p>\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <logo@app.test>\r\nContent-Disposition: inline; filename=logo.png\r\n\r\n" + img + "\r\n--r--\r\n")
}

// cidSink is a fake sink holding cidMessage as message 1.
func cidSink(t testing.TB) *fakeSink {
	sk := newFakeSink()
	raw := cidMessage(t)
	d := DecodeMessage(raw)
	d.ID = "1"
	sk.msgs["1"] = d
	sk.raw = map[string][]byte{"1": raw}
	return sk
}

// TestInlineCID: a part's Content-ID is in its attachment, and body.html
// writes each cid: reference to an image part as a data: URL of its
// bytes (one to no part stays); the message's html keeps them as sent.
func TestInlineCID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Sink: cidSink(t)})
	code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/1", "")
	var d MessageDetail
	if err := json.Unmarshal(body, &d); code != 200 || err != nil || len(d.Attachments) != 1 || d.Attachments[0].ContentID != "logo@app.test" ||
		!strings.Contains(d.HTML, `src="cid:logo%40app.test"`) {
		t.Fatalf("message 1: %d %s; want its attachment with content_id logo@app.test, its html as sent", code, body)
	}
	data := "data:image/png;base64," + base64.StdEncoding.EncodeToString(tinyPNG(t))
	code, _, body = do(t, "GET", ts.url+"/api/v1/sink/messages/1/body.html", "")
	b := string(body)
	if code != 200 || !strings.Contains(b, `src="`+data+`"`) || !strings.Contains(b, "url("+data+")") || !strings.Contains(b, "src='cid:nothing'") {
		t.Errorf("body.html: %d %s; want the cid: references to the image as its data: URL, the other as sent", code, b)
	}
}

// TestBrowserInlineCID: the image of a cid: reference shows in the body,
// under the body's CSP.
func TestBrowserInlineCID(t *testing.T) {
	b := newBrowser(t)
	s := listen(t, Options{Store: openStore(t, nil), Sink: cidSink(t)})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/api/v1/sink/messages/1/body.html"))
	b.waitFor(t, "the image", `document.getElementById("logo") !== null && document.getElementById("logo").complete`)
	if got := b.eval(t, `[document.getElementById("logo").naturalWidth, document.getElementById("none").naturalWidth]`); fmt.Sprint(got) != "[3 0]" {
		t.Errorf("the images' widths: %v; want [3 0], the inline image shown", got)
	}
}
