package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// The Lightsail guard's queries: lightsail_usage holds every check of every watched
// instance, and after each successful listing of a region a marker row (no Instance)
// that closes the region's batch; lightsail_actions holds every warning, stop and start
// with the push it raised until the notifier took it. The guard's reads and writes name
// the account they are for (see inLightsailAccount).

// SaveLightsailChecks stores one region's check of account: the instances' rows, then
// the region's marker, in one transaction, every row stamped with account. CheckedAt is kept to the second.
func (s *Lightsail) SaveLightsailChecks(ctx context.Context, account, region, cycle string, at time.Time, rows []LightsailUsage) error {
	at = at.UTC().Truncate(time.Second)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range rows {
			rows[i].ID = 0
			rows[i].CheckedAt = at
			rows[i].Region = region
			rows[i].Cycle = cycle
			rows[i].AccountID = account
			if rows[i].Instance == "" {
				return errors.New("an instance row without a name")
			}
			if err := tx.Create(&rows[i]).Error; err != nil {
				return err
			}
		}
		return tx.Create(&LightsailUsage{CheckedAt: at, AccountID: account, Region: region, Cycle: cycle}).Error
	})
	if err != nil {
		return fmt.Errorf("store: save lightsail checks of %s: %w", region, err)
	}
	return nil
}

// LightsailHistory is an instance's successful checks of cycle at or after since, oldest
// first (rows whose traffic could not be read are left out).
func (s *Lightsail) LightsailHistory(ctx context.Context, account, region, instance, cycle string, since time.Time) ([]LightsailUsage, error) {
	var rows []LightsailUsage
	err := s.db.WithContext(ctx).Scopes(inLightsailAccount(account)).
		Where("region = ? AND instance = ? AND cycle = ? AND error = '' AND checked_at >= ?", region, instance, cycle, since.UTC().Truncate(time.Second)).
		Order("checked_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: lightsail history of %s/%s: %w", region, instance, err)
	}
	return rows, nil
}

// LastLightsailCheck is an instance's latest successful check of cycle, or nil.
func (s *Lightsail) LastLightsailCheck(ctx context.Context, account, region, instance, cycle string) (*LightsailUsage, error) {
	var row LightsailUsage
	err := s.db.WithContext(ctx).Scopes(inLightsailAccount(account)).Where("region = ? AND instance = ? AND cycle = ? AND error = ''", region, instance, cycle).
		Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last lightsail check of %s/%s: %w", region, instance, err)
	}
	return &row, nil
}

// LastLightsailRowOf is the latest stored check of one instance (by InstanceID) in
// region, of any cycle, failed reads included, or nil.
func (s *Lightsail) LastLightsailRowOf(ctx context.Context, account, region, instanceID string) (*LightsailUsage, error) {
	var row LightsailUsage
	err := s.db.WithContext(ctx).Scopes(inLightsailAccount(account)).Where("region = ? AND instance_id = ? AND instance <> ''", region, instanceID).
		Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last lightsail check of %s/%s: %w", region, instanceID, err)
	}
	return &row, nil
}

// LightsailCycleInstances is the latest stored check of every instance (by InstanceID)
// of region in cycle, deleted ones included, oldest first: what the allowance pool rule
// needs. A check whose traffic could not be read keeps the last good figures, so the
// latest row of each instance is the one to count.
func (s *Lightsail) LightsailCycleInstances(ctx context.Context, account, region, cycle string) ([]LightsailUsage, error) {
	var rows []LightsailUsage
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&LightsailUsage{}).Scopes(inLightsailAccount(account)).Select("MAX(id)").
			Where("region = ? AND cycle = ? AND instance <> '' AND instance_id <> ''", region, cycle).Group("instance_id")).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: lightsail instances of %s in %s: %w", region, cycle, err)
	}
	return rows, nil
}

// LastLightsailRegionAction is the latest region-wide action (Instance empty) of region
// with the given action names, or nil.
func (s *Lightsail) LastLightsailRegionAction(ctx context.Context, account, region string, actions ...string) (*LightsailAction, error) {
	var row LightsailAction
	err := s.db.WithContext(ctx).Scopes(inLightsailAccount(account)).Where("region = ? AND instance = '' AND action IN ?", region, actions).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last %v of %s: %w", actions, region, err)
	}
	return &row, nil
}

// LatestLightsailUsage is every instance of the latest stored check of each account's
// regions (the rows between the region's last two markers), by account, region, name.
func (s *Lightsail) LatestLightsailUsage(ctx context.Context) ([]LightsailUsage, error) {
	db := s.db.WithContext(ctx)
	var markers []struct {
		AccountID string
		Region    string
		Last      uint
	}
	if err := db.Model(&LightsailUsage{}).Select("account_id, region, MAX(id) AS last").Where("instance = ''").
		Group("account_id, region").Scan(&markers).Error; err != nil {
		return nil, fmt.Errorf("store: latest lightsail checks: %w", err)
	}
	var out []LightsailUsage
	for _, m := range markers {
		var prev uint
		if err := db.Model(&LightsailUsage{}).Select("COALESCE(MAX(id), 0)").
			Where("instance = '' AND account_id = ? AND region = ? AND id < ?", m.AccountID, m.Region, m.Last).Scan(&prev).Error; err != nil {
			return nil, fmt.Errorf("store: latest lightsail checks of %s: %w", m.Region, err)
		}
		var rows []LightsailUsage
		if err := db.Where("account_id = ? AND region = ? AND instance <> '' AND id > ? AND id < ?", m.AccountID, m.Region, prev, m.Last).Order("id").Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("store: latest lightsail checks of %s: %w", m.Region, err)
		}
		out = append(out, rows...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].AccountID != out[j].AccountID {
			return out[i].AccountID < out[j].AccountID
		}
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Instance < out[j].Instance
	})
	return out, nil
}

// AddLightsailAction records an action of account (stamped on it unless account is "");
// its ID is set.
func (s *Lightsail) AddLightsailAction(ctx context.Context, account string, a *LightsailAction) error {
	a.ID = 0
	a.At = a.At.UTC()
	if account != "" {
		a.AccountID = account
	}
	if err := s.db.WithContext(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("store: record lightsail %s of %s/%s: %w", a.Action, a.Region, a.Instance, err)
	}
	return nil
}

// SaveLightsailAction updates a recorded action (its result, error and push).
func (s *Lightsail) SaveLightsailAction(ctx context.Context, a *LightsailAction) error {
	if a.ID == 0 {
		return errors.New("store: save lightsail action: not recorded yet")
	}
	if err := s.db.WithContext(ctx).Save(a).Error; err != nil {
		return fmt.Errorf("store: update lightsail action %d: %w", a.ID, err)
	}
	return nil
}

// LightsailActions is every action on an instance in cycle, oldest first.
func (s *Lightsail) LightsailActions(ctx context.Context, account, region, instance, cycle string) ([]LightsailAction, error) {
	var rows []LightsailAction
	err := s.db.WithContext(ctx).Scopes(inLightsailAccount(account)).Where("region = ? AND instance = ? AND cycle = ?", region, instance, cycle).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: lightsail actions of %s/%s: %w", region, instance, err)
	}
	return rows, nil
}

// PendingLightsailNotices are the actions whose push the notifier has not taken yet,
// oldest first.
func (s *Lightsail) PendingLightsailNotices(ctx context.Context) ([]LightsailAction, error) {
	var rows []LightsailAction
	err := s.db.WithContext(ctx).Where("event_kind <> '' AND notified_at IS NULL AND notify_dropped = ?", false).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: pending lightsail notices: %w", err)
	}
	return rows, nil
}

// MarkLightsailNotice records one attempt to hand an action's push to the notifier:
// taken (at is set), or failed (dropped when given up).
func (s *Lightsail) MarkLightsailNotice(ctx context.Context, id uint, taken bool, at time.Time, drop bool) error {
	set := map[string]any{"notify_attempts": gorm.Expr("notify_attempts + 1")}
	if taken {
		set["notified_at"] = at.UTC()
	}
	if drop {
		set["notify_dropped"] = true
	}
	if err := s.db.WithContext(ctx).Model(&LightsailAction{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("store: mark lightsail notice %d: %w", id, err)
	}
	return nil
}

// LatestLightsailActions are the n latest warnings, stops and starts, newest first.
func (s *Lightsail) LatestLightsailActions(ctx context.Context, n int) ([]LightsailAction, error) {
	var rows []LightsailAction
	if err := s.db.WithContext(ctx).Order("at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: latest lightsail actions: %w", err)
	}
	return rows, nil
}
