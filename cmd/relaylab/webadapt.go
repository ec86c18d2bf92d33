package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/quotedprintable"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// The adapters below give the web UI the sink, the relay and the probes
// through web's own narrow interfaces.

var (
	_ web.SinkAPI         = sinkAdapter{}
	_ web.SinkAttemptsAPI = sinkAdapter{}
	_ web.RelayAPI        = relayAdapter{}
	_ web.ProbeAPI        = probeAdapter{}
	_ web.RawAPI          = sinkAdapter{}
	_ web.RawAPI          = relayAdapter{}
)

type sinkAdapter struct {
	sk *sink.Sink
	db *sql.DB
	// classify explains the sink's refusals; nil for the built-in table.
	classify *relay.Classifier
}

func (a sinkAdapter) Rules(context.Context) (web.SinkRules, error) { return rulesText(a.sk.Rules()) }

// rulesText is rules as the rules editor shows them.
func rulesText(rules []sink.Rule) (web.SinkRules, error) {
	if len(rules) == 0 {
		return web.SinkRules{YAML: "[]\n"}, nil
	}
	b, err := yaml.Marshal(rules)
	if err != nil {
		return web.SinkRules{}, err
	}
	return web.SinkRules{YAML: string(b)}, nil
}

var _ web.SinkRulesWarningsAPI = sinkAdapter{}

// RulesWarnings are the warnings of a rules text, the editor's or
// rulesText's, at their lines in it; none for a text the sink refuses,
// whose error says more.
func (a sinkAdapter) RulesWarnings(_ context.Context, text string) []string {
	rules, err := parseEditorRules(text)
	if err != nil {
		return nil
	}
	return ruleWarnings(rules, []byte(text))
}

// ruleWarnings says each rule of rules, read from the editor's text
// data, that never applies, as relaylab config and the sink's log say
// it (sink.ShadowedRules), at its line in data and named from the
// editor's list: "rules:4:3: rules[1]: never applies: rules[0] ...".
func ruleWarnings(rules []sink.Rule, data []byte) []string {
	var out []string
	for _, w := range sink.ShadowedRules("rules", rules, false) {
		out = append(out, config.LocateRoot("rules", "rules", data, w).Error())
	}
	return out
}

func (a sinkAdapter) SetRules(_ context.Context, r web.SinkRules) error {
	rules, err := parseEditorRules(r.YAML)
	if err != nil {
		return fmt.Errorf("%w: %v", web.ErrInvalid, err)
	}
	return rulesError(r, a.sk.SetRules(rules))
}

var _ web.SinkRulesIfAPI = sinkAdapter{}

// SetRulesIf installs r if cond accepts the rules running, as the sink
// tests them and installs r in one step (sink.SetRulesIf): a SIGHUP's
// reload waits for it, and cannot come between the test and the change.
func (a sinkAdapter) SetRulesIf(_ context.Context, r web.SinkRules, cond func(web.SinkRules) bool) (web.SinkRules, bool, error) {
	rules, err := parseEditorRules(r.YAML)
	if err != nil {
		return web.SinkRules{}, false, fmt.Errorf("%w: %v", web.ErrInvalid, err)
	}
	var (
		cur     web.SinkRules
		textErr error
	)
	ok, err := a.sk.SetRulesIf(rules, func(current []sink.Rule) bool {
		cur, textErr = rulesText(current)
		return textErr == nil && cond(cur)
	})
	if textErr != nil {
		return cur, false, textErr
	}
	return cur, ok, rulesError(r, err)
}

// rulesError is the web's error for the sink's refusal of the rules of
// r: invalid input, its key named from the editor's list.
func rulesError(r web.SinkRules, err error) error {
	if err == nil {
		return nil
	}
	// The sink names its keys from the configuration file's root; the
	// editor's text starts at the list.
	var fe *config.FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Key, "sink.rules[") {
		err = config.LocateRoot("rules", "rules", []byte(r.YAML), &config.FieldError{Key: strings.TrimPrefix(fe.Key, "sink."), Msg: fe.Msg})
	}
	return fmt.Errorf("%w: %v", web.ErrInvalid, err)
}

// parseEditorRules reads the rules editor's text, a bare YAML list, as it
// is: an error's line and column point into what the user typed, and its
// key is named from rules ("rules[0].stage").
func parseEditorRules(text string) ([]sink.Rule, error) {
	data := []byte(text)
	// Nesting and size first: the parser's memory grows with the square
	// of the nesting, and this text comes from the web.
	if err := config.CheckShape("rules", data); err != nil {
		return nil, err
	}
	// A rules: section pasted from a configuration file (as the README
	// shows them) is the most likely mistake: say what the editor wants.
	var section map[string]any
	if config.Unmarshal(data, &section) == nil {
		if _, ok := section["rules"]; ok {
			return nil, errors.New("rules:1:1: the editor takes the list of rules itself (\"- stage: rcpt ...\"): remove the \"rules:\" line above it and its indentation")
		}
		if _, ok := section["sink"]; ok {
			return nil, errors.New("rules:1:1: this is the configuration file's layout (a sink: section): the editor takes the list of rules itself (\"- stage: rcpt ...\"): remove the \"sink:\" and \"rules:\" lines above it and their indentation")
		}
	}
	var rules []sink.Rule
	if err := config.DecodeRoot("rules", "rules", data, &rules); err != nil {
		return nil, err
	}
	// The same text again, for the checks of each rule; their keys start
	// with rules too.
	if _, err := sink.ParseRules(data); err != nil {
		var located *config.Error // placed in the editor's text already
		if errors.As(err, &located) {
			return nil, err
		}
		return nil, config.LocateRoot("rules", "rules", data, err)
	}
	return rules, nil
}

func (a sinkAdapter) Sessions(ctx context.Context, f web.SessionFilter) ([]web.SinkSession, error) {
	sf := sink.SessionFilter{Listener: f.Listener, Limit: f.Limit,
		Client: f.Client, HELO: f.HELO, Sender: f.Sender, Recipient: f.Recipient, Text: f.Text}
	if err := sf.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", web.ErrInvalid, err)
	}
	if f.Before != "" {
		id, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || id <= 0 {
			// 0 and below read as no cursor at all: the first page.
			return nil, fmt.Errorf("%w: before=%q is not a session id: give the id (a positive integer) of the last session of the page before", web.ErrInvalid, f.Before)
		}
		sf.BeforeID = id
	}
	ss, err := sink.ListSessions(ctx, a.db, sf)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 && f.Listener != "" {
		if err := a.knownListener(ctx, f.Listener); err != nil {
			return nil, err
		}
	}
	out := make([]web.SinkSession, 0, len(ss))
	for _, s := range ss {
		out = append(out, sessionDTO(s))
	}
	if err := a.sessionOutcomes(ctx, out, true); err != nil {
		return nil, err
	}
	return out, nil
}

var _ web.SessionCountAPI = sinkAdapter{}

// SessionCount counts the sessions the sink recorded, of listener or of
// all when it is "".
func (a sinkAdapter) SessionCount(ctx context.Context, listener string) (int, error) {
	// Without a WHERE, SQLite counts the rows of the smallest index.
	query, args := `SELECT COUNT(*) FROM sink_sessions`, []any{}
	if listener != "" {
		query, args = query+` WHERE listener = ?`, []any{listener}
	}
	var n int
	if err := a.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sink: counting sessions: %w", err)
	}
	return n, nil
}

// knownListener is an ErrInvalid naming the listeners there are when
// name is neither one of the sink's listeners nor the listener of a
// session in the store (one of a configuration since changed), so that
// a misspelt listener= is not an empty list that passes for no sessions.
func (a sinkAdapter) knownListener(ctx context.Context, name string) error {
	names := map[string]bool{}
	if a.sk != nil {
		for n := range a.sk.HostPorts() {
			names[n] = true
		}
	}
	rows, err := a.db.QueryContext(ctx, `SELECT DISTINCT listener FROM sink_sessions`)
	if err != nil {
		return fmt.Errorf("sink: listeners of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		names[n] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if names[name] {
		return nil
	}
	list := slices.Sorted(maps.Keys(names))
	known := "the sink has no listener and the store no session"
	if len(list) > 0 {
		known = "the listeners are " + strings.Join(list, ", ")
	}
	return fmt.Errorf("%w: listener=%q: no sink listener has that name, and no session came from one; %s (sink.listeners[].name)", web.ErrInvalid, name, known)
}

// sessionOutcomes fills in, for each session, the reply that ended its
// last recipient's attempt (the 452 4.2.2 of a full mailbox, not the 221
// to QUIT), or the 421 the sink closed the session with (sessionClosings),
// and, with messages, the ids of every message it accepted, from the
// sink's tables: without them a list of sessions says nothing of what
// happened. A 4xx or 5xx last reply comes with the classifier's
// explanation. A session's page reads its attempts and messages a page at
// a time instead (sessionPage).
func (a sinkAdapter) sessionOutcomes(ctx context.Context, out []web.SinkSession, messages bool) error {
	if len(out) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(out))
	args := make([]any, 0, len(out))
	for i, s := range out {
		id, err := strconv.ParseInt(s.ID, 10, 64) // sessionDTO wrote it
		if err != nil {
			return fmt.Errorf("sink session id %q: %w", s.ID, err)
		}
		idx[id] = i
		args = append(args, id)
	}
	if messages {
		if err := a.sessionMessages(ctx, out, idx, args); err != nil {
			return err
		}
	}
	rows, err := a.db.QueryContext(ctx, lastAttemptsSQL(len(args)), args...)
	if err != nil {
		return fmt.Errorf("sink: last attempts of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess int64
		var stage, enhanced, text string
		var code int
		if err := rows.Scan(&sess, &stage, &code, &enhanced, &text); err != nil {
			return err
		}
		i, ok := idx[sess]
		if !ok {
			continue
		}
		s := &out[i]
		s.LastReply = attemptReply(stage, code, enhanced, text)
		v, _ := a.explainReply(stage, code, enhanced, text)
		s.Category, s.Reason, s.Advice = v.Category, v.Reason, v.Advice
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := a.sessionClosings(ctx, out, idx, args); err != nil {
		return err
	}
	if messages {
		// The list's sessions: who they were from and to.
		if err := a.sessionEnvelopes(ctx, out, idx, args); err != nil {
			return err
		}
	}
	if err := a.sessionRefusals(ctx, out, idx); err != nil {
		return err
	}
	return a.sessionHandshakes(ctx, out, idx)
}

// withoutLastReply is the ids of the sessions of out (idx: id to index)
// that have no last reply yet, for a query that looks for one.
func withoutLastReply(out []web.SinkSession, idx map[int64]int) []any {
	var args []any
	for id, i := range idx {
		if out[i].LastReply == "" {
			args = append(args, id)
		}
	}
	return args
}

// sessionHandshakes gives each session still without a last reply that
// ended in a failed TLS handshake that failure as its outcome, with the
// sink's reason and fix from its transcript (sink.HandshakeFailure): its
// last reply is otherwise the 220 to STARTTLS, or none under implicit
// TLS, which says nothing of why a client that does not trust the
// listener's certificate sent no mail.
func (a sinkAdapter) sessionHandshakes(ctx context.Context, out []web.SinkSession, idx map[int64]int) error {
	args := withoutLastReply(out, idx)
	if len(args) == 0 {
		return nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT id, transcript FROM sink_sessions
		WHERE id IN (?`+strings.Repeat(",?", len(args)-1)+`) AND instr(transcript, ?) > 0`, append(args, sink.HandshakeMark)...)
	if err != nil {
		return fmt.Errorf("sink: failed handshakes of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess int64
		var transcript string
		if err := rows.Scan(&sess, &transcript); err != nil {
			return err
		}
		f, ok := sink.HandshakeFailure(transcript)
		if !ok {
			continue
		}
		s := &out[idx[sess]]
		s.LastReply = "TLS handshake failed: " + f.Err
		s.Category, s.Reason, s.Advice = sink.TLSFailureCategory, f.Reason, f.Advice
	}
	return rows.Err()
}

// sessionClosings gives each session that the sink closed with a reply
// (its record's last reply is a 421: RFC 5321 3.8, the sink closes
// after it, as past limits.max_refused_recipients or at its idle
// timeout) that reply as its last, explained at its stage: the reply
// that ended the session, not the 550 of the last recipient's attempt
// before it, which its attempts still show.
func (a sinkAdapter) sessionClosings(ctx context.Context, out []web.SinkSession, idx map[int64]int, args []any) error {
	rows, err := a.db.QueryContext(ctx, `SELECT id, COALESCE(replies ->> '$[#-1].stage', ''), COALESCE(replies ->> '$[#-1].enhanced', ''),
			COALESCE(replies ->> '$[#-1].text', '')
		FROM sink_sessions WHERE id IN (?`+strings.Repeat(",?", len(args)-1)+`) AND json_valid(replies) AND (replies ->> '$[#-1].code') = 421`, args...)
	if err != nil {
		return fmt.Errorf("sink: closing replies of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess int64
		var stage, enhanced, text string
		if err := rows.Scan(&sess, &stage, &enhanced, &text); err != nil {
			return err
		}
		i, ok := idx[sess]
		if !ok {
			continue
		}
		s := &out[i]
		s.LastReply = attemptReply(stage, 421, enhanced, text)
		v, _ := a.explainReply(stage, 421, enhanced, text)
		s.Category, s.Reason, s.Advice = v.Category, v.Reason, v.Advice
	}
	return rows.Err()
}

// listMessageIDs is the most message ids a session of the list carries:
// a session that looped MAIL, RCPT and DATA can hold tens of thousands,
// which its own page gives a page at a time (SessionPage).
const listMessageIDs = 100

// sessionMessages fills in the ids of the first listMessageIDs messages
// each session of the list accepted, and MessagesTotal where it has more.
func (a sinkAdapter) sessionMessages(ctx context.Context, out []web.SinkSession, idx map[int64]int, args []any) error {
	rows, err := a.db.QueryContext(ctx, `SELECT session_id, id, n FROM (
		SELECT session_id, id, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY id) AS k, COUNT(*) OVER (PARTITION BY session_id) AS n
		FROM sink_messages WHERE session_id IN (?`+strings.Repeat(",?", len(args)-1)+`)) WHERE k <= ? ORDER BY id`, append(args, listMessageIDs)...)
	if err != nil {
		return fmt.Errorf("sink: messages of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess, id int64
		var n int
		if err := rows.Scan(&sess, &id, &n); err != nil {
			return err
		}
		if i, ok := idx[sess]; ok {
			out[i].Messages = append(out[i].Messages, strconv.FormatInt(id, 10))
			if n > listMessageIDs {
				out[i].MessagesTotal = &n
			}
		}
	}
	return rows.Err()
}

// sessionRefusals gives each session without a recipient's attempt (one
// refused at its greeting, EHLO, AUTH or MAIL, or by a limit) its last
// 4xx or 5xx reply, from the replies its record keeps with their stages,
// explained at that stage: a 535 at AUTH is an authentication failure,
// a 554 at the greeting a refused greeting.
func (a sinkAdapter) sessionRefusals(ctx context.Context, out []web.SinkSession, idx map[int64]int) error {
	args := withoutLastReply(out, idx)
	if len(args) == 0 {
		return nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT s.id, COALESCE(j.value ->> 'stage', ''), j.value ->> 'code',
			COALESCE(j.value ->> 'enhanced', ''), COALESCE(j.value ->> 'text', '')
		FROM sink_sessions s, json_each(s.replies) j
		WHERE s.id IN (?`+strings.Repeat(",?", len(args)-1)+`) AND json_valid(s.replies) AND (j.value ->> 'code') >= 400
		ORDER BY s.id, j.key`, args...)
	if err != nil {
		return fmt.Errorf("sink: replies of sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sess int64
		var stage, enhanced, text string
		var code int
		if err := rows.Scan(&sess, &stage, &code, &enhanced, &text); err != nil {
			return err
		}
		s := &out[idx[sess]]
		s.LastReply = attemptReply(stage, code, enhanced, text)
		v, _ := a.explainReply(stage, code, enhanced, text)
		s.Category, s.Reason, s.Advice = v.Category, v.Reason, v.Advice
	}
	return rows.Err()
}

// lastAttemptsSQL selects the last attempt (by id) of each of n
// sessions, with the session's id: the greatest id of the session in the
// sink_attempts_session index (session_id, id), which SQLite finds by one
// seek to the end of the session's range, then that row by its id. One
// attempt is read a session, however many it made: reading them all to
// keep the last, as the list did, made every page that showed a session
// of 100,000 attempts slow.
func lastAttemptsSQL(n int) string {
	return `SELECT s.id, a.stage, a.code, a.enhanced, a.text
		FROM sink_sessions s JOIN sink_attempts a ON a.id = (SELECT MAX(x.id) FROM sink_attempts x WHERE x.session_id = s.id)
		WHERE s.id IN (?` + strings.Repeat(",?", n-1) + `)`
}

// sessionAttemptPageSQL selects a page of one session's attempts after
// a cursor (session, after, limit), in the order they were made, through
// the sink_attempts_session index.
const sessionAttemptPageSQL = `SELECT id, recipient, stage, code, enhanced, text, COALESCE(reply_by, ''), attempt
	FROM sink_attempts WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`

// attemptReply is one attempt's ending as a line: "452 4.2.2 text (at
// rcpt)", or what happened when no reply was sent.
func attemptReply(stage string, code int, enhanced, text string) string {
	if code == 0 {
		if text != "" {
			// The sink says why: the client left, or it dropped or hung
			// on purpose, and by which directive or rule.
			return "no reply: " + text
		}
		return "no reply (dropped or hung) at " + stage
	}
	parts := []string{strconv.Itoa(code)}
	if enhanced != "" {
		parts = append(parts, enhanced)
	}
	if text != "" {
		parts = append(parts, text)
	}
	return strings.Join(parts, " ") + " (at " + stage + ")"
}

// Replies counts the sink's replies for the web's reports, as
// relaylab report counts them.
func (a sinkAdapter) Replies(ctx context.Context) (web.SinkReplyTally, error) {
	t, err := sink.CountReplies(ctx, a.db)
	if err != nil {
		return web.SinkReplyTally{}, err
	}
	out := web.SinkReplyTally{Sessions: t.Sessions, Counts: make([]web.SinkReplyCount, len(t.Counts))}
	for i, c := range t.Counts {
		out.Counts[i] = web.SinkReplyCount{Stage: string(c.Stage), Code: c.Code, Count: c.Count}
	}
	return out, nil
}

var _ web.SinkRepliesAPI = sinkAdapter{}

func (a sinkAdapter) Attempts(ctx context.Context) ([]web.SinkAttempt, error) {
	atts, err := sink.AllAttempts(ctx, a.db)
	if err != nil {
		return nil, err
	}
	// Read after the attempts: a reset between the two marks more of
	// them, never one it did not make uncounted.
	reset, err := sink.LastReset(ctx, a.db)
	if err != nil {
		return nil, err
	}
	ids, err := messageIDsOf(ctx, a.db, atts)
	if err != nil {
		return nil, err
	}
	out := make([]web.SinkAttempt, 0, len(atts))
	for _, a := range atts {
		out = append(out, attemptDTO(a, reset, ids))
	}
	return out, nil
}

var _ web.SinkAttemptPagesAPI = sinkAdapter{}

// AttemptPage reads a page of the sink's attempts by id, for
// /api/v1/sink/attempts?limit=...
func (a sinkAdapter) AttemptPage(ctx context.Context, q web.AttemptPageQuery) ([]web.PagedAttempt, error) {
	atts, ids, err := sink.AttemptPage(ctx, a.db, q.After, q.Before, q.Limit, q.OldestFirst)
	if err != nil {
		return nil, err
	}
	reset, err := sink.LastReset(ctx, a.db) // after the attempts, as Attempts reads it
	if err != nil {
		return nil, err
	}
	mids, err := messageIDsOf(ctx, a.db, atts)
	if err != nil {
		return nil, err
	}
	out := make([]web.PagedAttempt, len(atts))
	for i, at := range atts {
		out[i] = web.PagedAttempt{ID: ids[i], SinkAttempt: attemptDTO(at, reset, mids)}
	}
	return out, nil
}

// attemptDTO is a sink attempt as the web gives it; reset is the last
// session the last reset made uncounted, mids the Message-IDs of the
// sink's messages by number (messageIDsOf).
func attemptDTO(a sink.Attempt, reset int64, mids map[int64]string) web.SinkAttempt {
	return web.SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client, Sender: a.Sender, Recipient: a.Recipient,
		Stage: string(a.Stage), Code: a.Reply.Code, Enhanced: a.Reply.Enhanced, Text: a.Reply.Text, TLS: a.TLS, Message: a.Message,
		MessageID: mids[a.Message], By: a.By, Session: a.Session, Attempt: a.Number, BeforeReset: a.Session <= reset}
}

// messageIDsOf are the Message-IDs of the messages atts left, by the
// sink's number for each (those without one left out): one read of the
// messages between the lowest and the highest number, which a page of
// attempts keeps close together.
func messageIDsOf(ctx context.Context, db *sql.DB, atts []sink.Attempt) (map[int64]string, error) {
	lo, hi := int64(0), int64(0)
	for _, a := range atts {
		if a.Message == 0 {
			continue
		}
		if lo == 0 || a.Message < lo {
			lo = a.Message
		}
		hi = max(hi, a.Message)
	}
	if lo == 0 {
		return map[int64]string{}, nil
	}
	return messageIDsBetween(ctx, db, lo, hi)
}

// messageIDsBetween are the Message-IDs of the sink's messages numbered
// lo to hi, by number, those without one left out: a sender's retries of
// one message keep its Message-ID, which tells them from another message
// to the same recipient (reports.FromSink).
func messageIDsBetween(ctx context.Context, db *sql.DB, lo, hi int64) (map[int64]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, message_id FROM sink_messages WHERE id BETWEEN ? AND ? AND message_id != ''`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("sink: reading the Message-IDs of its messages: %w", err)
	}
	defer rows.Close()
	ids := map[int64]string{}
	for rows.Next() {
		var id int64
		var mid string
		if err := rows.Scan(&id, &mid); err != nil {
			return nil, err
		}
		ids[id] = mid
	}
	return ids, rows.Err()
}

func sessionDTO(s sink.Session) web.SinkSession {
	return web.SinkSession{
		ID: strconv.FormatInt(s.ID, 10), Listener: s.Listener, Client: s.Client, HELO: s.HELO,
		TLS: s.TLS != "", Auth: s.AuthUser, Start: s.Start, End: s.End,
	}
}

// Session is SessionPage's first page.
func (a sinkAdapter) Session(ctx context.Context, id string) (web.SinkSession, error) {
	return a.SessionPage(ctx, id, web.SessionPageQuery{})
}

var _ web.SessionPageAPI = sinkAdapter{}

// SessionPage is one session with its transcript and a page of its
// attempts and message ids, for /api/v1/sink/sessions/{id}.
func (a sinkAdapter) SessionPage(ctx context.Context, id string, q web.SessionPageQuery) (web.SinkSession, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return web.SinkSession{}, fmt.Errorf("%w: %q is not a session id: a sink session's id is a positive integer", web.ErrInvalid, id)
	}
	s, err := sink.SessionByID(ctx, a.db, n)
	if errors.Is(err, sql.ErrNoRows) {
		return web.SinkSession{}, fmt.Errorf("%w: no sink session %d", web.ErrNotFound, n)
	}
	if err != nil {
		return web.SinkSession{}, err
	}
	out := sessionDTO(s)
	out.Transcript = parseTranscript(s.Start, s.Transcript)
	one := []web.SinkSession{out}
	if err := a.sessionOutcomes(ctx, one, false); err != nil {
		return web.SinkSession{}, err
	}
	out = one[0]
	if err := a.sessionPage(ctx, &out, n, q); err != nil {
		return web.SinkSession{}, err
	}
	// A session without recipients and without a refusal ends with its
	// last reply.
	for i := len(out.Transcript) - 1; i >= 0 && out.LastReply == ""; i-- {
		if out.Transcript[i].Dir == "s" {
			out.LastReply = out.Transcript[i].Text
			v, _ := a.explainLine(out.LastReply)
			out.Category, out.Reason, out.Advice = v.Category, v.Reason, v.Advice
		}
	}
	return out, nil
}

// sessionPage fills in a page of session n's attempts and message ids,
// oldest first, after q's cursors: each read through its index by
// (session_id, id), one more than the page to know whether more are
// left; then how many there are in all, counted after the pages, so
// that a session still writing shows no more than its total.
func (a sinkAdapter) sessionPage(ctx context.Context, out *web.SinkSession, n int64, q web.SessionPageQuery) error {
	limit := q.Limit
	if limit <= 0 {
		limit = web.DefaultSessionPage
	}
	rows, err := a.db.QueryContext(ctx, sessionAttemptPageSQL, n, q.AttemptsAfter, limit+1)
	if err != nil {
		return fmt.Errorf("sink: attempts of session %d: %w", n, err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(out.Attempts) == limit {
			out.AttemptsNext = strconv.FormatInt(last, 10)
			break
		}
		var rcpt, stage, enhanced, text, by string
		var code, number int
		if err := rows.Scan(&last, &rcpt, &stage, &code, &enhanced, &text, &by, &number); err != nil {
			return err
		}
		v, _ := a.explainReply(stage, code, enhanced, text)
		out.Attempts = append(out.Attempts, web.SessionAttempt{Recipient: rcpt, Reply: attemptReply(stage, code, enhanced, text),
			Category: v.Category, Reason: v.Reason, Advice: v.Advice, By: by, Attempt: number})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	ids, err := a.db.QueryContext(ctx, `SELECT id FROM sink_messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`, n, q.MessagesAfter, limit+1)
	if err != nil {
		return fmt.Errorf("sink: messages of session %d: %w", n, err)
	}
	defer ids.Close()
	out.Messages = nil
	for ids.Next() {
		if len(out.Messages) == limit {
			out.MessagesNext = out.Messages[limit-1]
			break
		}
		var id int64
		if err := ids.Scan(&id); err != nil {
			return err
		}
		out.Messages = append(out.Messages, strconv.FormatInt(id, 10))
	}
	if err := ids.Err(); err != nil {
		return err
	}
	ids.Close()
	var attempts, messages int
	if err := a.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sink_attempts WHERE session_id = ?), (SELECT COUNT(*) FROM sink_messages WHERE session_id = ?)`,
		n, n).Scan(&attempts, &messages); err != nil {
		return fmt.Errorf("sink: counting the attempts and messages of session %d: %w", n, err)
	}
	out.AttemptsTotal, out.MessagesTotal = &attempts, &messages
	return nil
}

// parseTranscript reads the sink's transcript lines: "SECONDS DIR TEXT",
// DIR C (client), S (server) or * (a note).
func parseTranscript(start time.Time, tr string) []web.Line {
	var out []web.Line
	for _, line := range strings.Split(strings.TrimRight(tr, "\n"), "\n") {
		secs, rest, ok := strings.Cut(line, " ")
		f, err := strconv.ParseFloat(secs, 64)
		if !ok || err != nil || len(rest) < 2 {
			out = append(out, web.Line{Dir: "*", Text: line})
			continue
		}
		dir := map[byte]string{'C': "c", 'S': "s"}[rest[0]]
		if dir == "" {
			dir = "*"
		}
		out = append(out, web.Line{Time: start.Add(time.Duration(f * float64(time.Second))), Dir: dir, Text: strings.TrimPrefix(rest[1:], " ")})
	}
	return out
}

func (a sinkAdapter) Message(ctx context.Context, id string) (web.MessageDetail, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return web.MessageDetail{}, fmt.Errorf("%w: %q is not a sink message id: a sink message id is a positive integer, as in /api/v1/sink/messages/42", web.ErrInvalid, id)
	}
	m, err := sink.MessageByID(ctx, a.db, n)
	if errors.Is(err, sql.ErrNoRows) {
		return web.MessageDetail{}, a.noMessage(ctx, n)
	}
	if err != nil {
		return web.MessageDetail{}, err
	}
	d := messageDetail(m.Raw)
	d.ID, d.From, d.To, d.Received, d.Size = id, m.From, m.To, m.Time, int64(m.Size)
	d.Mail = &web.MailDeclared{Body: m.MailBody, SMTPUTF8: m.SMTPUTF8, Unknown: m.MailParamsUnknown}
	d.SinkNotes = m.Notes
	return d, nil
}

// Raw is the message's bytes as the sink stored them.
func (a sinkAdapter) Raw(ctx context.Context, id string) ([]byte, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("%w: %q is not a sink message id: a sink message id is a positive integer, as in /api/v1/sink/messages/42", web.ErrInvalid, id)
	}
	m, err := sink.MessageByID(ctx, a.db, n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, a.noMessage(ctx, n)
	}
	if err != nil {
		return nil, err
	}
	return m.Raw, nil
}

// messageDetail is the web's one reading of a message's text: each
// part in its declared charset, bad bytes U+FFFD (web.DecodeMessage).
func messageDetail(raw []byte) web.MessageDetail { return web.DecodeMessage(raw) }

type relayAdapter struct {
	rl *relay.Relay
	// refuse, when not "", is why the API may not submit: see
	// apiSubmitRefusal.
	refuse string
	// nets are relay.allowed_networks, by which an unauthenticated
	// caller's own address is judged, as the submission listener judges
	// a client's; nil when callers authenticate (web.token, web.user).
	nets []netip.Prefix
}

// apiClientNets are the networks whose callers may submit through the
// API without authenticating (relay.allowed_networks), or nil when the
// API takes only authenticated callers.
func apiClientNets(cfg *fileConfig) []netip.Prefix {
	if cfg.Web.Token != "" || cfg.Web.User != "" {
		return nil
	}
	var out []netip.Prefix
	for _, n := range cfg.Relay.AllowedNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// clientRefusal says why an unauthenticated caller at client (host:port)
// may not submit, or "" when relay.allowed_networks covers it. Callers
// reach the web on loopback, but not all on 127.0.0.1: with
// allowed_networks [127.0.0.1/32], 127.0.0.2 got a 530 at the submission
// port and a 202 from the API (walk M).
func (a relayAdapter) clientRefusal(client string) string {
	if a.nets == nil {
		return ""
	}
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return "" // not a TCP caller (a test's in-process request)
	}
	ip := ap.Addr().Unmap()
	for _, p := range a.nets {
		if p.Contains(ip) {
			return ""
		}
	}
	return fmt.Sprintf("the relay takes mail from %s only after AUTH (relay.allowed_networks does not cover it), and this API's callers, with no web.token or web.user set, are unauthenticated: "+
		"set web.token (a caller that gives it counts as authenticated), or add %s to relay.allowed_networks", ip, ip)
}

// apiSubmitRefusal says why the web API may not queue mail under cfg, or
// "" when it may. A caller that gave web.token or web.user's password
// counts as authenticated, as an SMTP client after AUTH does. Without
// them the web answers only on loopback, so its callers count as
// loopback clients of the submission listener: they may submit only
// where relay.allowed_networks lets a loopback client send without
// AUTH, or the API would be a way around a policy that asks everyone to
// authenticate.
func apiSubmitRefusal(cfg *fileConfig) string {
	if cfg.Web.Token != "" || cfg.Web.User != "" {
		return ""
	}
	from, allowed := localClient(cfg.Web.Listen, cfg.Relay.AllowedNetworks)
	if allowed {
		return ""
	}
	return fmt.Sprintf("the relay takes mail from %s only after AUTH (relay.allowed_networks does not cover it), and this API's callers, with no web.token or web.user set, are unauthenticated %s clients: "+
		"set web.token (a caller that gives it counts as authenticated), or add 127.0.0.0/8 to relay.allowed_networks", from, from)
}

func (a relayAdapter) Enqueue(ctx context.Context, m web.EnqueueRequest) (string, error) {
	if a.refuse != "" {
		return "", fmt.Errorf("%w: %s", web.ErrForbidden, a.refuse)
	}
	if why := a.clientRefusal(m.Client); why != "" {
		return "", fmt.Errorf("%w: %s", web.ErrForbidden, why)
	}
	if len(m.To) == 0 {
		return "", fmt.Errorf("%w: a message needs at least one recipient in \"to\"", web.ErrInvalid)
	}
	// A built message's From field is its sender (RFC 5322 3.6.2 wants
	// a mailbox: "From: <>" is none), and so is the address its bounces
	// go back to: without one, both went out empty and the bounces
	// vanished. The null reverse-path stays for raw, whose own From
	// field says who wrote it, as a bounce or an auto-reply is sent.
	if m.From == "" && m.Raw == "" {
		return "", fmt.Errorf("%w: from: a message built from subject, text, html and headers needs a sender, local-part@domain: "+
			"it is the message's From field (RFC 5322 3.6.2) and the address its bounces return to (MAIL FROM); "+
			"to send with the null reverse-path (MAIL FROM:<>, RFC 5321 4.5.5) as a bounce is sent, give the whole message as raw, with its own From field, and \"from\": \"\"", web.ErrInvalid)
	}
	for _, addr := range append([]string{m.From}, m.To...) {
		if addr != "" && !strings.Contains(addr, "@") {
			return "", fmt.Errorf("%w: %q is not an address (local@domain)", web.ErrInvalid, addr)
		}
	}
	// Data's lines end in CRLF (relay.Submission); JSON writers often
	// send LF, which would go out as bare LFs (RFC 5321 2.3.8).
	data := []byte(crlfLines(m.Raw))
	if m.Raw == "" {
		var err error
		if data, err = buildWebMessage(m); err != nil {
			return "", err
		}
	}
	sub := relay.Submission{From: m.From, Data: data, Client: "http"}
	for _, to := range m.To {
		sub.Recipients = append(sub.Recipients, relay.Recipient{Address: to})
	}
	id, err := a.rl.Enqueue(ctx, sub)
	switch {
	case errors.Is(err, relay.ErrInvalidSubmission):
		return "", fmt.Errorf("%w: %v", web.ErrInvalid, err)
	case err != nil:
		// The store refused it (a full disk): the client may try again
		// (503), where a 400 told it the message was at fault.
		return "", fmt.Errorf("%w: the message was not queued: %v", web.ErrUnavailable, err)
	}
	return id, nil
}

// buildWebMessage writes an RFC 5322 message from the request's fields,
// its header fields folded or encoded into lines a hop takes (RFC 5322
// 2.1.1, webadapt_header.go). A field that cannot be is an ErrInvalid
// that names it.
func buildWebMessage(m web.EnqueueRequest) ([]byte, error) {
	var b bytes.Buffer
	from, err := foldField("From", "<"+m.From+">")
	if err != nil {
		return nil, fmt.Errorf("%w: from: %v", web.ErrInvalid, err)
	}
	b.WriteString(from)
	to, err := foldField("To", addressList(m.To))
	if err != nil {
		return nil, fmt.Errorf("%w: to: %v", web.ErrInvalid, err)
	}
	b.WriteString(to)
	subject, _ := literalField("Subject", m.Subject, true) // encoded-words always fold
	b.WriteString(subject)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%d.web@relaylab.localhost>\r\nMIME-Version: 1.0\r\n", time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	for i, h := range m.Headers {
		f, err := extraField(h.Name, strings.NewReplacer("\r", " ", "\n", " ").Replace(h.Value))
		if err != nil {
			return nil, fmt.Errorf("%w: headers[%d]: %v", web.ErrInvalid, i, err)
		}
		b.WriteString(f)
	}
	if m.HTML == "" {
		writeTextPart(&b, "text/plain", m.Text)
		return b.Bytes(), nil
	}
	var text, html bytes.Buffer
	writeTextPart(&text, "text/plain", m.Text)
	writeTextPart(&html, "text/html", m.HTML)
	boundary := mimeBoundary(rand.Reader, text.Bytes(), html.Bytes())
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	b.Write(text.Bytes())
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	b.Write(html.Bytes())
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// mimeBoundary is a multipart boundary that occurs in none of parts, as
// RFC 2046 5.1.1 requires: a fixed one let a text that held it end its
// part early and put parts of its own in the message (its HTML in place
// of the real one). It is random, from random, and drawn again in the
// unlikely case that a part holds it.
func mimeBoundary(random io.Reader, parts ...[]byte) string {
	for {
		var n [12]byte
		if _, err := io.ReadFull(random, n[:]); err != nil {
			panic("relaylab: no random bytes for a MIME boundary: " + err.Error()) // crypto/rand does not fail
		}
		boundary := "relaylab-" + hex.EncodeToString(n[:])
		if !slices.ContainsFunc(parts, func(p []byte) bool { return bytes.Contains(p, []byte(boundary)) }) {
			return boundary
		}
	}
}

// writeTextPart writes a part's Content-Type, the empty line and text.
// Text that is not 7-bit ASCII in lines of at most 998 characters goes
// quoted-printable (RFC 2045 6.7), so that every hop can carry it: 8-bit
// data needs 8BITMIME of every next hop (RFC 6152), and a longer line is
// one a hop may refuse (RFC 5321 4.5.3.1.6).
func writeTextPart(b *bytes.Buffer, typ, text string) {
	fmt.Fprintf(b, "Content-Type: %s; charset=utf-8\r\n", typ)
	if sevenBitLines(text) {
		fmt.Fprintf(b, "\r\n%s\r\n", crlfLines(text))
		return
	}
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(text)) // a bytes.Buffer does not fail
	w.Close()
	b.WriteString("\r\n")
}

// sevenBitLines reports whether s is ASCII without NUL or a lone CR, in
// lines of at most 998 characters: what a part may carry as it is.
func sevenBitLines(s string) bool {
	line := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			line = 0
			continue
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			continue
		case c == 0 || c == '\r' || c > 126:
			return false
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

// crlfLines ends every line of s in CRLF, whether it ended in LF or CRLF.
func crlfLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func (a relayAdapter) Queue(ctx context.Context, f web.QueueFilter) ([]web.QueueEntry, error) {
	ms, err := a.rl.List(ctx, relay.QueueFilter{State: "waiting", Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	return queueEntries(ms, ""), nil
}

var _ web.QueuePageAPI = relayAdapter{}

// QueuePage is a page of the queue as relaylab queue list pages it
// (relay.ListPage). A cursor naming no message the relay knows is the
// caller's mistake, not a missing object: a 400.
func (a relayAdapter) QueuePage(ctx context.Context, f web.QueueFilter) (web.QueuePage, error) {
	state := f.State
	switch state {
	case "":
		state = "waiting"
	case "all":
		state = ""
	}
	p, err := a.rl.ListPage(ctx, relay.QueueFilter{State: state, Limit: f.Limit, Recipient: f.Recipient, Domain: f.Domain,
		Oldest: f.Oldest, After: f.After, BeforeID: f.Before})
	if errors.Is(err, relay.ErrNotFound) {
		return web.QueuePage{}, fmt.Errorf("%w: %v; page from the first page again (leave out after and before)", web.ErrInvalid, err)
	}
	if err != nil {
		return web.QueuePage{}, err
	}
	return web.QueuePage{Entries: queueEntries(p.Messages, state), Total: p.Total, More: p.More, Earlier: p.Earlier}, nil
}

// waitingState reports whether a recipient in state s still waits:
// queued, deferred, in flight, or held by hand.
func waitingState(s string) bool {
	switch s {
	case relay.StateQueued, relay.StateDeferred, relay.StateInflight, relay.StateHeld:
		return true
	}
	return false
}

// queueEntries are the web's entries of ms. Each lists its waiting
// recipients, held ones too (a message held whole listed none); with
// state one of the finished states, those in it as well, and with ""
// (every message), every recipient.
func queueEntries(ms []relay.MessageInfo, state string) []web.QueueEntry {
	out := make([]web.QueueEntry, 0, len(ms))
	for _, m := range ms {
		e := web.QueueEntry{ID: m.ID, From: m.Sender, Subject: m.Subject, Queued: m.Created}
		for _, r := range m.Recipients {
			waits := waitingState(r.State)
			if !waits && state != "" && r.State != state {
				continue
			}
			e.Recipients = append(e.Recipients, r.Address)
			// Host is where an attempt went (web.QueueRecipient): the
			// relay no longer records one for a hold, but stores written
			// before named the path's host for a recipient its shaping
			// held, though nothing was sent there.
			host := r.Host
			if r.Attempts == 0 || r.Reply.Stage == "shaping" || r.Reply.Local || r.Reply.Code == 0 && r.Reply.Text == "" {
				host = ""
			}
			qr := web.QueueRecipient{Address: r.Address, State: r.State, Attempts: r.Attempts,
				Path: r.Path, Host: host, Category: r.Category, Reason: r.Reason, Advice: r.Advice,
				NotBegun:  relay.WaitsForTurn(r),
				LastReply: web.QueueReply{Stage: r.Reply.Stage, Code: r.Reply.Code, Enhanced: r.Reply.Enhanced, Text: r.Reply.Text}}
			if waits {
				qr.NextAttempt = r.Due
			}
			if r.Hold != nil {
				qr.Hold = r.Hold.Text
			}
			if h := r.OperatorHold; h != nil {
				qr.OperatorHold = &web.OperatorHold{By: h.By, Since: h.Since, Note: h.Note}
			}
			e.Waiting = append(e.Waiting, qr)
			e.Attempts = max(e.Attempts, r.Attempts)
			if waits && !r.Due.IsZero() && (e.NextAttempt.IsZero() || r.Due.Before(e.NextAttempt)) {
				e.NextAttempt = r.Due
			}
			switch {
			case r.Reply.Code == 0 && r.Reply.Stage == "":
				e.LastReply = r.Reply.Text // no reply, and no stage to name
			case r.Reply.Code != 0 || r.Reply.Text != "":
				e.LastReply = r.Reply.String()
			}
		}
		out = append(out, e)
	}
	return out
}

func (a relayAdapter) QueueDepth(ctx context.Context) (int, error) { return a.rl.Depth(ctx) }

var _ web.QueueCountAPI = relayAdapter{}

func (a relayAdapter) QueueMessages(ctx context.Context) (int, error) { return a.rl.Waiting(ctx) }

var (
	_ web.QueueAgeAPI     = relayAdapter{}
	_ web.InProgressAPI   = relayAdapter{}
	_ web.OpenSessionsAPI = sinkAdapter{}
)

func (a relayAdapter) OldestWaiting(ctx context.Context) (time.Duration, error) {
	return a.rl.OldestWaiting(ctx)
}

func (a relayAdapter) InProgress() (sessions, deliveries int) { return a.rl.InProgress() }

func (a sinkAdapter) OpenSessions() int { return a.sk.OpenSessions() }

var (
	_ web.SinkListenersAPI  = sinkAdapter{}
	_ web.RelayListenersAPI = relayAdapter{}
)

func (a sinkAdapter) ListenerURLs() map[string]string { return a.sk.URLs() }

func (a relayAdapter) SubmissionURL() string {
	if addr := a.rl.Addr(); addr != nil {
		return "smtp://" + addr.String()
	}
	return ""
}

func (a relayAdapter) Message(ctx context.Context, id string) (web.MessageDetail, error) {
	m, err := a.rl.Message(ctx, id)
	if errors.Is(err, relay.ErrNotFound) {
		return web.MessageDetail{}, fmt.Errorf("%w: no relay message %q", web.ErrNotFound, id)
	}
	if err != nil {
		return web.MessageDetail{}, err
	}
	d := messageDetail(m.Data)
	d.ID, d.From, d.Received, d.Size, d.DSNFor = m.ID, m.Sender, m.Created, int64(m.Size), m.DSNFor
	for _, r := range m.Recipients {
		d.To = append(d.To, r.Address)
	}
	return d, nil
}

// Raw is the message's bytes as the relay queued them (it signs with
// DKIM as it sends, so without a signature of its own).
func (a relayAdapter) Raw(ctx context.Context, id string) ([]byte, error) {
	m, err := a.rl.Message(ctx, id)
	if errors.Is(err, relay.ErrNotFound) {
		return nil, fmt.Errorf("%w: no relay message %q", web.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

func (a relayAdapter) RetryNow(ctx context.Context, id string) error {
	_, err := a.RetryNowHeld(ctx, id)
	return err
}

var _ web.RetryHoldsAPI = relayAdapter{}

// RetryNowHeld retries the message as relaylab queue retry does, and
// says which recipients the relay's own shaping still holds: read before
// the retry, which moves every due time to now (relay.Holds).
func (a relayAdapter) RetryNowHeld(ctx context.Context, id string) (web.Retry, error) {
	held, err := a.rl.Holds(ctx, id)
	if err != nil {
		return web.Retry{}, err
	}
	n, err := a.rl.RetryNow(ctx, id)
	var he *relay.HeldError
	if errors.As(err, &he) {
		// An API caller releases by the API, not by the CLI.
		he.Release = "POST /api/v1/queue/" + id + "/release"
	}
	switch {
	case errors.Is(err, relay.ErrNotFound):
		return web.Retry{}, fmt.Errorf("%w: no relay message %q", web.ErrNotFound, id)
	case errors.Is(err, relay.ErrNotWaiting):
		return web.Retry{}, fmt.Errorf("%w: %v", web.ErrInvalid, err)
	case err != nil:
		return web.Retry{}, err
	}
	out := web.Retry{Waiting: n}
	for _, h := range held {
		rh := web.RetryHeld{Address: h.Address, Until: h.Until.UTC(), Hold: h.Reply.Text}
		if !h.Expires.IsZero() {
			at := h.Expires.UTC()
			rh.Expires = &at
		}
		out.Held = append(out.Held, rh)
	}
	return out, nil
}

func (a relayAdapter) Delete(ctx context.Context, id string) error {
	err := a.rl.DeleteBy(ctx, id, "the web API")
	switch {
	case errors.Is(err, relay.ErrNotFound):
		return fmt.Errorf("%w: no relay message %q", web.ErrNotFound, id)
	case errors.Is(err, relay.ErrNotWaiting):
		// Finished mail keeps its history: the caller asked for the
		// wrong thing, the server did not fail.
		return fmt.Errorf("%w: %v", web.ErrInvalid, err)
	case errors.Is(err, relay.ErrInFlight):
		// An attempt is under way: not now (409), not a failure.
		return fmt.Errorf("%w: %v", web.ErrConflict, err)
	}
	return err
}

func (a relayAdapter) Suppressions(ctx context.Context) ([]web.Suppression, error) {
	ss, err := a.rl.Suppressions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.Suppression, 0, len(ss))
	for _, s := range ss {
		out = append(out, web.Suppression{Address: s.Address, Reason: strings.TrimSpace(s.Category + ": " + s.Reason), Since: s.Created})
	}
	return out, nil
}

func (a relayAdapter) ClearSuppressions(ctx context.Context) (int, error) {
	return a.rl.ClearSuppressions(ctx)
}

func (a relayAdapter) Unsuppress(ctx context.Context, address string) error {
	ok, err := a.rl.Unsuppress(ctx, address)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s is not suppressed", web.ErrNotFound, address)
	}
	return nil
}

var _ web.QueueHoldAPI = relayAdapter{}

// Hold holds by hand, as relaylab queue hold does.
func (a relayAdapter) Hold(ctx context.Context, id, rcpt, by, note string) ([]string, error) {
	held, err := a.rl.HoldBy(ctx, id, rcpt, by, note)
	return held, holdError(id, err)
}

// Release releases a hold by hand, as relaylab queue release does.
func (a relayAdapter) Release(ctx context.Context, id, rcpt, by string) ([]string, error) {
	released, err := a.rl.ReleaseBy(ctx, id, rcpt, by)
	return released, holdError(id, err)
}

var _ web.QueueHoldersAPI = relayAdapter{}

// OperatorHolds lists the message's recipients held by hand, as
// relaylab queue hold names them when they are already held.
func (a relayAdapter) OperatorHolds(ctx context.Context, id string) ([]web.RecipientHold, error) {
	holds, err := a.rl.OperatorHolds(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]web.RecipientHold, 0, len(holds))
	for _, h := range holds {
		out = append(out, web.RecipientHold{Address: h.Address, OperatorHold: web.OperatorHold{By: h.By, Since: h.Since, Note: h.Note}})
	}
	return out, nil
}

// holdError is the web's kind of a hold's or a release's error: a
// message the relay lacks is a 404; a finished message (nothing waits to
// hold or release), or a recipient the message does not have, the
// caller's mistake (400, with the relay's explanation); a recipient in
// flight, not now (409). Mail already held, or not held, is no error.
func holdError(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, relay.ErrNotFound):
		return fmt.Errorf("%w: no relay message %q", web.ErrNotFound, id)
	case errors.Is(err, relay.ErrInFlight):
		return fmt.Errorf("%w: %v", web.ErrConflict, err)
	case errors.Is(err, relay.ErrNotWaiting), errors.Is(err, relay.ErrNotHeld), errors.Is(err, relay.ErrNoRecipient):
		return fmt.Errorf("%w: %v", web.ErrInvalid, err)
	}
	return err
}

// Accepting says, for /readyz, whether each of the sink's listeners
// accepts connections (nil) or why not; none without a running sink.
func (a sinkAdapter) Accepting() map[string]error {
	if a.sk == nil {
		return nil
	}
	return a.sk.Accepting()
}

// Accepting says, for /readyz, whether each of the relay's submission
// listeners accepts connections (nil) or why not: "submission"
// (relay.listen) and "tls" (relay.tls_listen), checked as relay:NAME.
func (a relayAdapter) Accepting() map[string]error {
	if a.rl == nil {
		return nil
	}
	return a.rl.Accepting()
}

var (
	_ web.ListenerStateAPI = sinkAdapter{}
	_ web.ListenerStateAPI = relayAdapter{}
)

// SubmissionRefusals gives /metrics what the relay's submission port
// refused: relaying denied, and failed AUTH.
func (a relayAdapter) SubmissionRefusals() (relayingDenied, authFailed uint64) {
	return a.rl.SubmissionRefusals()
}

var _ web.SubmissionRefusalsAPI = relayAdapter{}
