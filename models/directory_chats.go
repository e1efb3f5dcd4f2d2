package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The chats' settings: language, the account looked at, whether they block the bot and
// whether they receive pushes.

// ChatLang returns the chat's chosen language, or "" when it never chose one.
func (s *Directory) ChatLang(ctx context.Context, chatID int64) (string, error) {
	c, err := s.chatRow(ctx, chatID, "language")
	return c.Lang, err
}

// SetChatLang stores the chat's language.
func (s *Directory) SetChatLang(ctx context.Context, chatID int64, lang string) error {
	return s.setChat(ctx, Chat{ChatID: chatID, Lang: lang}, "lang", "language")
}

// SetChatBlocked records whether the chat refuses the bot's messages (it blocked or
// removed the bot). A blocked chat gets no broadcasts until it is unblocked.
func (s *Directory) SetChatBlocked(ctx context.Context, chatID int64, blocked bool) error {
	c := Chat{ChatID: chatID, Subscribed: true, Blocked: blocked, UpdatedAt: time.Now().UTC()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "chat_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"blocked", "updated_at"}),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("store: set chat %d blocked=%t: %w", chatID, blocked, err)
	}
	return nil
}

// UnblockChat clears a chat's blocked mark, when it has one: a chat that writes to the
// bot again has unblocked it. It reports whether the chat was marked blocked.
func (s *Directory) UnblockChat(ctx context.Context, chatID int64) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Chat{}).Where("chat_id = ? AND blocked", chatID).
		Updates(map[string]any{"blocked": false, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("store: unblock chat %d: %w", chatID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// BlockedChats lists the chats that blocked the bot.
func (s *Directory) BlockedChats(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&Chat{}).Where("blocked = ?", true).Order("chat_id").Pluck("chat_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: blocked chats: %w", err)
	}
	return ids, nil
}

// SubscribedChats returns the configured chats that receive pushes: those not blocked
// and not unsubscribed, in configured order, each once. A chat without preferences is
// subscribed.
func (s *Directory) SubscribedChats(ctx context.Context, configured []int64) ([]int64, error) {
	var excluded []int64
	err := s.db.WithContext(ctx).Model(&Chat{}).
		Where("blocked = ? OR subscribed = ?", true, false).Pluck("chat_id", &excluded).Error
	if err != nil {
		return nil, fmt.Errorf("store: subscribed chats: %w", err)
	}
	skip := make(map[int64]bool, len(excluded)+len(configured))
	for _, id := range excluded {
		skip[id] = true
	}
	out := make([]int64, 0, len(configured))
	for _, id := range configured {
		if !skip[id] {
			out = append(out, id)
			skip[id] = true
		}
	}
	return out, nil
}

// ChatAccount is the account the chat chose to look at with /account, or "" for every
// account it sees.
func (s *Directory) ChatAccount(ctx context.Context, chatID int64) (string, error) {
	c, err := s.chatRow(ctx, chatID, "account")
	return c.Account, err
}

// SetChatAccount stores the account the chat looks at ("" for every account it sees).
func (s *Directory) SetChatAccount(ctx context.Context, chatID int64, account string) error {
	return s.setChat(ctx, Chat{ChatID: chatID, Account: account}, "account", "account")
}

// chatRow is the chat's row, or the zero Chat when it has none; what names the setting
// read, for the error.
func (s *Directory) chatRow(ctx context.Context, chatID int64, what string) (Chat, error) {
	var c Chat
	err := s.db.WithContext(ctx).Where("chat_id = ?", chatID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Chat{}, nil
	}
	if err != nil {
		return Chat{}, fmt.Errorf("store: chat %d %s: %w", chatID, what, err)
	}
	return c, nil
}

// setChat stores one column of c's row, adding the row (subscribed) when the chat has
// none; what names the setting, for the error.
func (s *Directory) setChat(ctx context.Context, c Chat, column, what string) error {
	c.Subscribed, c.UpdatedAt = true, time.Now().UTC()
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "chat_id"}},
		DoUpdates: clause.AssignmentColumns([]string{column, "updated_at"}),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("store: set chat %d %s: %w", c.ChatID, what, err)
	}
	return nil
}
