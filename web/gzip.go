package web

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
)

// gzipMin is the size from which writeJSON compresses an answer for a
// client that takes gzip: below it, the compression's header and work
// weigh more than the bytes it saves. The large answers are lists a
// script polls (/api/v1/sink/attempts is megabytes after a load run).
const gzipMin = 4 << 10

// gzipOK is the ResponseWriter of a request whose client takes gzip
// (Accept-Encoding): writeJSON compresses a large answer to it.
type gzipOK struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection's writer.
func (g gzipOK) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// offerGzip marks the writer of a GET or HEAD whose client takes gzip.
// Requests with a body keep theirs as it is (http.MaxBytesReader tells
// the server through it to close the connection after a body too
// large), and so does a websocket's handshake, which hijacks it.
func offerGzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !websocketRequested(r) && acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w = gzipOK{w}
		}
		next.ServeHTTP(w, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding field takes gzip: named,
// with a weight above 0 (RFC 9110 12.5.3; "gzip;q=0" refuses it).
func acceptsGzip(field string) bool {
	for item := range strings.SplitSeq(field, ",") {
		coding, params, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		name, value, _ := strings.Cut(params, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		return err == nil && q > 0
	}
	return false
}

// writeGzip writes body compressed, with its status; the caller has set
// the other headers.
func writeGzip(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(code)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level: no error
	zw.Write(body)
	zw.Close()
}
