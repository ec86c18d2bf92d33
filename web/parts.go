package web

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/mailtext"
	"golang.org/x/net/html/charset"
)

// The work on one message is bounded: multiparts nested deeper than
// maxDepth are not read, nor parts after the first maxParts. A note says
// so when either is reached.
const (
	maxDepth = 8
	maxParts = 100
)

// fields is a part's header: a mail.Header or a textproto.MIMEHeader.
type fields interface{ Get(key string) string }

// walker reads a message's MIME tree into d: the first text/plain and
// text/html parts that are not attachments are its bodies, every other
// part is listed in d.Attachments, and what cannot be read is a note.
type walker struct {
	d          *MessageDetail
	parts      int  // parts read, the message itself aside
	text, html bool // a body of that kind is shown
	capped     bool // maxParts was reached
	// find, when set, makes the walk look for one part and read its
	// bytes (findPart) rather than fill d: the same walk numbers the
	// parts for the download as for the message's JSON.
	find *partFind
}

// errCut is a part that ends before its multipart's next boundary.
var errCut = errors.New("cut short")

// part reads the part numbered num (IMAP's numbers: "" is the message,
// "2.1" the first part of its second part), depth multiparts down.
func (w *walker) part(h fields, body io.Reader, num string, depth int) error {
	ctype := h.Get("Content-Type")
	mt, params, unread, err := mailtext.MediaType(ctype)
	if mt == "" || ctype == "" {
		mt, params = "text/plain", nil // RFC 2045 5.2: the default
		if ctype != "" {
			w.note("part %s's Content-Type %q does not parse: it is read as text/plain", cmp.Or(num, "1"), ctype)
		}
	} else if err != nil && params == nil {
		params = map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if w.find != nil && num != "" && num == w.find.want {
			w.find.multipart = mt
			return nil
		}
		return w.multipart(mt, params["boundary"], body, num, depth)
	}
	// RFC 3501 6.4.5: a message of one part has part 1.
	num = cmp.Or(num, "1")
	if w.find != nil {
		return w.find.leaf(h, body, num, mt, params)
	}
	disp, dparams, dunread, _ := mailtext.MediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	// A disposition's file name that could not be decoded is still the
	// one a mail client shows (RFC 6266 4.3 puts it first): it is shown
	// as sent, with a note (unreadName), not the type's name= instead.
	unreadDisp := false
	if name == "" {
		raw, _ := rawParam(h.Get("Content-Disposition"), "filename")
		unreadDisp = raw != ""
	}
	if name == "" && !unreadDisp {
		name = params["name"]
	}
	named := name != "" || unreadDisp
	for _, cs := range append(unread, dunread...) {
		w.note("part %s has a parameter in charset %s (RFC 2231), which relaylab cannot read: shown as UTF-8 with \uFFFD for bytes that are not", num, cs)
	}
	cte := h.Get("Content-Transfer-Encoding")
	switch {
	case disp != "attachment" && !named && mt == "text/plain" && !w.text:
		b, err := w.read(body, num)
		if err != nil {
			return err
		}
		w.text = true
		w.d.Text = mailtext.Text(dsn.DecodeTransfer(cte, b), w.charset(params["charset"], num))
		return nil
	case disp != "attachment" && !named && mt == "text/html" && !w.html:
		b, err := w.read(body, num)
		if err != nil {
			return err
		}
		w.html = true
		b, cs := dsn.DecodeTransfer(cte, b), w.charset(params["charset"], num)
		if cs == "" && !utf8.Valid(b) {
			// An HTML part that declares its charset only inside, in a
			// <meta> element, read as a browser reads it (the HTML
			// standard's prescan; windows-1252 when nothing says).
			_, cs, _ = charset.DetermineEncoding(b, "text/html")
		}
		w.d.HTML = mailtext.Text(b, cs)
		return nil
	}
	if mt == "message/rfc822" || mt == "message/global" {
		return w.attachedMessage(h, body, num, name, mt, disp)
	}
	size, err := decodedSize(cte, body)
	if err != nil {
		return err
	}
	for _, cs := range mailtext.UnreadCharsets(name) {
		w.note("part %s's file name has an encoded-word in charset %s, which relaylab cannot read: the word is shown as written", num, cs)
	}
	filename := mailtext.Header(name)
	if name == "" {
		filename = w.unreadName(num, h.Get("Content-Disposition"), "filename", h.Get("Content-Type"), "name")
	}
	w.d.Attachments = append(w.d.Attachments, Attachment{Part: num, Filename: filename,
		ContentType: mt, Size: size, Disposition: disp, ContentID: contentID(h.Get("Content-ID"))})
	return nil
}

// unreadName is the file name a part gives that could not be read (the
// disposition's key first, then the type's), as it stands in the field,
// with a note that says so; "" when the part gives none. A name that
// does not parse is still what a mail client will try to show.
func (w *walker) unreadName(num, disp, dkey, ctype, ckey string) string {
	for _, f := range [][2]string{{disp, dkey}, {ctype, ckey}} {
		raw, ext := rawParam(f[0], f[1])
		if raw == "" {
			continue
		}
		if ext {
			// RFC 2231 4: charset'language'value, the value's octets
			// outside token characters written %XX.
			w.note("part %s: the file name could not be decoded (RFC 2231: the %s* parameter must be charset'language' then %%XX or token characters, and this one is not): shown as sent", num, f[1])
		} else {
			// RFC 2045 5.1: a value with a tspecial must be quoted.
			w.note("part %s: the file name could not be read (RFC 2045 5.1: a %s parameter with spaces or characters such as ( ) < > @ , ; : \\ \" / [ ] ? = must be quoted, and this one is not): shown as sent", num, f[1])
		}
		return raw
	}
	return ""
}

// rawParam is the value of parameter key in a Content-Type or
// Content-Disposition value v as written: key=, or RFC 2231's key*= or
// key*0, key*1... sections joined in order, quotes taken off; ext says
// it was written with an asterisk. It reads what mime.ParseMediaType
// refuses, so it splits at every semicolon outside quotes and takes
// each parameter as far as the next one.
func rawParam(v, key string) (raw string, ext bool) {
	_, rest, _ := strings.Cut(v, ";")
	var plain string
	secs := map[int]string{}
	for _, p := range splitOutsideQuotes(rest) {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k, val = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
		}
		switch base, sec, star := strings.Cut(k, "*"); {
		case base != key:
		case !star:
			plain = val
		case sec == "":
			secs[0], ext = val, true
		default:
			n, err := strconv.Atoi(strings.TrimSuffix(sec, "*"))
			if err == nil && n >= 0 && n < 100 {
				secs[n], ext = val, true
			}
		}
	}
	if !ext {
		return plain, false
	}
	var b strings.Builder
	for n := 0; ; n++ { // RFC 2231 3: sections from 0, without a gap
		s, ok := secs[n]
		if !ok {
			break
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// splitOutsideQuotes splits s at the semicolons outside quoted strings.
func splitOutsideQuotes(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// attachedMessage lists a message attached whole (a forward, the
// original in a bounce) with its sender, subject and date, so that it is
// known without opening the .eml; relaylab does not read its parts.
func (w *walker) attachedMessage(h fields, body io.Reader, num, name, mt, disp string) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return errCut
	}
	// RFC 2046 5.2.1 allows message/rfc822 no transfer encoding but 7bit,
	// 8bit or binary; RFC 6532 3.5 allows message/global any.
	b = dsn.DecodeTransfer(h.Get("Content-Transfer-Encoding"), b)
	a := Attachment{Part: num, Filename: mailtext.Header(name), ContentType: mt, Size: int64(len(b)), Disposition: disp}
	if m, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
		from, note := showField("From", m.Header.Get("From"))
		a.Message = &AttachedMessage{From: from, Subject: mailtext.Header(m.Header.Get("Subject")),
			Date: mailtext.Valid(m.Header.Get("Date"))}
		// What the list shows of it gets the notes the message's own
		// fields get (fieldNotes), said of the attached message.
		if note != "" {
			w.note("part %s, an attached message: %s", num, note)
		}
		w.fieldNotes(num, "From", m.Header.Get("From"), note != "")
		w.fieldNotes(num, "Subject", m.Header.Get("Subject"), false)
		w.fieldNotes(num, "Date", m.Header.Get("Date"), false)
	} else {
		w.note("part %s is an attached message whose header relaylab cannot read: it is listed without its sender and subject", num)
	}
	w.d.Attachments = append(w.d.Attachments, a)
	return nil
}

// fieldNotes notes what the attached message of part num cannot show as
// written of its header field name: v (the package's fieldNotes).
func (w *walker) fieldNotes(num, name, v string, asWritten bool) {
	for _, n := range fieldNotes(name, v, asWritten) {
		w.note("part %s, an attached message: %s", num, n)
	}
}

// multipart reads the parts of a multipart, or, when its boundary is
// missing or never found, shows its body as one text part.
func (w *walker) multipart(mt, boundary string, body io.Reader, num string, depth int) error {
	if depth >= maxDepth {
		w.note("part %s nests multiparts more than %d deep: relaylab does not read what is inside", num, maxDepth)
		return nil
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return errCut
	}
	if boundary == "" || !bytes.Contains(b, []byte("--"+boundary)) {
		if boundary == "" {
			w.note("%sthe %s part gives no boundary: the body is shown as one text part", in(num), mt)
		} else {
			w.note("%sthe multipart boundary %q is never found: the body is shown as one text part", in(num), boundary)
		}
		if !w.text {
			w.text = true
			w.d.Text = mailtext.Valid(string(b[:min(len(b), maxPart)]))
		}
		return nil
	}
	if num != "" && !closed(b, boundary) {
		// b ended where the enclosing multipart's boundary stands (a
		// part cut short ends in errCut above): this multipart left out
		// its close-delimiter, which RFC 2046 5.1.1 puts after its last
		// part. Mail clients read its parts up to there, and so does
		// relaylab.
		w.note("part %s: the multipart is not closed (its closing boundary %q is missing; RFC 2046 5.1.1 ends a multipart with it): its parts are read up to the boundary of the multipart it is in",
			num, "--"+boundary+"--")
		nl := "\n"
		if bytes.Contains(b, []byte("\r\n")) {
			nl = "\r\n"
		}
		b = append(b[:len(b):len(b)], nl+"--"+boundary+"--"+nl...)
	}
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	for i := 1; ; i++ {
		child := strconv.Itoa(i)
		if num != "" {
			child = num + "." + child
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err == nil && w.parts >= maxParts {
			w.capped = true
			return nil
		}
		if err == nil {
			w.parts++
			// The reader undoes quoted-printable itself and then drops
			// the header; base64 is left to the part.
			err = w.part(p.Header, p, child, depth+1)
			if w.find != nil && w.find.done() {
				return nil
			}
		}
		if err != nil {
			w.note("%sthe multipart ends before its closing boundary %q (the message is cut short?): part %s and any after it are not read", in(num), "--"+boundary+"--", child)
			return nil
		}
	}
}

// closed says whether b, a multipart's body, holds its close-delimiter:
// a line that is "--" boundary "--", with any white space after it (RFC
// 2046 5.1.1), as mime/multipart reads it.
func closed(b []byte, boundary string) bool {
	end := []byte("--" + boundary + "--")
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if rest, ok := bytes.CutPrefix(line, end); ok && len(bytes.TrimLeft(rest, " \t\r")) == 0 {
			return true
		}
	}
	return false
}

// read is a body part's bytes, at most maxPart of them.
func (w *walker) read(body io.Reader, num string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxPart+1))
	if err != nil {
		return nil, errCut
	}
	if len(b) > maxPart {
		w.note("part %s's text is longer than %d MiB: only the first %d MiB are shown", num, maxPart>>20, maxPart>>20)
		b = b[:maxPart]
	}
	return b, nil
}

// charset is cs, said in a note when relaylab cannot read it.
func (w *walker) charset(cs, num string) string {
	if !mailtext.Known(cs) {
		w.note("part %s declares charset %s, which relaylab cannot read: shown as UTF-8 with \uFFFD for bytes that are not", num, cs)
	}
	return cs
}

// note adds a note, made valid UTF-8 (a charset's name or a file name
// comes from the message).
func (w *walker) note(format string, args ...any) {
	w.d.Notes = append(w.d.Notes, mailtext.Valid(fmt.Sprintf(format, args...)))
}

// in is what starts a note about the multipart numbered num: nothing
// for the message itself.
func in(num string) string {
	if num == "" {
		return ""
	}
	return "part " + num + ": "
}

// decodedSize counts the bytes of a part once its transfer encoding
// (cte) is undone, without keeping them.
func decodedSize(cte string, r io.Reader) (int64, error) {
	var n int64
	var err error
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// RFC 2045 6.8: characters outside the alphabet (line breaks,
		// the padding) are ignored; four characters are three bytes.
		buf := make([]byte, 32<<10)
		for err == nil {
			var k int
			k, err = r.Read(buf)
			for _, c := range buf[:k] {
				if c == '+' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					n++
				}
			}
		}
		n = n * 3 / 4
	case "quoted-printable":
		// A single-part message: a multipart's reader has undone it.
		var b []byte
		b, err = io.ReadAll(r)
		n = int64(len(dsn.DecodeTransfer(cte, b)))
	default:
		n, err = io.Copy(io.Discard, r)
	}
	if err != nil && err != io.EOF {
		return 0, errCut
	}
	return n, nil
}

// partFind is a walk's search for one part, by its number, and what it
// found: the part's bytes with their transfer encoding undone, its media
// type, charset and file name as the message's JSON lists it.
type partFind struct {
	want      string
	seen      []string // the numbers of the parts passed, for a 404
	multipart string   // want is a multipart, of this type
	found     bool
	body      []byte
	mt        string
	charset   string
	filename  string
}

func (f *partFind) done() bool { return f.found || f.multipart != "" }

// leaf reads part num when it is the one sought.
func (f *partFind) leaf(h fields, body io.Reader, num, mt string, params map[string]string) error {
	f.seen = append(f.seen, num)
	if num != f.want {
		return nil
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return errCut
	}
	_, dparams, _, _ := mailtext.MediaType(h.Get("Content-Disposition"))
	f.found, f.mt, f.charset, f.filename = true, mt, params["charset"], partFilename(h, params, dparams)
	// A multipart's reader has undone quoted-printable and dropped the
	// field; base64, and either in a message of one part, is undone here.
	f.body = dsn.DecodeTransfer(h.Get("Content-Transfer-Encoding"), b)
	return nil
}

// partFilename is the file name part() lists for a part: the
// disposition's filename (RFC 6266 4.3), else the type's name, decoded;
// one that cannot be decoded as it stands in the field.
func partFilename(h fields, params, dparams map[string]string) string {
	if name := dparams["filename"]; name != "" {
		return mailtext.Header(name)
	}
	if raw, _ := rawParam(h.Get("Content-Disposition"), "filename"); raw != "" {
		return raw
	}
	if name := params["name"]; name != "" {
		return mailtext.Header(name)
	}
	raw, _ := rawParam(h.Get("Content-Type"), "name")
	return raw
}

// findPart walks raw, a message, for part want (IMAP's number, as the
// JSON's attachments give it); capped says the walk stopped at maxParts.
func findPart(raw []byte, want string) (f *partFind, capped bool) {
	f = &partFind{want: want}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return f, false // shown whole, as text, with no parts
	}
	w := walker{d: &MessageDetail{}, find: f}
	w.part(msg.Header, msg.Body, "", 0)
	return f, w.capped
}

// sinkPart serves one MIME part of a message the sink stored, by its
// number as the message's JSON lists it (attachments[].part; the text
// and HTML bodies' parts too), with its bytes decoded from their
// transfer encoding and its own Content-Type, as a download: an
// attachment whose file name is made safe (safeFilename), under nosniff
// and rawCSP, so that an HTML or SVG part is a file, never a page of
// this origin that could run script.
func (s *Server) sinkPart(w http.ResponseWriter, r *http.Request) {
	writePart(s, w, r, s.opts.Sink, "sink", "/api/v1/sink/messages/")
}

// relayPart serves one MIME part of a message the relay holds, as
// sinkPart does one of the sink's: the message page shows a DSN's report
// parts from it, and links the others as downloads.
func (s *Server) relayPart(w http.ResponseWriter, r *http.Request) {
	writePart(s, w, r, s.opts.Relay, "relay", "/api/v1/messages/")
}

// writePart serves part {part} of message {id} of c, which offers RawAPI
// or is not the component that can; base is where c's messages are in
// the API, for the words of an error.
func writePart(s *Server, w http.ResponseWriter, r *http.Request, c any, component, base string) {
	id, num := r.PathValue("id"), r.PathValue("part")
	if !validPartNumber(num) {
		writeError(w, http.StatusBadRequest, "bad part "+quoteShort(num),
			"a part's number is as the message's JSON gives it in attachments[].part: numbers from 1 joined by dots, such as 2 or 1.2")
		return
	}
	ra, ok := c.(RawAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "the "+component+" cannot give a message's parts",
			"this "+component+" serves no raw messages; its JSON form is at "+base+"{id}")
		return
	}
	raw, err := ra.Raw(r.Context(), id)
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	f, capped := findPart(raw, num)
	if f.multipart != "" {
		writeError(w, http.StatusNotFound, "part "+num+" of message "+id+" is a "+f.multipart,
			"a multipart holds parts and has no bytes of its own: ask for one of its parts ("+num+".1, "+num+".2, ...), or for the whole message at "+base+id+"/raw")
		return
	}
	if !f.found {
		parts := "it has none relaylab can read (it is shown whole, as text)"
		if len(f.seen) > 0 {
			parts = "its parts are " + strings.Join(f.seen[:min(len(f.seen), 30)], ", ")
			if len(f.seen) > 30 {
				parts += ", ..."
			}
		}
		if capped {
			parts += fmt.Sprintf("; relaylab reads its first %d parts and no more", maxParts)
		}
		writeError(w, http.StatusNotFound, "message "+id+" has no part "+num, parts+" (the message's JSON lists them in attachments, the bodies' parts aside)")
		return
	}
	name := safeFilename(f.filename)
	if name == "" {
		name = safeFilename(id + "-part-" + num + partExt(f.mt))
	}
	h := w.Header()
	h.Set("Content-Type", partType(f.mt, f.charset))
	h.Set("Content-Disposition", attachment(name))
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", rawCSP)
	h.Set("X-Content-Type-Options", "nosniff") // secure sets it too; this answer must never lose it
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(f.body)
	}
}

// validPartNumber says whether num is a part number: "2", "1.2", at
// most maxDepth+1 numbers deep.
func validPartNumber(num string) bool {
	secs := strings.Split(num, ".")
	if len(secs) > maxDepth+1 {
		return false
	}
	for _, sec := range secs {
		n, err := strconv.Atoi(sec)
		if err != nil || n < 1 || n > maxParts || sec[0] == '0' || sec[0] == '+' {
			return false
		}
	}
	return true
}

// partType is the Content-Type a part is served with: its media type,
// with its charset for text; application/octet-stream for a type that
// is no token/token.
func partType(mt, cs string) string {
	if strings.HasPrefix(mt, "text/") && cs != "" && isToken(cs) {
		if v := mime.FormatMediaType(mt, map[string]string{"charset": cs}); v != "" {
			return v
		}
	}
	if v := mime.FormatMediaType(mt, nil); v != "" && strings.Count(v, "/") == 1 {
		return v
	}
	return "application/octet-stream"
}

// isToken says whether s is an RFC 2045 token of letters, digits and
// -_.:+ (what charset names are).
func isToken(s string) bool {
	return len(s) <= 64 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+") == ""
}

// partExt is the extension of a part saved without a file name.
func partExt(mt string) string {
	switch mt {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "text/calendar":
		return ".ics"
	case "text/csv":
		return ".csv"
	case "message/delivery-status", "message/global-delivery-status", "text/rfc822-headers", "message/global-headers":
		return ".txt" // a delivery report's text (RFC 3464, RFC 6533)
	case "message/rfc822", "message/global":
		return ".eml"
	case "application/pdf":
		return ".pdf"
	case "application/zip":
		return ".zip"
	case "application/json":
		return ".json"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/svg+xml":
		return ".svg"
	}
	return ".bin"
}

// maxFilename bounds a download's file name, in bytes of UTF-8: file
// systems take 255.
const maxFilename = 200

// safeFilename is a file name from a message made safe to save as: its
// last path segment (after any / or \), without control or format
// characters (a direction override makes "fdp.exe" read "exe.pdf"),
// with _ for the characters Windows refuses (< > : " | ? *), spaces and
// dots trimmed at both ends (a leading dot hides a file, a trailing one
// Windows drops), a Windows device name (CON, NUL, COM1...) prefixed with
// _, cut to maxFilename bytes keeping its extension. "" when nothing is
// left.
func safeFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		stem, ext = name[:i], name[i:]
	}
	if len(name) > maxFilename {
		cut := maxFilename - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], " .")
		name = stem + ext
	}
	base, _, _ := strings.Cut(strings.ToUpper(stem), ".")
	switch strings.TrimRight(base, " ") {
	case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		name = "_" + name
	}
	return name
}

// attachment is the Content-Disposition of a download named name (made
// safe already): an ASCII filename for old clients, each other
// character _ (and %, which some decode), and, when that differs, the
// name itself as RFC 6266 4.3's filename*, UTF-8 percent-encoded as RFC
// 8187 3.2.1 says, which clients that read it prefer.
func attachment(name string) string {
	ascii := []byte(name)
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			b.WriteByte('_')
		} else {
			b.WriteRune(r)
		}
	}
	v := `attachment; filename="` + b.String() + `"`
	if b.String() == name {
		return v
	}
	const attrChar = "!#$&+-.^_`|~" // RFC 8187 3.2.1, besides letters and digits
	var ext strings.Builder
	for _, c := range ascii {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0) {
			ext.WriteByte(c)
		} else {
			fmt.Fprintf(&ext, "%%%02X", c)
		}
	}
	return v + "; filename*=UTF-8''" + ext.String()
}
