package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The dashboard's access records: login links handed out by /web (each used at most
// once) and the sessions they open. Both are kept in the store so that a restart neither
// revives a used link nor logs anybody out, and /web logout can revoke them all.

// WebLogin is one /web login link (table web_logins).
type WebLogin struct {
	ID        uint   `gorm:"primaryKey"`
	Nonce     string `gorm:"uniqueIndex;not null"`
	UserID    int64  `gorm:"index"`
	ChatID    int64
	Lang      string
	ExpiresAt time.Time
	UsedAt    *time.Time
	Revoked   bool
}

func (WebLogin) TableName() string { return "web_logins" }

// WebSession is one dashboard session (table web_sessions); the cookie holds a secret
// whose SHA-256 is TokenHash, so the table alone opens nothing.
type WebSession struct {
	ID        uint   `gorm:"primaryKey"`
	TokenHash string `gorm:"uniqueIndex;not null"`
	UserID    int64  `gorm:"index"`
	// ChatID is the chat the session was opened from (the chat /web was asked in, or the
	// Mini App user's private chat), whose accounts it sees; 0 when unknown.
	ChatID    int64
	Lang      string
	Via       string // "link" or "miniapp"
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

func (WebSession) TableName() string { return "web_sessions" }

// ErrLoginUnusable is a login link that is unknown, expired, revoked or already used.
var ErrLoginUnusable = errors.New("login link unknown, expired, revoked or already used")

// AddWebLogin records a login link, and forgets links and sessions long expired.
func (s *Directory) AddWebLogin(ctx context.Context, l *WebLogin) error {
	db := s.db.WithContext(ctx)
	if err := db.Create(l).Error; err != nil {
		return fmt.Errorf("store: add login link: %w", err)
	}
	old := l.ExpiresAt.Add(-24 * time.Hour)
	if err := db.Where("expires_at < ?", old).Delete(&WebLogin{}).Error; err != nil {
		return fmt.Errorf("store: forget old login links: %w", err)
	}
	if err := db.Where("expires_at < ?", old).Delete(&WebSession{}).Error; err != nil {
		return fmt.Errorf("store: forget old sessions: %w", err)
	}
	return nil
}

// UseWebLogin marks the link with nonce used at now and returns it; it fails with
// ErrLoginUnusable when the link cannot be used (a second use among them).
func (s *Directory) UseWebLogin(ctx context.Context, nonce string, now time.Time) (*WebLogin, error) {
	var l WebLogin
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("nonce = ?", nonce).Limit(1).Find(&l).Error; err != nil {
			return err
		}
		if l.ID == 0 || l.Revoked || l.UsedAt != nil || !now.Before(l.ExpiresAt) {
			return ErrLoginUnusable
		}
		res := tx.Model(&WebLogin{}).Where("id = ? AND used_at IS NULL", l.ID).Update("used_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrLoginUnusable
		}
		return nil
	})
	if errors.Is(err, ErrLoginUnusable) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: use login link: %w", err)
	}
	return &l, nil
}

// AddWebSession records a session.
func (s *Directory) AddWebSession(ctx context.Context, ws *WebSession) error {
	if err := s.db.WithContext(ctx).Create(ws).Error; err != nil {
		return fmt.Errorf("store: add session: %w", err)
	}
	return nil
}

// LiveWebSession is the session with tokenHash when it exists, is not revoked and has
// not expired at now; nil otherwise.
func (s *Directory) LiveWebSession(ctx context.Context, tokenHash string, now time.Time) (*WebSession, error) {
	var ws WebSession
	if err := s.db.WithContext(ctx).Where("token_hash = ?", tokenHash).Limit(1).Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	if ws.ID == 0 || ws.RevokedAt != nil || !now.Before(ws.ExpiresAt) {
		return nil, nil
	}
	return &ws, nil
}

// SetWebSessionLang changes a session's language.
func (s *Directory) SetWebSessionLang(ctx context.Context, id uint, lang string) error {
	if err := s.db.WithContext(ctx).Model(&WebSession{}).Where("id = ?", id).Update("lang", lang).Error; err != nil {
		return fmt.Errorf("store: session language: %w", err)
	}
	return nil
}

// RevokeWebAccess ends every session of the user and voids the login links not used
// yet; it returns how many sessions it ended.
func (s *Directory) RevokeWebAccess(ctx context.Context, userID int64, now time.Time) (int64, error) {
	var ended int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&WebSession{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		ended = res.RowsAffected
		return tx.Model(&WebLogin{}).Where("user_id = ? AND used_at IS NULL", userID).Update("revoked", true).Error
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke web access of %d: %w", userID, err)
	}
	return ended, nil
}

// RevokeWebSession ends one session (a browser's own logout).
func (s *Directory) RevokeWebSession(ctx context.Context, id uint, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&WebSession{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("store: end session %d: %w", id, res.Error)
	}
	return res.RowsAffected, nil
}
