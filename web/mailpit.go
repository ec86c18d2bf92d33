package web

import (
	"net/http"
	"strings"
)

// A test suite ported from Mailpit calls Mailpit's paths first. Those
// that are no endpoint here, or that mean something else here, are
// answered with relaylab's equivalent in the error's detail, so that the
// 404 (or 400, 405) says what to call instead of only that it is wrong.

// mailpitInbox ends the hints: where relaylab keeps what Mailpit catches.
const mailpitInbox = "relaylab's sink keeps what Mailpit catches: its messages are under /api/v1/sink/messages (see /openapi.yaml)"

// relayMessages says what Mailpit's /api/v1/messages is here.
const relayMessages = "/api/v1/messages here is the relay's outgoing messages"

// mailpitListHint is what GET /api/v1/messages answers with beside the
// relay's outgoing messages, in its mailpitHintHeader: the same call
// lists what Mailpit caught, and a client ported from it that finds the
// list empty, or of other mail, is told where the sink's is.
const mailpitListHint = relayMessages + ", not the mail the sink caught: Mailpit's GET /api/v1/messages is relaylab's GET /api/v1/sink/messages (q= searches, as Mailpit's /api/v1/search; see /openapi.yaml)"

// mailpitHintHeader carries a hint on a success, whose body is left as
// it is for the clients that parse it.
const mailpitHintHeader = "X-Relaylab-Hint"

// hintMailpitList is list, GET /api/v1/messages, answering with
// mailpitListHint in mailpitHintHeader: the list itself is not changed.
func hintMailpitList(list http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(mailpitHintHeader, mailpitListHint)
		list(w, r)
	}
}

// mailpitHint is what relaylab calls Mailpit's method and path: a
// sentence for an error's detail, or "" when path is none of Mailpit's.
func mailpitHint(method, path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/message/")
	switch {
	case ok:
		id, sub, _ := strings.Cut(rest, "/")
		if id == "" {
			break
		}
		return messageHint(path, id, sub, "", mailpitInbox)
	case strings.HasPrefix(path, "/view/"):
		return viewHint(path, mailpitInbox)
	case path == "/api/v1/send":
		return "Mailpit's POST /api/v1/send has no endpoint here: send to the sink by SMTP (sink.listeners, 127.0.0.1:2525 by default); POST /api/v1/messages queues a message in the relay, which sends it by its routes"
	case path == "/api/v1/chaos":
		return "Mailpit's " + method + " /api/v1/chaos has no endpoint here: its chaos triggers are the sink's rules, at any stage of a session (GET and PUT /api/v1/sink/rules, or sink.rules and SIGHUP), or directives in the recipient address"
	case path == "/api/v1/tags" || strings.HasPrefix(path, "/api/v1/tags/"):
		return "Mailpit's " + method + " " + path + " has none here: the sink keeps no tags; search its messages with GET /api/v1/sink/messages?q=... instead"
	case path == "/api/v1/search" && method == "DELETE":
		return `Mailpit's DELETE /api/v1/search?query=... is relaylab's DELETE /api/v1/sink/messages with the body {"query": "..."}; ` + mailpitInbox
	case path == "/api/v1/search":
		return "Mailpit's GET /api/v1/search?query=... is relaylab's GET /api/v1/sink/messages?q=... (the same kinds of terms: from:, to:, subject:, plain words); " + mailpitInbox
	case path == "/api/v1/messages" && method == "DELETE":
		return `Mailpit's DELETE /api/v1/messages is relaylab's DELETE /api/v1/sink/messages (no body: every message; {"ids": [...]}: those); ` + relayMessages
	case path == "/api/v1/messages" && method == "PUT":
		return "the sink keeps no read state (Mailpit's PUT /api/v1/messages marks messages read); " + relayMessages
	}
	return ""
}

// messageHint is relaylab's equivalent of Mailpit's path, one of
// message id's: sub is what follows the id ("", "raw", "part/2", "html",
// ...), htmlNote what to add to the body.html it names, and inbox the
// sentence that ends every hint.
func messageHint(path, id, sub, htmlNote, inbox string) string {
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
	case "html":
		eq += "/body.html" + htmlNote
	case "link-check", "html-check", "sa-check":
		return "this is Mailpit's " + path + ": relaylab has none (no link, HTML or SpamAssassin check); with sink.verify.enabled: true the sink checks SPF, DKIM and DMARC of each message instead, given as auth in GET " + eq
	default:
		return "this is Mailpit's " + path + "; " + inbox
	}
	what := "Mailpit's GET " + path + " is relaylab's GET " + eq
	if id == "latest" {
		what += " (with q= for the newest that a search matches, and wait= to wait for it)"
	}
	return what + "; " + inbox
}

// viewHint is relaylab's equivalent of Mailpit's /view/{ID}.html,
// .raw or .txt (path), as messageHint says those of its API.
func viewHint(path, inbox string) string {
	id, ext, _ := strings.Cut(strings.TrimPrefix(path, "/view/"), ".")
	switch {
	case id == "" || strings.Contains(id, "/") || ext != "html" && ext != "raw" && ext != "txt":
		return "this is Mailpit's " + path + "; " + inbox
	case ext == "txt":
		return "Mailpit's GET " + path + " is relaylab's GET /api/v1/sink/messages/" + id + " (its JSON's text); " + inbox
	}
	return messageHint(path, id, ext, " (sandboxed, under its own CSP)", inbox)
}

// mailpitParamHint is the detail to add to the 400 of query parameter
// name on method and path when Mailpit takes it there.
func mailpitParamHint(method, path, name string) string {
	if method == "GET" && path == "/api/v1/messages" && (name == "query" || name == "start") {
		return "; " + relayMessages + ": Mailpit's GET /api/v1/messages?query=... is relaylab's GET /api/v1/sink/messages?q=..., the sink's inbox"
	}
	if name == "query" && strings.HasPrefix(path, "/api/v1/sink/messages") {
		return " (Mailpit's query is q here: " + path + "?q=...)"
	}
	return ""
}
