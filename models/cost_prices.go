package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The Pricing API's price documents, cached.

// CachedPrice returns a cached price document and when it was fetched.
func (s *CostHistory) CachedPrice(ctx context.Context, key string) (value string, fetchedAt time.Time, ok bool, err error) {
	var e PriceCacheEntry
	err = s.db.WithContext(ctx).Where("key = ?", key).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("store: cached price %s: %w", key, err)
	}
	return e.Value, e.FetchedAt, true, nil
}

// PutPrice stores a price fetched from the Pricing API.
func (s *CostHistory) PutPrice(ctx context.Context, key, value string, fetchedAt time.Time) error {
	e := PriceCacheEntry{Key: key, Value: value, FetchedAt: fetchedAt.UTC()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "fetched_at"}),
	}).Create(&e).Error
	if err != nil {
		return fmt.Errorf("store: put price %s: %w", key, err)
	}
	return nil
}

// ClearPrices empties the price cache and says how many entries it removed.
func (s *CostHistory) ClearPrices(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("1 = 1").Delete(&PriceCacheEntry{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: clear price cache: %w", res.Error)
	}
	return res.RowsAffected, nil
}
