package models

import (
	"fmt"
	"time"
)

// SendErrorKind says what the outbox should do about a failed send, without the outbox
// knowing which Telegram library produced the failure.
type SendErrorKind int

const (
	// Temporary failures (5xx, network, timeouts) are retried with backoff, forever.
	Temporary SendErrorKind = iota
	// RateLimited is a 429: wait RetryAfter, then send again.
	RateLimited
	// Blocked means the chat cannot receive messages (bot blocked, kicked, chat not
	// found): stop sending to it.
	Blocked
	// Unparseable means Telegram rejected the HTML: send the text again as plain text.
	Unparseable
	// TooLong means the text is over Telegram's length limit: split it.
	TooLong
	// Permanent is any other rejection (4xx): retried a few times, then dropped.
	Permanent
)

var sendErrorKindNames = [...]string{"temporary", "rate-limited", "blocked", "unparseable", "too-long", "permanent"}

func (k SendErrorKind) String() string {
	if k >= 0 && int(k) < len(sendErrorKindNames) {
		return sendErrorKindNames[k]
	}
	return fmt.Sprintf("SendErrorKind(%d)", int(k))
}

// SendError is a failed send, classified. A Sender returns it so the outbox can decide
// between retrying, waiting, rewriting and dropping.
type SendError struct {
	Kind       SendErrorKind
	RetryAfter time.Duration // for RateLimited: how long Telegram asked to wait (0: unknown)
	Err        error         // the library's error, for logs
}

func (e *SendError) Error() string {
	msg := "send: " + e.Kind.String()
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *SendError) Unwrap() error { return e.Err }
