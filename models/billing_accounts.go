package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ReplaceBilledAccounts stores each linked account's bill for the days [from, to) of
// month: the lines replace every stored line of those days, as ReplaceBilled does.
func (s *Billing) ReplaceBilledAccounts(ctx context.Context, month string, from, to time.Time, lines []BilledAccountCost, at time.Time) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("month = ? AND day >= ? AND day < ?", month, from.UTC(), to.UTC()).Delete(&BilledAccountCost{}).Error; err != nil {
			return err
		}
		for i := range lines {
			lines[i].ID, lines[i].Month = 0, month
			lines[i].Day, lines[i].FetchedAt = lines[i].Day.UTC(), at.UTC()
		}
		if len(lines) == 0 {
			return nil
		}
		return tx.CreateInBatches(lines, 200).Error
	})
	if err != nil {
		return fmt.Errorf("store: billed accounts %s: %w", month, err)
	}
	return nil
}

// BilledAccountTotal is what AWS billed one account in a month so far.
type BilledAccountTotal struct {
	AccountID    string
	UnblendedUSD float64
	NetUSD       float64
	Estimated    bool // any of its days is still estimated
}

// BilledAccountTotals is each account's bill for month, by account.
func (s *Billing) BilledAccountTotals(ctx context.Context, month string) ([]BilledAccountTotal, error) {
	var out []BilledAccountTotal
	err := s.db.WithContext(ctx).Model(&BilledAccountCost{}).
		Select("account_id, SUM(unblended_usd) AS unblended_usd, SUM(net_usd) AS net_usd, MAX(estimated) AS estimated").
		Where("month = ?", month).Group("account_id").Order("account_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: billed accounts %s: %w", month, err)
	}
	return out, nil
}
