package web

import (
	"strings"
	"testing"
)

// TestDecodeMessageHeaderOrder: header fields are listed where each one's
// line starts it, not where its name first appears anywhere in the text:
// a DKIM-Signature's h=From:To:Subject:Date tag, a mailto: or a Reply-To:
// inside a value placed From, To and Subject before the Received fields
// that came first, and a name's fields were listed together where other
// fields stood between them.
func TestDecodeMessageHeaderOrder(t *testing.T) {
	t.Parallel()
	raw := "Authentication-Results: mx.test; dkim=pass header.d=shop.test\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=k1;\r\n" +
		"\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type;\r\n" +
		"\tbh=abc=; b=def=\r\n" +
		"Received: from a.test by mx.test; Mon, 2 Jan 2006 15:04:05 +0000\r\n" +
		"List-Unsubscribe: <mailto:unsubscribe@shop.test?subject=x>\r\n" +
		"Received: from b.test by a.test; Mon, 2 Jan 2006 15:04:04 +0000\r\n" +
		"Date: Mon, 2 Jan 2006 15:04:03 +0000\r\n" +
		"from: a@shop.test\r\n" +
		"To: b@example.test\r\n" +
		"Subject: hi\r\n" +
		"Message-ID: <1@shop.test>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain\r\n" +
		"\r\n" +
		"Subject: in the body\r\n"
	d := DecodeMessage([]byte(raw))
	var got []string
	for _, h := range d.Headers {
		got = append(got, h.Name)
	}
	want := "Authentication-Results Dkim-Signature Received List-Unsubscribe Received Date From To Subject Message-Id Mime-Version Content-Type"
	if strings.Join(got, " ") != want {
		t.Errorf("header order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if len(d.Headers) > 4 && !strings.HasPrefix(d.Headers[4].Value, "from b.test") {
		t.Errorf("the second Received field is %q, want the one from b.test", d.Headers[4].Value)
	}
}
