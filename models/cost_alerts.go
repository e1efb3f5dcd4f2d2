package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AlertStates returns the alert states whose names start with prefix, by name.
func (s *CostHistory) AlertStates(ctx context.Context, prefix string) (map[string]AlertState, error) {
	var rows []AlertState
	if err := s.db.WithContext(ctx).Where("substr(name, 1, ?) = ?", len(prefix), prefix).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: alert states %s: %w", prefix, err)
	}
	out := make(map[string]AlertState, len(rows))
	for _, r := range rows {
		out[r.Name] = r
	}
	return out, nil
}

// PutAlertState stores an alert state.
func (s *CostHistory) PutAlertState(ctx context.Context, st AlertState) error {
	st.ChangedAt = st.ChangedAt.UTC()
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, UpdateAll: true}).Create(&st).Error
	if err != nil {
		return fmt.Errorf("store: put alert state %s: %w", st.Name, err)
	}
	return nil
}

// QueueCostEvent records an event to raise, once: an event of the same kind and key
// queued before (raised or not) is left alone and queued is false.
func (s *CostHistory) QueueCostEvent(ctx context.Context, ev Event, at time.Time) (queued bool, err error) {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return false, fmt.Errorf("store: queue %s %s: %w", ev.Kind, ev.Key, err)
	}
	row := CostEvent{Kind: ev.Kind, Key: ev.Key, Data: string(data), QueuedAt: at.UTC()}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("store: queue %s %s: %w", ev.Kind, ev.Key, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// PendingCostEvents are the queued events not raised (nor given up) yet, oldest first.
func (s *CostHistory) PendingCostEvents(ctx context.Context) ([]CostEvent, error) {
	var rows []CostEvent
	err := s.db.WithContext(ctx).Where("raised_at IS NULL AND dropped = ?", false).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: pending cost events: %w", err)
	}
	return rows, nil
}

// MarkCostEventRaised records that the notifier took the event.
func (s *CostHistory) MarkCostEventRaised(ctx context.Context, id uint, at time.Time) error {
	at = at.UTC()
	return s.updateCostEvent(ctx, id, map[string]any{"raised_at": &at, "last_error": ""})
}

// MarkCostEventFailed records a failed attempt; with drop the event is given up.
func (s *CostHistory) MarkCostEventFailed(ctx context.Context, id uint, cause error, drop bool) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	return s.updateCostEvent(ctx, id, map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": msg, "dropped": drop})
}

func (s *CostHistory) updateCostEvent(ctx context.Context, id uint, set map[string]any) error {
	res := s.db.WithContext(ctx).Model(&CostEvent{}).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: cost event %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: cost event %d: %w", id, gorm.ErrRecordNotFound)
	}
	return nil
}
