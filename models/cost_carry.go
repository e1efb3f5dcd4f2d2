package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CarryAccountRecords is account's cost records in task's scope at the last hour stored
// before hour, moved to hour and marked estimated: what a task that failed in one
// account, while it succeeded in the others, carries forward (WriteHour carries a task
// that failed in every account by itself).
func (s *CostHistory) CarryAccountRecords(ctx context.Context, account string, task TaskScope, hour time.Time) ([]CostRecord, error) {
	hour = hour.UTC().Truncate(time.Hour)
	db := s.db.WithContext(ctx)
	var last CostHour
	if err := db.Where("hour < ?", hour).Order("hour DESC").Limit(1).Find(&last).Error; err != nil {
		return nil, fmt.Errorf("store: carry %s %s: %w", account, task, err)
	}
	if last.Hour.IsZero() {
		return nil, nil
	}
	rs, err := recordsAt(db, last.Hour.UTC(), &task)
	if err != nil {
		return nil, fmt.Errorf("store: carry %s %s: %w", account, task, err)
	}
	out := rs[:0]
	for _, r := range rs {
		if r.AccountID == account {
			r.Hour, r.Estimated = hour, true
			out = append(out, r)
		}
	}
	return out, nil
}

// MarkHourCarried marks the stored hour estimated, with tasks more carried forward.
func (s *CostHistory) MarkHourCarried(ctx context.Context, hour time.Time, tasks int) error {
	err := s.db.WithContext(ctx).Model(&CostHour{}).Where("hour = ?", hour.UTC().Truncate(time.Hour)).
		Updates(map[string]any{"estimated": true, "carried_tasks": gorm.Expr("carried_tasks + ?", tasks)}).Error
	if err != nil {
		return fmt.Errorf("store: mark hour %s carried: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return nil
}
