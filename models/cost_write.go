package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The write side of the cost history: what the collect job stores each hour and the
// gaps it fills. Every hour is written in one transaction and writing an hour again
// leaves the same rows: rows are upserted on their natural keys (so their IDs stay) and
// the hour's rows that are no longer there are deleted. The monthly bills it keeps and
// closes are in cost_months.go, the rollup of old hourly rows in cost_rollup.go, the
// small state its alerts need in cost_alerts.go.

// TaskScope is what one scan task covers: a service in one region, or, for a global
// task (Region GlobalRegion, e.g. S3 whose one listing places buckets in their own
// regions), the service in every region except those its regional tasks cover.
type TaskScope struct {
	// Account is the account the task scanned; "" covers every account (a store that
	// watches one account, or a task that is the same in each).
	Account string
	Service string
	Region  string
	Except  []string // for a global task: regions covered by the service's regional tasks
}

func (t TaskScope) String() string {
	if t.Account != "" {
		return t.Account + ":" + t.Service + "/" + t.Region
	}
	return t.Service + "/" + t.Region
}

// Covers reports whether a resource of service in region belongs to the task.
func (t TaskScope) Covers(service, region string) bool {
	if service != t.Service {
		return false
	}
	if t.Region == GlobalRegion {
		return !slices.Contains(t.Except, region)
	}
	return region == t.Region
}

// CoversIn is Covers for a resource of account.
func (t TaskScope) CoversIn(account, service, region string) bool {
	return (t.Account == "" || account == t.Account) && t.Covers(service, region)
}

// where narrows a query to the rows the task covers.
func (t TaskScope) where(db *gorm.DB) *gorm.DB {
	if t.Account != "" {
		db = db.Where("account_id = ?", t.Account)
	}
	db = db.Where("service = ?", t.Service)
	switch {
	case t.Region != GlobalRegion:
		return db.Where("region = ?", t.Region)
	case len(t.Except) > 0:
		return db.Where("region NOT IN ?", t.Except)
	}
	return db
}

// HourWrite is what one collection stores for one hour.
type HourWrite struct {
	Hour        time.Time // truncated to the hour, UTC
	CollectedAt time.Time
	Records     []CostRecord   // one per scanned resource
	Lambda      []LambdaRecord // one per scanned function
	Resources   []ResourceRow  // the scanned resources' latest state
	// Listed are the tasks that succeeded: their resources missing from Resources are
	// marked inactive.
	Listed []TaskScope
	// Failed are the tasks that failed: their resources keep their state, and their cost
	// records of the last hour known before this one are carried forward, estimated.
	Failed []TaskScope
}

// WriteHour stores an hour: its cost records (scanned, and carried forward for failed
// tasks), the summaries per service and region, the Lambda records, the resources'
// latest state, the hour's total in cost_hours, and the month's running bill. It
// returns the hour's total row.
func (s *CostHistory) WriteHour(ctx context.Context, w HourWrite) (CostHour, error) {
	hour := w.Hour.UTC().Truncate(time.Hour)
	var total CostHour
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := oneCostWriter(tx); err != nil {
			return err
		}
		records := slices.Clone(w.Records)
		for i := range records {
			records[i].Hour = hour
		}
		carriedTasks := 0
		for _, task := range w.Failed {
			carried, err := carryForward(tx, task, hour)
			if err != nil {
				return err
			}
			if len(carried) > 0 {
				carriedTasks++
			}
			records = append(records, carried...)
		}
		records = latestPerResource(records)
		if err := putHourRecords(tx, hour, records); err != nil {
			return err
		}
		if err := putHourLambda(tx, hour, w.Lambda); err != nil {
			return err
		}
		if err := putResources(tx, w.Resources, w.Listed, w.CollectedAt.UTC()); err != nil {
			return err
		}
		total = hourTotal(hour, records, w.CollectedAt)
		total.CarriedTasks = carriedTasks
		total.Estimated = carriedTasks > 0
		if err := putCostHour(tx, &total); err != nil {
			return err
		}
		return refreshMonth(tx, MonthOf(hour), w.CollectedAt)
	})
	if err != nil {
		return CostHour{}, fmt.Errorf("store: write hour %s: %w", hour.Format(time.RFC3339), err)
	}
	return total, nil
}

// FillHours writes missed hours as copies of the cost records of hour from, every one
// marked estimated, with their summaries and cost_hours rows (Filled), a day of hours
// per transaction and a few statements per day, so even a month's gap is quick. The
// months' bills are refreshed by the next WriteHour, or by CloseMonthsBefore for a past
// month.
func (s *CostHistory) FillHours(ctx context.Context, from time.Time, hours []time.Time, at time.Time) error {
	from = from.UTC()
	src, err := recordsAt(s.db.WithContext(ctx), from, nil)
	if err != nil {
		return fmt.Errorf("store: fill hours from %s: %w", from.Format(time.RFC3339), err)
	}
	for i := range src {
		src[i].Estimated = true
	}
	for day := range slices.Chunk(hours, 24) {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := oneCostWriter(tx); err != nil {
				return err
			}
			return fillDay(tx, from, src, day, at)
		})
		if err != nil {
			return fmt.Errorf("store: fill hours from %s: %w", day[0].UTC().Format(time.RFC3339), err)
		}
	}
	return nil
}

// fillDay copies the records of from (src, marked estimated) into each of hours.
func fillDay(tx *gorm.DB, from time.Time, src []CostRecord, hours []time.Time, at time.Time) error {
	args := make([]any, len(hours))
	unix := make([]any, len(hours))
	totals := make([]CostHour, len(hours))
	var summaries []CostSummary
	for i, h := range hours {
		h = h.UTC().Truncate(time.Hour)
		args[i], unix[i] = h, h.Unix()
		totals[i] = hourTotal(h, src, at)
		totals[i].Filled, totals[i].Estimated = true, true
		summaries = append(summaries, summarize(h, src)...)
	}
	for _, del := range []struct {
		table string
		hours []any
	}{{"cost_hourly", unix}, {"cost_summary", args}, {"lambda_records", args}} {
		if err := tx.Exec("DELETE FROM "+del.table+" WHERE hour IN ?", del.hours).Error; err != nil {
			return err
		}
	}
	values := strings.TrimSuffix(strings.Repeat(forDB(tx, qHourValue)+",", len(hours)), ",")
	err := tx.Exec(`INSERT INTO cost_hourly (hour, key_id, label_id, cost_usd, estimated)
		SELECT v.column1, r.key_id, r.label_id, r.cost_usd, 1
		FROM (VALUES `+values+`) AS v, cost_hourly AS r WHERE r.hour = ?`, append(unix, from.Unix())...).Error
	if err != nil {
		return err
	}
	if err := insertSummaries(tx, summaries); err != nil {
		return err
	}
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, UpdateAll: true}).Create(&totals).Error
	if err != nil {
		return fmt.Errorf("cost hours: %w", err)
	}
	return nil
}

// carryForward copies a failed task's cost records of the last hour before hour that
// has any, marked estimated.
func carryForward(tx *gorm.DB, task TaskScope, hour time.Time) ([]CostRecord, error) {
	var last CostSummary
	err := task.where(tx.Where("hour < ?", hour)).Order("hour DESC").Limit(1).Find(&last).Error
	if err != nil || last.Hour.IsZero() {
		return nil, err
	}
	rs, err := recordsAt(tx, last.Hour.UTC(), &task)
	for i := range rs {
		rs[i].Hour, rs[i].Estimated = hour, true
	}
	return rs, err
}

// recordSelect reads cost_hourly rows as CostRecords (without their hour).
const recordSelect = `SELECT k.service, k.region, k.resource_id, k.account_id, l.name, l.type,
		r.cost_usd, l.price_source, r.estimated
	FROM cost_hourly AS r JOIN cost_keys AS k ON k.id = r.key_id JOIN cost_labels AS l ON l.id = r.label_id`

// recordsAt is the cost records of one hour, of one task's scope when task is not nil,
// by service, region and resource.
func recordsAt(tx *gorm.DB, hour time.Time, task *TaskScope) ([]CostRecord, error) {
	q := recordSelect + ` WHERE r.hour = ?`
	args := []any{hour.Unix()}
	if task != nil {
		if task.Account != "" {
			q += ` AND k.account_id = ?`
			args = append(args, task.Account)
		}
		q += ` AND k.service = ?`
		args = append(args, task.Service)
		switch {
		case task.Region != GlobalRegion:
			q += ` AND k.region = ?`
			args = append(args, task.Region)
		case len(task.Except) > 0:
			q += ` AND k.region NOT IN ?`
			args = append(args, task.Except)
		}
	}
	var rs []CostRecord
	if err := tx.Raw(q+` ORDER BY k.service, k.region, k.resource_id`, args...).Scan(&rs).Error; err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i].Hour = hour
	}
	return rs, nil
}

// latestPerResource keeps one record per resource (service, region, resource ID): the
// last one given, in the place of the first.
func latestPerResource(records []CostRecord) []CostRecord {
	at := make(map[costKey]int, len(records))
	out := make([]CostRecord, 0, len(records))
	for _, r := range records {
		k := keyOf(r)
		if i, seen := at[k]; seen {
			out[i] = r
			continue
		}
		at[k] = len(out)
		out = append(out, r)
	}
	return out
}

func hourTotal(hour time.Time, records []CostRecord, at time.Time) CostHour {
	t := CostHour{Hour: hour, Month: MonthOf(hour), ResourceCount: len(records), CollectedAt: at.UTC()}
	for _, r := range records {
		t.TotalUSD += r.CostUSD
		if r.PriceSource == SourceUnpriced {
			t.Unpriced++
		}
	}
	return t
}

// putHourRecords makes the hour's cost records and summaries exactly records (one per
// resource): the hour's rows are deleted and written again, so writing an hour twice
// leaves the same rows.
func putHourRecords(tx *gorm.DB, hour time.Time, records []CostRecord) error {
	keys, labels, err := costIDs(tx, records)
	if err != nil {
		return fmt.Errorf("cost records: %w", err)
	}
	if err := tx.Exec(`DELETE FROM cost_hourly WHERE hour = ?`, hour.Unix()).Error; err != nil {
		return fmt.Errorf("cost records: %w", err)
	}
	rows := make([][]any, len(records))
	for i, r := range records {
		estimated := 0
		if r.Estimated {
			estimated = 1
		}
		rows[i] = []any{hour.Unix(), keys[keyOf(r)], labels[labelOf(r)], r.CostUSD, estimated}
	}
	if err := insertRows(tx, "cost_hourly", []string{"hour", "key_id", "label_id", "cost_usd", "estimated"}, rows, ""); err != nil {
		return fmt.Errorf("cost records: %w", err)
	}
	if err := tx.Exec(`DELETE FROM cost_summary WHERE hour = ?`, hour).Error; err != nil {
		return fmt.Errorf("cost summary: %w", err)
	}
	if err := insertSummaries(tx, summarize(hour, records)); err != nil {
		return fmt.Errorf("cost summary: %w", err)
	}
	return nil
}

// summarize sums records into one summary per account, service and region, in the
// order they first appear.
func summarize(hour time.Time, records []CostRecord) []CostSummary {
	type accountServiceRegion struct{ account, service, region string }
	at := map[accountServiceRegion]int{}
	var out []CostSummary
	for _, r := range records {
		k := accountServiceRegion{r.AccountID, r.Service, r.Region}
		i, seen := at[k]
		if !seen {
			i = len(out)
			at[k] = i
			out = append(out, CostSummary{Hour: hour, AccountID: r.AccountID, Service: r.Service, Region: r.Region})
		}
		out[i].CostUSD += r.CostUSD
		out[i].ResourceCount++
		out[i].Estimated = out[i].Estimated || r.Estimated
	}
	return out
}

func insertSummaries(tx *gorm.DB, summaries []CostSummary) error {
	rows := make([][]any, len(summaries))
	for i, c := range summaries {
		rows[i] = []any{c.Hour, c.AccountID, c.Service, c.Region, c.CostUSD, c.ResourceCount, c.Estimated}
	}
	return insertRows(tx, "cost_summary", []string{"hour", "account_id", "service", "region", "cost_usd", "resource_count", "estimated"}, rows, "")
}

func putCostHour(tx *gorm.DB, h *CostHour) error {
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, UpdateAll: true}).Create(h).Error
	if err != nil {
		return fmt.Errorf("cost hour: %w", err)
	}
	return nil
}
