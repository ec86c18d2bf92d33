package web

import (
	"context"
	"net/http"
	"strconv"
)

// RawAPI is offered by a SinkAPI or a RelayAPI that can give a message as
// it holds it: the exact bytes of an RFC 5322 message, for
// .../messages/{id}/raw. Errors are as Message's (ErrInvalid for an id
// that is none, ErrNotFound for a message it does not hold).
type RawAPI interface {
	Raw(ctx context.Context, id string) ([]byte, error)
}

// rawCSP is the policy of a downloaded message: it is an attachment
// under nosniff, never a page, and should a browser show it all the same
// nothing in it may run, load or be framed.
const rawCSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

func (s *Server) relayRaw(w http.ResponseWriter, r *http.Request) {
	writeRaw(s, w, r, s.opts.Relay, "relay")
}

func (s *Server) sinkRaw(w http.ResponseWriter, r *http.Request) {
	writeRaw(s, w, r, s.opts.Sink, "sink")
}

// writeRaw serves the message {id} of c, which offers RawAPI or is not
// the component that can, as message/rfc822 to be saved as a file: what
// the sender wrote is served as it is, and a hostile message (HTML made to
// look like a page, a script) is a download, never rendered here.
func writeRaw(s *Server, w http.ResponseWriter, r *http.Request, c any, component string) {
	ra, ok := c.(RawAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "the "+component+" cannot give a message's raw bytes",
			"this "+component+" serves no raw messages; its JSON form is at the same path without /raw")
		return
	}
	id := r.PathValue("id")
	raw, err := ra.Raw(r.Context(), id)
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	h.Set("Content-Disposition", `attachment; filename="`+emlName(id)+`"`)
	h.Set("Content-Length", strconv.Itoa(len(raw)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", rawCSP)
	h.Set("X-Content-Type-Options", "nosniff") // secure sets it too; this answer must never lose it
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(raw)
	}
}

// emlName is the file name a downloaded message is saved as: its id with
// ".eml", each byte other than a letter, a digit, '.', '-' and '_' made
// '_', so that nothing in an id can end the quoted filename or name a
// directory.
func emlName(id string) string {
	b := []byte(id)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.' && i > 0:
		default:
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		b = []byte("message")
	}
	return string(b) + ".eml"
}
