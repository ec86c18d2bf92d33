package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/events"
)

// apiError is the body of every error the API returns.
type apiError struct {
	Error  string `json:"error"`            // what went wrong
	Detail string `json:"detail,omitempty"` // why, and what to do
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The same answer may go out compressed or not (offerGzip).
	h.Add("Vary", "Accept-Encoding")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// <, > and & stay as they are, so a detail like "Bearer <token>" reads
	// as written: JSON goes out as application/json under nosniff and
	// pageCSP, and the UI puts every value into the page as text.
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	if _, ok := w.(gzipOK); ok && buf.Len() >= gzipMin {
		writeGzip(w, code, buf.Bytes())
		return
	}
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// marshalJSON is json.Marshal without the escaping of <, > and &, as
// writeJSON writes: the websocket's events read like the REST API's.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeError(w http.ResponseWriter, code int, msg, detail string) {
	writeJSON(w, code, apiError{Error: msg, Detail: detail})
}

// writeAPIError maps an error from a component to a status: ErrInvalid is
// 400, ErrNotFound 404, anything else 500.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, what+": invalid input", detail(err, ErrInvalid))
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, what+": not found", detail(err, ErrNotFound))
	case errors.Is(err, ErrForbidden):
		writeError(w, http.StatusForbidden, what+": forbidden", detail(err, ErrForbidden))
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, what+": not now", detail(err, ErrConflict))
	case errors.Is(err, ErrUnavailable):
		s.log.Warn("web: "+what+" failed for now", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, what+": try again later", detail(err, ErrUnavailable))
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, what+": request canceled", err.Error())
	default:
		s.log.Error("web: "+what+" failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, what+" failed", err.Error())
	}
}

// detail is err's text without the kind the error line already says
// ("invalid input: rules:2:3: ..." becomes "rules:2:3: ...").
func detail(err, kind error) string {
	return strings.TrimPrefix(err.Error(), kind.Error()+": ")
}

func notRunning(w http.ResponseWriter, component string) {
	writeError(w, http.StatusServiceUnavailable, "the "+component+" is not running",
		"this relaylab process was started without the "+component+"; run `relaylab serve` with it enabled")
}

// maxBody caps request bodies: rules and messages, not uploads;
// openapi.yaml gives it as the 413 of each endpoint that takes a body.
const maxBody = 10 << 20

// readJSON decodes a JSON request body into v, strictly.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "the body must be JSON", "send Content-Type: application/json, not "+strconv.Quote(ct))
			return false
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if tooLarge(w, r, err) {
			return false
		}
		writeError(w, http.StatusBadRequest, "the body cannot be read", err.Error())
		return false
	}
	if why := notUTF8(data); why != "" {
		writeError(w, http.StatusBadRequest, "the body is not UTF-8", why)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if tooLarge(w, r, err) {
			return false
		}
		writeError(w, http.StatusBadRequest, "the body is not valid JSON for this endpoint", decodeDetail(err, v))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		if tooLarge(w, r, err) {
			return false
		}
		writeError(w, http.StatusBadRequest, "the body is not valid JSON for this endpoint", "extra data after the JSON value")
		return false
	}
	if key := duplicateKey(data); key != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the body gives %q twice", key),
			fmt.Sprintf("each key of a JSON object is given once (RFC 8259 4), whatever the case of its letters, as each key of a YAML mapping is: "+
				"the API does not pick one of the two values for you; give %s once", key))
		return false
	}
	return true
}

// duplicateKey is the path ("headers[1].name") of the first key that an
// object in the JSON value data gives twice, its letters in any case, as
// encoding/json matches a key to a field (the last one given won); ""
// when none does. data has decoded already.
func duplicateKey(data []byte) string {
	type objKey struct {
		object int    // jsonItem.object
		key    string // in lower case
	}
	seen := map[objKey]bool{}
	dup := ""
	walkJSON(data, func(v jsonItem) bool {
		if !v.key {
			return true
		}
		k := objKey{v.object, strings.ToLower(v.tok.(string))}
		if seen[k] {
			dup = v.path
			return false
		}
		seen[k] = true
		return true
	})
	return dup
}

// jsonItem is a key, or a value other than an object or an array, in a
// JSON value that walkJSON reads.
type jsonItem struct {
	// path is where it stands ("headers[1].name"): a key's path is that
	// of the value it names.
	path   string
	key    bool
	object int // a key's object: 1 for the first object the text opens, 2 for the next...
	tok    json.Token
	// start and end are its bytes in the JSON text, start counting the
	// white space and separator before it.
	start, end int64
}

// walkJSON calls visit for each key and each value other than an object
// or an array in data, a JSON value, in order, until visit returns false
// or the text ends or stops being JSON.
func walkJSON(data []byte, visit func(jsonItem) bool) {
	type level struct {
		path string
		obj  int    // the object's number (jsonItem.object); 0 in an array
		n    int    // an array's elements so far
		key  string // the key whose value comes next
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*level
	objects := 0
	// at is the path of the value that comes next.
	at := func() string {
		if len(stack) == 0 {
			return ""
		}
		l := stack[len(stack)-1]
		if l.obj == 0 {
			return fmt.Sprintf("%s[%d]", l.path, l.n)
		}
		if l.path == "" {
			return l.key
		}
		return l.path + "." + l.key
	}
	// done ends a value: the key it was for, or the array element.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if l := stack[len(stack)-1]; l.obj != 0 {
			l.key = ""
		} else {
			l.n++
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return
		}
		top := (*level)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				objects++
				stack = append(stack, &level{path: at(), obj: objects})
				continue
			case '[':
				stack = append(stack, &level{path: at()})
				continue
			}
			stack = stack[:len(stack)-1]
			done()
			continue
		case string:
			if top != nil && top.obj != 0 && top.key == "" {
				top.key = t
				if !visit(jsonItem{path: at(), key: true, object: top.obj, tok: t, start: start, end: dec.InputOffset()}) {
					return
				}
				continue
			}
		}
		if !visit(jsonItem{path: at(), tok: tok, start: start, end: dec.InputOffset()}) {
			return
		}
		done() // a value other than an object or an array
	}
}

// notUTF8 says where data, a request's JSON text, first holds a byte
// that is not UTF-8, and what to do; "" when it is all UTF-8.
// encoding/json would take such a byte in a string as U+FFFD, so that
// the text sent (a message's body, a rule's reply) would silently not be
// the one stored.
func notUTF8(data []byte) string {
	if utf8.Valid(data) {
		return ""
	}
	at := 0
	for at < len(data) {
		r, n := utf8.DecodeRune(data[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	where := "the body"
	walkJSON(data, func(v jsonItem) bool {
		if int64(at) < v.start || int64(at) >= v.end {
			return int64(at) >= v.end
		}
		if _, ok := v.tok.(string); ok {
			where = strconv.Quote(v.path)
			if v.key {
				where = "the key " + where
			}
		}
		return false
	})
	return fmt.Sprintf("%s: byte %d of the body (0x%02X) is not UTF-8, and a JSON text must be UTF-8 (RFC 8259 8.1); "+
		"relaylab does not guess another charset, nor take the byte as U+FFFD: send the text in UTF-8 (or a character as a \\uXXXX escape)",
		where, at+1, data[at]) // counted from 1, as decodeDetail's "at byte N" is
}

// decodeDetail says what was wrong with a body that did not decode into
// v: for a value of the wrong type, the field's JSON path, the JSON type
// given and the shape wanted ("headers": a JSON object was given, where a
// list of {"name": string, "value": string} is wanted), where it said
// "json: cannot unmarshal object into Go struct field
// EnqueueRequest.headers of type []web.Header"; for broken JSON, where.
func decodeDetail(err error, v any) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the body"
		} else {
			field = strconv.Quote(field)
		}
		return fmt.Sprintf("%s: %s was given, where %s is wanted; see /openapi.yaml for the body this endpoint takes",
			field, jsonKind(te.Value), jsonShape(te.Type, 0))
	case errors.As(err, &se):
		return fmt.Sprintf("the body is not JSON: %s, at byte %d", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.EOF):
		return fmt.Sprintf("the body is empty: send %s", jsonShape(reflect.TypeOf(v), 0))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends inside its JSON value: send the whole of it"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names the JSON type of a value UnmarshalTypeError.Value
// describes ("object", "array", "string", "number", "bool", or a number's
// text).
func jsonKind(v string) string {
	switch v {
	case "object", "array", "string", "bool":
		return "a JSON " + v
	case "number":
		return "a number"
	}
	if strings.HasPrefix(v, "number") {
		return "the number" + strings.TrimPrefix(v, "number") // "number -1" for a uint
	}
	return v
}

// jsonShape says in JSON's terms what a value of type t is written as:
// a list of {"name": string, "value": string} for []Header.
func jsonShape(t reflect.Type, depth int) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		el := jsonShape(t.Elem(), depth+1)
		if plain, ok := strings.CutPrefix(el, "a "); ok {
			el = plain + "s" // a list of strings
		} else if plain, ok := strings.CutPrefix(el, "an "); ok {
			el = plain + "s"
		}
		return "a list of " + el
	case reflect.Map:
		return "an object of " + strings.TrimPrefix(jsonShape(t.Elem(), depth+1), "a ") + " values"
	case reflect.Struct:
		if depth > 1 {
			return "an object"
		}
		var fields []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, strconv.Quote(name)+": "+strings.TrimPrefix(jsonShape(f.Type, depth+1), "a "))
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	return "a JSON value"
}

// tooLarge answers 413 when err is the body passing maxBody, saying the
// limit, instead of calling a body cut there bad JSON.
func tooLarge(w http.ResponseWriter, r *http.Request, err error) bool {
	var mb *http.MaxBytesError
	if !errors.As(err, &mb) {
		return false
	}
	writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d MiB", mb.Limit>>20),
		fmt.Sprintf("%s %s takes a JSON body of at most %d bytes (%d MiB), its encoding included; "+
			"submit a larger message over SMTP (the relay's submission listener, `relaylab send`), which relay.max_message_bytes limits",
			r.Method, r.URL.Path, mb.Limit, mb.Limit>>20))
	return true
}

// queryInt parses an optional non-negative integer parameter.
func queryInt(r *http.Request, name string, def, max int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a non-negative integer", name, v)
	}
	if max > 0 && n > max {
		return 0, fmt.Errorf("%s=%d: at most %d", name, n, max)
	}
	return n, nil
}

// queryLimit parses an optional limit=, the most items of a page: 0, as
// none, is the default def, on every endpoint alike (it gave 1,000 events
// on /api/v1/events and no message on /api/v1/messages).
func queryLimit(r *http.Request, def, max int64) (int64, error) {
	n, err := queryInt(r, "limit", def, max)
	if err == nil && n == 0 {
		n = def
	}
	return n, err
}

// validKind reports whether k looks like an event kind or a kind prefix
// ("relay.").
func validKind(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c == '.' || c == '_' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// eventKinds are the kinds of event the log holds (internal/events, and
// sink.reset of sink/): a kind= filter names one of them, or a
// prefix of some, so that a misspelt kind is a 400 and not an empty page.
var eventKinds = []string{
	events.SinkSession, events.SinkReply, events.SinkMessage, events.SinkBounce, events.SinkRules, events.SinkReloadFailed, "sink.reset", events.SinkDeleted,
	events.RelayQueued, events.RelayAttempt, events.RelayDelivered, events.RelayDeferred, events.RelayBounced,
	events.RelayExpired, events.RelaySuppressed, events.RelayDSN, events.RelayDSNReceived, events.RelayRecovered,
	events.RelayHeld, events.RelayReleased, events.RelayRestEnded,
	events.ProbeResult, events.ProbeChanged, events.ProbeWebhookDelivered, events.ProbeWebhookFailed,
}

// knownKind reports whether k is one of eventKinds, or a prefix of one
// that ends in a dot.
func knownKind(k string) bool {
	for _, kind := range eventKinds {
		if k == kind || strings.HasSuffix(k, ".") && strings.HasPrefix(kind, k) {
			return true
		}
	}
	return false
}

// parseFilter reads after, kind, message, recipient and limit.
func parseFilter(r *http.Request) (events.Filter, error) {
	var f events.Filter
	q := r.URL.Query()
	var err error
	if f.AfterID, err = queryInt(r, "after", 0, 0); err != nil {
		return f, err
	}
	limit, err := queryLimit(r, 100, 5000)
	if err != nil {
		return f, err
	}
	f.Limit = int(limit)
	for _, v := range q["kind"] {
		for k := range strings.SplitSeq(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				// An empty item filtered nothing, as if it were not there:
				// kind=, (or a blank) gave every kind of event.
				return f, fmt.Errorf("kind=%q: an empty kind (a comma too many, or a blank): give kinds separated by commas, such as kind=relay.bounced,relay.deferred, "+
					"or leave kind out for every kind", v)
			}
			if !validKind(k) || !knownKind(k) {
				return f, fmt.Errorf("kind=%q: not an event kind nor the prefix of one ending in a dot (relay.); the kinds are %s", k, strings.Join(eventKinds, ", "))
			}
			f.Kinds = append(f.Kinds, k)
		}
	}
	f.Message = q.Get("message")
	f.Recipient = q.Get("recipient")
	if f.Recipient != "" {
		if why := recipientFault(f.Recipient); why != "" {
			return f, fmt.Errorf("recipient=%q: %s", f.Recipient, why)
		}
	}
	return f, nil
}

// recipientFault says why a recipient filter can match no recipient the
// log holds, or "": one without an @ (but postmaster, RFC 5321 4.5.1),
// and one with a space outside a quoted local part, which is most likely
// a + that the query decoded as a space (HTML forms' encoding, which
// Go's and most servers' query parsing follow).
func recipientFault(addr string) string {
	outside := addr // addr without a quoted local part, which may hold spaces
	if strings.HasPrefix(addr, `"`) {
		if end := strings.IndexByte(addr[1:], '"'); end >= 0 {
			outside = addr[end+2:]
		}
	}
	if strings.Contains(outside, " ") {
		return fmt.Sprintf("a + in a query must be written %%2B: %s has a space where the address likely has + "+
			"(recipient=%s); a space is allowed only inside a quoted local part", addr, strings.ReplaceAll(addr, " ", "%2B"))
	}
	if !strings.Contains(addr, "@") && !strings.EqualFold(addr, "postmaster") {
		return "not an address, so no event names it: give a recipient address like user@example.com (a + in it written %2B)"
	}
	return ""
}

func encodeEvent(e events.Event) ([]byte, error) { return marshalJSON(e) }
