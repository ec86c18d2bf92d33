package web

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// An HTML body shows its inline images by reference, src="cid:logo"
// (RFC 2392), to a part of the same message with Content-ID: <logo>. The
// body's frame loads nothing (its CSP allows data: images only), so
// body.html writes each such reference as a data: URL of the part's
// bytes: the images show, and the CSP and the sandbox stay as they are.
// The message's JSON keeps its HTML as sent.

const (
	// maxInlineImage and maxInlineImages bound the bytes of one part,
	// and of all, written into a body as data: URLs; a reference to a
	// larger part stays as sent (an image that does not show), and the
	// part downloads from .../parts/{part}.
	maxInlineImage  = 2 << 20
	maxInlineImages = 8 << 20
)

// cidRef is a cid: URL in an attribute or a style: what follows cid: up to
// a quote, a space, a bracket or a parenthesis.
var cidRef = regexp.MustCompile(`(?i)\bcid:([^"'\s<>()]+)`)

// hasCID says whether html may refer to a part by Content-ID.
func hasCID(html string) bool { return html != "" && cidRef.MatchString(html) }

// contentID is a Content-ID field's id, without its angle brackets.
func contentID(v string) string {
	v = strings.TrimSpace(v)
	return mailtext.Valid(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
}

// inlineCIDs writes each cid: reference of html to a part of raw that
// parts lists with that Content-ID, and whose type is an image, as a
// data: URL of its bytes, within maxInlineImage each and maxInlineImages
// in all. A reference to no such part stays as written.
func inlineCIDs(html string, raw []byte, parts []Attachment) string {
	byID := map[string]Attachment{}
	for _, a := range parts {
		if a.ContentID != "" && strings.HasPrefix(a.ContentType, "image/") && a.Size <= maxInlineImage {
			byID[a.ContentID] = a
			if _, ok := byID[strings.ToLower(a.ContentID)]; !ok {
				byID[strings.ToLower(a.ContentID)] = a
			}
		}
	}
	if len(byID) == 0 {
		return html
	}
	urls := map[string]string{} // by part, each part's bytes encoded once
	total := 0
	return cidRef.ReplaceAllStringFunc(html, func(ref string) string {
		id := ref[len("cid:"):]
		if u, err := url.PathUnescape(id); err == nil { // RFC 2392: %-encoded
			id = u
		}
		a, ok := byID[id]
		if !ok {
			a, ok = byID[strings.ToLower(id)]
		}
		if !ok {
			return ref
		}
		if u, ok := urls[a.Part]; ok {
			return u
		}
		f, _ := findPart(raw, a.Part)
		if !f.found || total+len(f.body) > maxInlineImages {
			return ref
		}
		total += len(f.body)
		u := "data:" + a.ContentType + ";base64," + base64.StdEncoding.EncodeToString(f.body)
		urls[a.Part] = u
		return u
	})
}
