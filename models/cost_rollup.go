package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RollupCostRecords moves hourly cost records of whole UTC days before the day of
// before into cost_days (one row per day and resource: its cost and hours, and the
// description of its last hour) and deletes them, one day per transaction, and drops the
// Lambda records of those days. It returns how many hourly rows it rolled up; when there
// is nothing to do it costs one delete and one lookup of the oldest hour.
func (s *CostHistory) RollupCostRecords(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UTC().Truncate(24 * time.Hour)
	// A function's hourly usage is kept as long as the hourly cost rows; its cost lives
	// on in the daily rows.
	if err := s.db.WithContext(ctx).Where("hour < ?", cutoff).Delete(&LambdaRecord{}).Error; err != nil {
		return 0, fmt.Errorf("store: drop old lambda records: %w", err)
	}
	oldest, ok, err := s.OldestCostRecordHour(ctx)
	if err != nil || !ok {
		return 0, err
	}
	var rolled int64
	for day := oldest.Truncate(24 * time.Hour); day.Before(cutoff); day = day.Add(24 * time.Hour) {
		n, err := s.rollupDay(ctx, day)
		if err != nil {
			return rolled, fmt.Errorf("store: rollup %s: %w", day.Format(time.DateOnly), err)
		}
		rolled += n
	}
	return rolled, nil
}

func (s *CostHistory) rollupDay(ctx context.Context, day time.Time) (int64, error) {
	from, to := day.Unix(), day.Add(24*time.Hour).Unix()
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := oneCostWriter(tx); err != nil {
			return err
		}
		err := tx.Exec(forDB(tx, qRollupDay), from, from, to).Error
		if err != nil {
			return err
		}
		res := tx.Exec(`DELETE FROM cost_hourly WHERE hour >= ? AND hour < ?`, from, to)
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// qRollupDay rolls the hours [?, ?) of cost_hourly up into cost_days rows of day ?.
// With one MAX() aggregate, SQLite takes the bare label_id from the row of the day's
// last hour. A day rolled up in parts (hours written late) adds up.
const qRollupDay = `INSERT INTO cost_days (day, key_id, label_id, cost_usd, hours, estimated_hours)
			SELECT ?, key_id, label_id, cost, hours, estimated FROM (
				SELECT key_id, label_id, MAX(hour), SUM(cost_usd) AS cost, COUNT(*) AS hours, SUM(estimated) AS estimated
				FROM cost_hourly WHERE hour >= ? AND hour < ? GROUP BY key_id) WHERE true
			ON CONFLICT (day, key_id) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd, hours = hours + excluded.hours,
				estimated_hours = estimated_hours + excluded.estimated_hours, label_id = excluded.label_id`
