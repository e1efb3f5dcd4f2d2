package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// tokenPattern matches anything shaped like a Telegram bot token (<bot id>:<35 chars>),
// with or without the "bot" prefix the API puts in request paths.
var tokenPattern = regexp.MustCompile(`\d{5,}:[A-Za-z0-9_-]{20,}`)

const redacted = "<redacted>"

// Redact removes bot tokens from s: anything token-shaped, and the given secrets
// verbatim (a token may not follow the usual shape, e.g. on a local Bot API server).
// The library's errors can carry request URLs with bot<token> in them, so every error
// and log value passes through here.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return tokenPattern.ReplaceAllString(s, redacted)
}

// redactedError keeps the chain for errors.Is/As while its text is redacted.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactErr(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error(), secrets...), err: err}
}

// RedactingHandler is a slog.Handler that redacts the message and every attribute
// before passing the record on, so no log line can carry the token.
type RedactingHandler struct {
	next    slog.Handler
	secrets []string
}

// NewRedactingHandler wraps next; secrets are removed verbatim on top of token shapes.
func NewRedactingHandler(next slog.Handler, secrets ...string) *RedactingHandler {
	var kept []string
	for _, s := range secrets {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return &RedactingHandler{next: next, secrets: kept}
}

func (h *RedactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message, h.secrets...), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &RedactingHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *RedactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String(), h.secrets...))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Errors, URLs, structs: their text is what a handler would print.
		return slog.String(a.Key, Redact(fmt.Sprint(v.Any()), h.secrets...))
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}
