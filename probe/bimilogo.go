package probe

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// bimiLogoMax is the largest logo receivers take: the BIMI Group's
// guidance for SVG logo files caps them at 32 kilobytes.
const bimiLogoMax = 32 << 10

// bimiLogoTimeout bounds a logo fetch: receivers fetch logos as mail
// arrives, and do not wait long for one.
const bimiLogoTimeout = 10 * time.Second

// svgzMax bounds an SVGZ logo once decompressed, so that a small file
// cannot expand without end.
const svgzMax = 1 << 20

// svgRef is the draft that defines SVG Tiny Portable/Secure, the SVG
// profile of BIMI logos.
const svgRef = "draft-svg-tiny-ps-abrotman"

// svgSizeRef says where the size limit of logos comes from.
const svgSizeRef = "BIMI Group SVG logo guidance"

// svgNS is the namespace of SVG elements.
const svgNS = "http://www.w3.org/2000/svg"

// checkBIMILogo fetches the logo at logo (an https URL of l=) with client,
// within bimiLogoTimeout and bimiLogoMax, and checks it as SVG Tiny PS
// (checkSVG). A fetch the probe chose not to make (a host off loopback
// with --zone) or one that may pass leaves the check unknown, as for
// MTA-STS policies.
func checkBIMILogo(ctx context.Context, client *http.Client, f *findings, logo string) {
	c := *client
	if c.Timeout <= 0 || c.Timeout > bimiLogoTimeout {
		c.Timeout = bimiLogoTimeout
	}
	host := logo
	if u, err := url.Parse(logo); err == nil {
		host = u.Hostname()
	}
	body, ct, err := fetchHTTPS(ctx, &c, logo, bimiLogoMax, "a logo fetch")
	var nl *NotLoopbackError
	var tf *tempFetchError
	var big *tooLargeError
	switch {
	case errors.As(err, &nl):
		f.unknown = true
		f.add(SevWarning, "logo-fetch", logo, "", bimiRef,
			"the probe did not fetch the logo at %s, so it is not checked: %s resolves to %s, not a loopback address, and with zones served on this machine (relaylab probe --zone) the probe connects only to loopback addresses, so that nothing leaves it; to check the logo, point %s at 127.0.0.1 in the zone file and serve the logo there over HTTPS (--mta-sts-ca, --mta-sts-port), or probe with a --resolver that answers for %s",
			logo, nl.Host, joinAddrs(nl.Addrs), nl.Host, nl.Host)
		return
	case errors.As(err, &tf):
		// Not known to be broken: receivers may fetch it later.
		f.unknown = true
		f.add(SevWarning, "logo-fetch", logo, "", bimiRef,
			"%v, so the logo is not checked: the failure may be temporary; run the probe again, and if it keeps failing, check that %s serves the logo over HTTPS", err, host)
		return
	case errors.As(err, &big):
		f.add(SevError, "logo-size", logo, "", svgSizeRef,
			"the logo at %s is larger than %d KiB, and receivers refuse larger logos (the BIMI Group's limit), so they show none: simplify the artwork (fewer paths and points, fewer decimals in coordinates, no embedded fonts or bitmaps) and serve an SVG of at most %d KiB",
			logo, bimiLogoMax>>10, bimiLogoMax>>10)
		return
	case err != nil:
		f.add(SevError, "logo-fetch", logo, "", bimiRef,
			"%v, so receivers cannot fetch the logo either and show none: serve it at that URL over HTTPS (%s needs an address record and a certificate valid for it), with status 200, as image/svg+xml, without redirects", err, host)
		return
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "image/svg+xml" {
		f.add(SevWarning, "logo-type", logo, "", bimiRef,
			"the logo at %s is served with media type %q, not image/svg+xml, so receivers may not take it for SVG: serve .svg files as image/svg+xml", logo, ct)
	}
	svg := body
	if len(body) > 1 && body[0] == 0x1f && body[1] == 0x8b {
		// SVGZ (BIMI draft 4.3.2): the logo gzipped, read as its SVG.
		if svg, err = gunzip(body); err != nil {
			f.add(SevError, "svg-xml", logo, "", svgRef,
				"the logo at %s is gzipped (SVGZ) but does not decompress (%v), so receivers cannot read it: serve it again as a plain SVG file, or gzip it anew", logo, err)
			return
		}
	}
	checkSVG(f, logo, len(body), svg)
}

// gunzip decompresses an SVGZ logo, at most svgzMax bytes of it.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, svgzMax+1))
	if err != nil {
		return nil, err
	}
	if len(out) > svgzMax {
		return nil, fmt.Errorf("it expands to more than %d KiB", svgzMax>>10)
	}
	return out, nil
}

// svgScan is what checkSVG found in a logo, each place as "<name> (line N)".
type svgScan struct {
	root      xml.StartElement
	title     string
	hasTitle  bool
	scripts   []string // script elements and on* event attributes
	animation []string // animation elements
	embedded  []string // elements that embed other content: bitmaps, HTML, media
	external  []string // references outside the file
}

// svgAnimation are the animation elements of SVG Tiny 1.2 (its chapter
// 16), which SVG Tiny PS leaves out: a logo does not move.
var svgAnimation = map[string]bool{"animate": true, "animateColor": true, "animateMotion": true, "animateTransform": true, "set": true, "discard": true, "mpath": true}

// svgScript are the elements that run code or handle events.
var svgScript = map[string]bool{"script": true, "handler": true, "listener": true}

// svgEmbedded are the elements that bring in other content (bitmaps,
// other documents, audio and video), which SVG Tiny PS leaves out.
var svgEmbedded = map[string]bool{"image": true, "foreignObject": true, "video": true, "audio": true, "animation": true, "iframe": true}

// svgEntity is an entity declared in a DOCTYPE's internal subset, as
// editors write namespaces (<!ENTITY ns_svg "http://www.w3.org/2000/svg">).
var svgEntity = regexp.MustCompile(`<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>`)

// checkSVG checks a logo as receivers require it, the basics of SVG Tiny
// Portable/Secure (draft-svg-tiny-ps-abrotman): a root <svg> in the SVG
// namespace with baseProfile="tiny-ps" and version="1.2" and no x or y,
// a <title>, no scripts, animation, embedded content or references
// outside the file, and a square viewBox. size is the file's size as
// served.
func checkSVG(f *findings, logo string, size int, svg []byte) {
	scan, err := scanSVG(svg)
	if err != nil {
		f.add(SevError, "svg-xml", logo, "", svgRef,
			"the logo at %s is not well-formed XML (%v), so receivers cannot read it as SVG and show no logo: export it again as SVG Tiny 1.2 and make it SVG Tiny PS", logo, err)
		return
	}
	root := scan.root
	if root.Name.Local != "svg" {
		f.add(SevError, "svg-root", logo, "", svgRef,
			"the logo at %s is not an SVG image: its root element is <%s>, not <svg>, so receivers show no logo (a server that answers with a web page instead of the file does this): serve the SVG file itself at that URL", logo, root.Name.Local)
		return
	}
	bad := 0
	add := func(code, format string, args ...any) {
		bad++
		f.add(SevError, code, logo, "", svgRef, format, args...)
	}
	if root.Name.Space != svgNS {
		add("svg-root", "the <svg> element of the logo at %s is not in the SVG namespace (xmlns=%q), so receivers do not read it as SVG: add xmlns=\"%s\" to it", logo, root.Name.Space, svgNS)
	}
	var profile []string
	if v := attr(root, "baseProfile"); v != "tiny-ps" {
		profile = append(profile, fmt.Sprintf("baseProfile=%q", v))
	}
	if v := attr(root, "version"); v != "1.2" {
		profile = append(profile, fmt.Sprintf("version=%q", v))
	}
	if len(profile) > 0 {
		add("svg-profile", "the <svg> element of the logo at %s has %s, and receivers take only SVG Tiny PS, declared by baseProfile=\"tiny-ps\" and version=\"1.2\", so they show no logo: set both on the <svg> element (and make sure the file keeps to that profile)",
			logo, strings.Join(profile, " and "))
	}
	var xy []string
	for _, a := range root.Attr {
		if a.Name.Space == "" && (a.Name.Local == "x" || a.Name.Local == "y") {
			xy = append(xy, fmt.Sprintf("%s=%q", a.Name.Local, a.Value))
		}
	}
	if len(xy) > 0 {
		add("svg-xy", "the <svg> element of the logo at %s has %s, which SVG Tiny PS does not allow on the root element (editors such as Illustrator add them), so receivers refuse the logo: remove them", logo, strings.Join(xy, " and "))
	}
	switch {
	case !scan.hasTitle:
		add("svg-title", "the logo at %s has no <title> element, which SVG Tiny PS requires, so receivers refuse it: add <title>YOUR BRAND</title> as the first child of <svg>", logo)
	case strings.TrimSpace(scan.title) == "":
		add("svg-title", "the <title> of the logo at %s is empty, and SVG Tiny PS requires one that names the brand, so receivers may refuse it: write the brand's name in it", logo)
	}
	if len(scan.scripts) > 0 {
		add("svg-script", "the logo at %s holds scripts or event handlers (%s), which SVG Tiny PS forbids, so receivers refuse it: remove them", logo, strings.Join(scan.scripts, ", "))
	}
	if len(scan.animation) > 0 {
		add("svg-animation", "the logo at %s is animated (%s), and SVG Tiny PS forbids animation, so receivers refuse it: remove those elements, keeping the still image", logo, strings.Join(scan.animation, ", "))
	}
	if len(scan.embedded) > 0 {
		add("svg-external", "the logo at %s embeds other content (%s), which SVG Tiny PS forbids (bitmaps among it: a logo is vector shapes only), so receivers refuse it: draw it with SVG shapes and paths instead", logo, strings.Join(scan.embedded, ", "))
	}
	if len(scan.external) > 0 {
		add("svg-external", "the logo at %s refers to content outside the file (%s), and SVG Tiny PS allows references only within it (href=\"#id\"), so receivers refuse it: bring what it refers to into the file as shapes and paths, or remove it", logo, strings.Join(scan.external, ", "))
	}
	box, square := svgAspect(root)
	switch {
	case box == "":
		f.add(SevWarning, "svg-square", logo, "", svgRef,
			"the <svg> element of the logo at %s has no viewBox (nor a width and height), so its shape cannot be told, and receivers show logos in a square or a circle: add viewBox=\"0 0 W W\" with equal width and height", logo)
		bad++
	case !square:
		add("svg-square", "the logo at %s is not square (viewBox %q), and receivers show logos in a square or a circle and refuse others: make the artboard square and export again, with viewBox=\"0 0 W W\"", logo, box)
	}
	if bad == 0 {
		f.add(SevInfo, "logo", logo, "", svgRef, "the logo at %s (%d bytes) keeps to the basics of SVG Tiny PS that the probe checks: <svg> with baseProfile=\"tiny-ps\" and version=\"1.2\", title %q, square viewBox %q, no scripts, animation or references outside the file",
			logo, size, strings.TrimSpace(scan.title), box)
	}
}

// scanSVG reads an SVG document with a strict XML parser, as receivers
// do, and gathers what checkSVG judges.
func scanSVG(svg []byte) (*svgScan, error) {
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	d.Entity = map[string]string{}
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("its encoding is %s: serve it as UTF-8", charset)
	}
	var scan svgScan
	depth := 0
	inTitle, inStyle := false, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.Directive:
			for _, m := range svgEntity.FindAllStringSubmatch(string(t), -1) {
				d.Entity[m[1]] = m[2] + m[3]
			}
		case xml.StartElement:
			depth++
			if depth == 1 {
				scan.root = t.Copy()
			}
			at := fmt.Sprintf("<%s> (line %d)", t.Name.Local, line)
			switch n := t.Name.Local; {
			case svgScript[n]:
				scan.scripts = append(scan.scripts, at)
			case svgAnimation[n]:
				scan.animation = append(scan.animation, at)
			case svgEmbedded[n]:
				scan.embedded = append(scan.embedded, at)
			case n == "title" && depth == 2 && !scan.hasTitle:
				scan.hasTitle, inTitle = true, true
			case n == "style":
				inStyle = true
			}
			for _, a := range t.Attr {
				scan.attr(a, t.Name.Local, line)
			}
		case xml.EndElement:
			depth--
			inTitle, inStyle = false, false
		case xml.CharData:
			switch {
			case inTitle:
				scan.title += string(t)
			case inStyle:
				if u := externalURL(string(t)); u != "" {
					scan.external = append(scan.external, fmt.Sprintf("%s in <style> (line %d)", shortQuote(u), line))
				}
			}
		}
	}
	if depth != 0 || scan.root.Name.Local == "" {
		return nil, errors.New("the document has no root element")
	}
	return &scan, nil
}

// attr notes an attribute of element el that runs code (on...) or
// refers outside the file (an href not to "#id", a url() not to "#id").
func (s *svgScan) attr(a xml.Attr, el string, line int) {
	n := a.Name.Local
	switch {
	case strings.HasPrefix(strings.ToLower(n), "on"):
		s.scripts = append(s.scripts, fmt.Sprintf("%s= on <%s> (line %d)", n, el, line))
	case n == "href" && !strings.HasPrefix(strings.TrimSpace(a.Value), "#"):
		s.external = append(s.external, fmt.Sprintf("href=%s on <%s> (line %d)", shortQuote(a.Value), el, line))
	default:
		if u := externalURL(a.Value); u != "" {
			s.external = append(s.external, fmt.Sprintf("%s=%s on <%s> (line %d)", n, shortQuote(u), el, line))
		}
	}
}

// cssURL finds url(...) in an attribute or a style sheet, and @import.
var cssURL = regexp.MustCompile(`(?i)url\(\s*['"]?([^'")\s]*)|@import\s+['"]?([^'";\s]+)`)

// externalURL returns the first url(...) or @import target of s that is
// not a reference within the file ("#id"), or "".
func externalURL(s string) string {
	for _, m := range cssURL.FindAllStringSubmatch(s, -1) {
		if u := m[1] + m[2]; !strings.HasPrefix(u, "#") {
			return cmp.Or(u, "url()")
		}
	}
	return ""
}

// shortQuote quotes s, cut to 60 bytes: a data: URI can run to pages.
func shortQuote(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "..."
	}
	return strconv.Quote(s)
}

// attr is the value of el's attribute name (in no namespace), or "".
func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// svgAspect returns the logo's viewBox (or, without one, "0 0 WIDTH
// HEIGHT" from its width and height) and whether it is square; "" when
// neither says its shape.
func svgAspect(root xml.StartElement) (string, bool) {
	if vb := strings.TrimSpace(attr(root, "viewBox")); vb != "" {
		nums := strings.FieldsFunc(vb, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r' })
		if len(nums) != 4 {
			return vb, false
		}
		w, err1 := strconv.ParseFloat(nums[2], 64)
		h, err2 := strconv.ParseFloat(nums[3], 64)
		return vb, err1 == nil && err2 == nil && w > 0 && w == h
	}
	w, h := strings.TrimSuffix(attr(root, "width"), "px"), strings.TrimSuffix(attr(root, "height"), "px")
	if w == "" || h == "" || strings.HasSuffix(w, "%") || strings.HasSuffix(h, "%") {
		return "", false
	}
	wf, err1 := strconv.ParseFloat(w, 64)
	hf, err2 := strconv.ParseFloat(h, 64)
	return "0 0 " + w + " " + h, err1 == nil && err2 == nil && wf > 0 && wf == hf
}
