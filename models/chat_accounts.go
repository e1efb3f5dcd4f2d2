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
func (s *Store) ChatAccount(ctx context.Context, chatID int64) (string, error) {
	var c Chat
	err := s.db.WithContext(ctx).Where("chat_id = ?", chatID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: chat %d account: %w", chatID, err)
	}
	return c.Account, nil
}

// SetChatAccount stores the account the chat looks at ("" for every account it sees).
func (s *Store) SetChatAccount(ctx context.Context, chatID int64, account string) error {
	c := Chat{ChatID: chatID, Account: account, Subscribed: true, UpdatedAt: time.Now().UTC()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "chat_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"account", "updated_at"}),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("store: set chat %d account: %w", chatID, err)
	}
	return nil
}
