package web

import "strings"

// A test suite ported from Mailpit calls Mailpit's paths first. Those
// that are no endpoint here, or that mean something else here, are
// answered with relaylab's equivalent in the error's detail, so that the
// 404 (or 400, 405) says what to call instead of only that it is wrong.

// mailpitHint is what relaylab calls Mailpit's method and path: a
// sentence for an error's detail, or "" when path is none of Mailpit's.
func mailpitHint(method, path string) string {
	const inbox = "relaylab's sink keeps what Mailpit catches: its messages are under /api/v1/sink/messages (see /openapi.yaml)"
	rest, ok := strings.CutPrefix(path, "/api/v1/message/")
	switch {
	case ok:
		id, sub, _ := strings.Cut(rest, "/")
		if id == "" {
			break
		}
		eq := "/api/v1/sink/messages/" + id
		switch head, _, _ := strings.Cut(sub, "/"); head {
		case "", "headers":
			// The message's JSON has its headers.
		case "raw", "source":
			eq += "/raw"
		case "part":
			part, rest, _ := strings.Cut(strings.TrimPrefix(sub, "part/"), "/")
			if rest != "" {
				// A thumbnail (part/N/thumb): relaylab makes none.
				return "this is Mailpit's " + path + ": relaylab makes no thumbnails; GET /api/v1/sink/messages/" + id + "/parts/" + part + " downloads the part; " + inbox
			}
			eq += "/parts/" + part
		case "html", "html-check":
			eq += "/body.html"
		default:
			return "this is Mailpit's " + path + "; " + inbox
		}
		what := "Mailpit's GET " + path + " is relaylab's GET " + eq
		if id == "latest" {
			what += " (with q= for the newest that a search matches, and wait= to wait for it)"
		}
		return what + "; " + inbox
	case path == "/api/v1/search" && method == "DELETE":
		return `Mailpit's DELETE /api/v1/search?query=... is relaylab's DELETE /api/v1/sink/messages with the body {"query": "..."}; ` + inbox
	case path == "/api/v1/search":
		return "Mailpit's GET /api/v1/search?query=... is relaylab's GET /api/v1/sink/messages?q=... (the same kinds of terms: from:, to:, subject:, plain words); " + inbox
	case path == "/api/v1/messages" && method == "DELETE":
		return `Mailpit's DELETE /api/v1/messages is relaylab's DELETE /api/v1/sink/messages (no body: every message; {"ids": [...]}: those); /api/v1/messages here is the relay's outgoing messages`
	case path == "/api/v1/messages" && method == "PUT":
		return "the sink keeps no read state (Mailpit's PUT /api/v1/messages marks messages read); /api/v1/messages here is the relay's outgoing messages"
	}
	return ""
}

// mailpitParamHint is the detail to add to the 400 of query parameter
// name on method and path when Mailpit takes it there.
func mailpitParamHint(method, path, name string) string {
	if method == "GET" && path == "/api/v1/messages" && (name == "query" || name == "start") {
		return "; /api/v1/messages here is the relay's outgoing messages: Mailpit's GET /api/v1/messages?query=... is relaylab's GET /api/v1/sink/messages?q=..., the sink's inbox"
	}
	return ""
}
