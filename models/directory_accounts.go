package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// Account is one AWS account costbot watches (table accounts): the credentials' own
// account, or a member reached through an assumed role. The jobs write it as they
// resolve and work on the accounts; views read it for names and per-account problems.
type Account struct {
	ID      string `gorm:"primaryKey"` // 12 digits
	Name    string // the organization's name for it, or "" when unknown
	RoleARN string // the role assumed to reach it; "" for the credentials' own account
	// Problem is why the last job could not work on the account (the role cannot be
	// assumed, access denied), one line with its fix; "" when it went well.
	Problem   string
	Job       string // the job that set Problem (collect, guard, billing)
	CheckedAt time.Time
	// Gone is set when the account left the organization or AWS_ACCOUNTS: its history
	// stays, but no job works on it.
	Gone bool
}

func (Account) TableName() string { return "accounts" }

// Label is how views name the account: "Name (ID)", or the ID alone.
func (a Account) Label() string {
	if a.Name == "" || a.Name == a.ID {
		return a.ID
	}
	return a.Name + " (" + a.ID + ")"
}

// SaveAccounts records the accounts the settings resolve to now: each is added or
// renamed, and every other stored account is marked gone.
func (s *Directory) SaveAccounts(ctx context.Context, accounts []Account) error {
	db := s.db.WithContext(ctx)
	ids := make([]string, 0, len(accounts))
	for _, a := range accounts {
		ids = append(ids, a.ID)
		a.Gone = false
		err := db.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "role_arn", "gone"}),
		}).Create(&a).Error
		if err != nil {
			return err
		}
	}
	q := db.Model(&Account{})
	if len(ids) > 0 {
		q = q.Where("id NOT IN ?", ids)
	} else {
		q = q.Where("1 = 1")
	}
	return q.Update("gone", true).Error
}

// SetAccountProblem records how job last went on the account ("" problem: well).
func (s *Directory) SetAccountProblem(ctx context.Context, id, job, problem string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&Account{}).Where("id = ?", id).
		Updates(map[string]any{"problem": problem, "job": job, "checked_at": at.UTC()}).Error
}

// Accounts lists the stored accounts, current ones first, each group by ID.
func (s *Directory) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.db.WithContext(ctx).Order("gone, id").Find(&out).Error
	return out, err
}

// VisibleAccounts keeps the accounts of list a chat may see: all of them when allowed is
// nil (TELEGRAM_CHAT_ACCOUNTS names no limit for the chat).
func VisibleAccounts(list []Account, allowed []string) []Account {
	if allowed == nil {
		return list
	}
	out := make([]Account, 0, len(list))
	for _, a := range list {
		if slices.Contains(allowed, a.ID) {
			out = append(out, a)
		}
	}
	return out
}
