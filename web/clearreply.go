package web

// DotReply is the sink's reply after the final dot to its message id as
// the inbox shows it ("250 2.0.0 Message accepted as 13", or what
// happened instead: inbox.go dotReply), for the adapters that describe
// the same message elsewhere (the copies of /api/v1/messages/{id}/received),
// so that both say it alike.
func DotReply(id int64, code int, enhanced, text string) string {
	return dotReply(id, code, enhanced, text)
}
