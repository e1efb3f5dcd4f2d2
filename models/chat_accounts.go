package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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
