package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The outbox (table outbox) holds every push until Telegram has accepted it. A message
// is pending while it is neither sent nor dropped. Per chat, messages go out in ID order:
// a chat's pending message with the lowest ID is its head, and nothing behind the head
// is due while the head waits. NextAttemptAt is zero until a first attempt failed.

// pendingSQL selects messages neither sent nor dropped.
const pendingSQL = "sent_at IS NULL AND dropped = ?"

// dedupKeyFor scopes a caller's de-duplication key to the chat and the part, so one key
// can go to several chats and a split message keeps one key per part.
func dedupKeyFor(chatID int64, key string, part int) *string {
	if key == "" {
		return nil
	}
	k := fmt.Sprintf("%d:%s", chatID, key)
	if part > 0 {
		k += fmt.Sprintf("#%d", part+1)
	}
	return &k
}

// Enqueue queues one text for chatID, as its parts (a text longer than Telegram's limit,
// cut by the sender into several), which become consecutive messages. With a non-empty
// dedupKey, enqueueing is idempotent: when the key was queued for this chat before (sent
// or not), nothing is added and queued is false, so a producer that retries or restarts
// pushes once.
func (s *Outbox) Enqueue(ctx context.Context, chatID int64, parts []string, parseMode, dedupKey string) (queued bool, err error) {
	if len(parts) == 0 {
		return false, fmt.Errorf("store: enqueue for chat %d: no text", chatID)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		queued, err = enqueueParts(tx, chatID, parts, parseMode, dedupKey)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: enqueue for chat %d: %w", chatID, err)
	}
	return queued, nil
}

// EnqueueAll queues one text, as its parts, for every chat in chatIDs in one transaction
// (a broadcast is queued for all or for none) and says for how many chats it was queued.
func (s *Outbox) EnqueueAll(ctx context.Context, chatIDs []int64, parts []string, parseMode, dedupKey string) (queued int, err error) {
	if len(parts) == 0 {
		return 0, fmt.Errorf("store: enqueue for %d chats: no text", len(chatIDs))
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		queued = 0
		for _, chatID := range chatIDs {
			ok, err := enqueueParts(tx, chatID, parts, parseMode, dedupKey)
			if err != nil {
				return fmt.Errorf("chat %d: %w", chatID, err)
			}
			if ok {
				queued++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue for %d chats: %w", len(chatIDs), err)
	}
	return queued, nil
}

func enqueueParts(tx *gorm.DB, chatID int64, parts []string, parseMode, dedupKey string) (bool, error) {
	rows := make([]OutboxMessage, len(parts))
	for i, p := range parts {
		rows[i] = OutboxMessage{ChatID: chatID, DedupKey: dedupKeyFor(chatID, dedupKey, i), Text: p, ParseMode: parseMode}
	}
	// The first part decides: it is inserted first, so it exists whenever any part does.
	first := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedup_key"}}, DoNothing: true}).Create(&rows[0])
	if first.Error != nil {
		return false, first.Error
	}
	if first.RowsAffected == 0 {
		return false, nil
	}
	for i := 1; i < len(rows); i++ {
		if err := tx.Create(&rows[i]).Error; err != nil {
			return false, err
		}
	}
	return true, nil
}

// DueMessages returns up to limit pending messages that may be sent at now, each chat's
// in order. A chat whose head waits for a later attempt contributes nothing, so its later
// messages never overtake the head. Every chat's head comes before any chat's second
// message, so one busy chat cannot fill the batch.
func (s *Outbox) DueMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	var msgs []OutboxMessage
	err := s.db.WithContext(ctx).Raw(`
WITH pending AS (
	SELECT *, ROW_NUMBER() OVER (PARTITION BY chat_id ORDER BY id) AS position
	FROM outbox WHERE sent_at IS NULL AND dropped = @no
)
SELECT id, chat_id, dedup_key, text, parse_mode, created_at, next_attempt_at, attempts, sent_at, last_error, dropped
FROM pending p
WHERE p.next_attempt_at <= @now
  AND NOT EXISTS (SELECT 1 FROM pending q WHERE q.chat_id = p.chat_id AND q.id < p.id AND q.next_attempt_at > @now)
ORDER BY p.position, p.id
LIMIT @limit`, map[string]any{"now": now.UTC(), "limit": limit, "no": false}).Scan(&msgs).Error
	if err != nil {
		return nil, fmt.Errorf("store: due outbox messages: %w", err)
	}
	return msgs, nil
}

// NextDue is the earliest time a chat's head message may be attempted; ok is false when
// nothing is pending.
func (s *Outbox) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var head OutboxMessage
	err = s.db.WithContext(ctx).
		Where(pendingSQL, false).
		Where("id IN (SELECT MIN(id) FROM outbox WHERE "+pendingSQL+" GROUP BY chat_id)", false).
		Order("next_attempt_at").Take(&head).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next due outbox message: %w", err)
	}
	return head.NextAttemptAt, true, nil
}

// PendingCount is how many messages wait for delivery.
func (s *Outbox) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where(pendingSQL, false).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count pending outbox messages: %w", err)
	}
	return n, nil
}

// message returns one message of the outbox.
func (s *Outbox) message(ctx context.Context, id uint) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := s.db.WithContext(ctx).Take(&m, id).Error; err != nil {
		return nil, fmt.Errorf("store: outbox message %d: %w", id, err)
	}
	return &m, nil
}

// MarkSent records that Telegram accepted message id at at.
func (s *Outbox) MarkSent(ctx context.Context, id uint, at time.Time) error {
	return s.updateOutbox(ctx, id, "mark sent", map[string]any{
		"sent_at":  at.UTC(),
		"attempts": gorm.Expr("attempts + 1"),
	})
}

// MarkRetry records a failed attempt of message id and when to try it again.
func (s *Outbox) MarkRetry(ctx context.Context, id uint, nextAttempt time.Time, cause error) error {
	return s.updateOutbox(ctx, id, "mark retry", map[string]any{
		"next_attempt_at": nextAttempt.UTC(),
		"attempts":        gorm.Expr("attempts + 1"),
		"last_error":      errorText(cause),
	})
}

// MarkDropped gives up on message id after a failed attempt, keeping the error.
func (s *Outbox) MarkDropped(ctx context.Context, id uint, cause error) error {
	return s.updateOutbox(ctx, id, "mark dropped", map[string]any{
		"dropped":    true,
		"attempts":   gorm.Expr("attempts + 1"),
		"last_error": errorText(cause),
	})
}

// ReplaceText changes what message id will send: the plain-text fallback of a message
// Telegram could not parse (cause is that failed attempt, and counts as one), or what is
// left of a message sent in parts (cause nil).
func (s *Outbox) ReplaceText(ctx context.Context, id uint, text, parseMode string, cause error) error {
	set := map[string]any{"text": text, "parse_mode": parseMode}
	if cause != nil {
		set["attempts"] = gorm.Expr("attempts + 1")
		set["last_error"] = errorText(cause)
	}
	return s.updateOutbox(ctx, id, "replace text", set)
}

// DropChatPending drops every pending message of chatID, keeping reason as their error,
// and says how many it dropped.
func (s *Outbox) DropChatPending(ctx context.Context, chatID int64, reason string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&OutboxMessage{}).
		Where("chat_id = ?", chatID).Where(pendingSQL, false).
		Updates(map[string]any{"dropped": true, "last_error": reason})
	if res.Error != nil {
		return 0, fmt.Errorf("store: drop pending outbox messages of chat %d: %w", chatID, res.Error)
	}
	return res.RowsAffected, nil
}

func (s *Outbox) updateOutbox(ctx context.Context, id uint, what string, set map[string]any) error {
	res := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: %s outbox message %d: %w", what, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: %s outbox message %d: %w", what, id, gorm.ErrRecordNotFound)
	}
	return nil
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
