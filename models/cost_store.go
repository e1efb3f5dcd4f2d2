package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The write side of the cost history: what the collect job stores each hour, the gaps
// it fills, the monthly bills it keeps and closes, the rollup of old hourly rows, and
// the small state its alerts need. Every hour is written in one transaction and writing
// an hour again leaves the same rows: rows are upserted on their natural keys (so their
// IDs stay) and the hour's rows that are no longer there are deleted.

// InTx runs fn in one transaction, handing it a Store bound to that transaction. fn must
// use only that Store: a SQLite database has one connection, so the outer Store would
// wait for the transaction to end (and on PostgreSQL it would work outside it).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(newStore(tx, s.path, s.url))
	})
}

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

// CostRecordsAt is every resource's cost record of one hour still kept hourly, by
// service, region and resource.
func (s *CostHistory) CostRecordsAt(ctx context.Context, hour time.Time) ([]CostRecord, error) {
	rs, err := recordsAt(s.db.WithContext(ctx), hour.UTC(), nil)
	if err != nil {
		return nil, fmt.Errorf("store: cost records at %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return rs, nil
}

// OldestCostRecordHour is the oldest hour still kept per resource; ok is false when
// there is none.
func (s *CostHistory) OldestCostRecordHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	var oldest []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT hour FROM cost_hourly ORDER BY hour LIMIT 1`).Scan(&oldest).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest cost record: %w", err)
	}
	if len(oldest) == 0 {
		return time.Time{}, false, nil
	}
	return time.Unix(oldest[0], 0).UTC(), true, nil
}

// DailyCosts is the rolled-up daily rows of the UTC days in [from, to), by day,
// service, region and resource.
func (s *CostHistory) DailyCosts(ctx context.Context, from, to time.Time) ([]CostDaily, error) {
	var rows []struct {
		CostDaily
		DayUnix int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT d.day AS day_unix, k.service, k.region, k.resource_id, k.account_id, l.name, l.type,
			d.cost_usd, d.hours, d.estimated_hours
		FROM cost_days AS d JOIN cost_keys AS k ON k.id = d.key_id JOIN cost_labels AS l ON l.id = d.label_id
		WHERE d.day >= ? AND d.day < ? ORDER BY d.day, k.service, k.region, k.resource_id`, from.Unix(), to.Unix()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: daily costs: %w", err)
	}
	out := make([]CostDaily, len(rows))
	for i, r := range rows {
		out[i] = r.CostDaily
		out[i].Day = time.Unix(r.DayUnix, 0).UTC()
	}
	return out, nil
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

// costKey is a resource as cost_keys names it (two accounts may have resources of the
// same ID), costLabel a description as cost_labels holds it.
type (
	costKey   struct{ accountID, service, region, resourceID string }
	costLabel struct{ accountID, name, typ, priceSource string }
)

func keyOf(r CostRecord) costKey     { return costKey{r.AccountID, r.Service, r.Region, r.ResourceID} }
func labelOf(r CostRecord) costLabel { return costLabel{r.AccountID, r.Name, r.Type, r.PriceSource} }

// costIDs gives the cost_keys and cost_labels IDs of records' resources and
// descriptions, adding those not stored yet.
func costIDs(tx *gorm.DB, records []CostRecord) (map[costKey]int64, map[costLabel]int64, error) {
	var keys []costKey
	var labels []costLabel
	seenKey := make(map[costKey]bool, len(records))
	seenLabel := make(map[costLabel]bool, len(records))
	for _, r := range records {
		if k := keyOf(r); !seenKey[k] {
			seenKey[k] = true
			keys = append(keys, k)
		}
		if l := labelOf(r); !seenLabel[l] {
			seenLabel[l] = true
			labels = append(labels, l)
		}
	}
	keyIDs, err := internIDs(tx, "cost_keys", []string{"account_id", "service", "region", "resource_id"}, keys,
		func(k costKey) []string { return []string{k.accountID, k.service, k.region, k.resourceID} })
	if err != nil {
		return nil, nil, err
	}
	labelIDs, err := internIDs(tx, "cost_labels", []string{"account_id", "name", "type", "price_source"}, labels,
		func(l costLabel) []string { return []string{l.accountID, l.name, l.typ, l.priceSource} })
	if err != nil {
		return nil, nil, err
	}
	return keyIDs, labelIDs, nil
}

// internIDs gives the IDs of the rows of table whose text columns cols hold tuples,
// inserting the missing ones. The tuples travel as one JSON array, so the whole set
// costs one join on the table's unique index, and when some are new an insert that
// skips what is stored and the join again.
func internIDs[T comparable](tx *gorm.DB, table string, cols []string, tuples []T, text func(T) []string) (map[T]int64, error) {
	ids := make(map[T]int64, len(tuples))
	if len(tuples) == 0 {
		return ids, nil
	}
	values := make([][]string, len(tuples))
	for i, t := range tuples {
		values[i] = text(t)
	}
	doc, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	fields := make([]string, len(cols))
	match := make([]string, len(cols))
	for i, c := range cols {
		fields[i] = fmt.Sprintf("j.value ->> %d", i)
		match[i] = fmt.Sprintf("t.%s = j.value ->> %d", c, i)
	}
	elements := forDB(tx, jsonElements)
	lookup := func() error {
		rows, err := tx.Raw(`SELECT j.key, t.id FROM `+elements+` JOIN `+table+` AS t ON `+strings.Join(match, " AND "), string(doc)).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i int
			var id int64
			if err := rows.Scan(&i, &id); err != nil {
				return err
			}
			ids[tuples[i]] = id
		}
		return rows.Err()
	}
	if err := lookup(); err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	if len(ids) == len(tuples) {
		return ids, nil
	}
	err = tx.Exec(`INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(fields, ", ")+
		` FROM `+elements+` WHERE true ON CONFLICT DO NOTHING`, string(doc)).Error
	if err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	if err := lookup(); err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	if len(ids) != len(tuples) {
		return nil, fmt.Errorf("%s: %d of %d rows found after inserting them", table, len(ids), len(tuples))
	}
	return ids, nil
}

// maxRowsPerStatement keeps a multi-row statement of cols values a row to about 200
// bound parameters on SQLite: its driver binds each parameter by a search through all
// of them, so a statement's binding costs the square of its parameters. PostgreSQL
// binds them by number, up to 65,535 a statement; fewer round trips is what counts there.
func maxRowsPerStatement(tx *gorm.DB, cols int) int {
	if isPostgres(tx) {
		return max(1, postgresParamsPerStatement/cols)
	}
	return max(1, boundParamsPerStatement/cols)
}

const (
	boundParamsPerStatement    = 200
	postgresParamsPerStatement = 20000
)

// placeholders is "(?, ?), (?, ?)" for rows of cols values.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// insertRows inserts rows (values in the order of cols) into table with multi-row
// INSERT statements, each ending with suffix (an ON CONFLICT clause, or nothing).
func insertRows(tx *gorm.DB, table string, cols []string, rows [][]any, suffix string) error {
	for chunk := range slices.Chunk(rows, maxRowsPerStatement(tx, len(cols))) {
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + placeholders(len(chunk), len(cols)) + suffix
		if err := tx.Exec(q, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// putHourLambda makes the hour's Lambda records exactly records: they are upserted on
// their natural key (an existing row keeps its ID) and the hour's other rows deleted.
func putHourLambda(tx *gorm.DB, hour time.Time, records []LambdaRecord) error {
	records = slices.Clone(records)
	key := func(r LambdaRecord) string { return r.AccountID + "\x00" + r.Region + "\x00" + r.FunctionName }
	keep := make(map[string]bool, len(records))
	for i := range records {
		records[i].ID, records[i].Hour = 0, hour
		keep[key(records[i])] = true
	}
	var existing []LambdaRecord
	if err := tx.Where("hour = ?", hour).Find(&existing).Error; err != nil {
		return fmt.Errorf("lambda records: %w", err)
	}
	var stale []uint
	for _, r := range existing {
		if !keep[key(r)] {
			stale = append(stale, r.ID)
		}
	}
	for chunk := range slices.Chunk(stale, 500) {
		if err := tx.Delete(&LambdaRecord{}, chunk).Error; err != nil {
			return fmt.Errorf("lambda records: %w", err)
		}
	}
	if len(records) == 0 {
		return nil
	}
	cols := []clause.Column{{Name: "hour"}, {Name: "account_id"}, {Name: "region"}, {Name: "function_name"}}
	if err := tx.Clauses(clause.OnConflict{Columns: cols, UpdateAll: true}).CreateInBatches(records, 200).Error; err != nil {
		return fmt.Errorf("lambda records: %w", err)
	}
	return nil
}

// putResources upserts the scanned resources as active and marks the listed tasks'
// other active resources inactive. FirstSeen is kept from the first time a resource was
// stored. A resource stored active with the same state only has LastSeen moved on, so
// an hour of unchanged resources writes one column of each.
func putResources(tx *gorm.DB, rows []ResourceRow, listed []TaskScope, at time.Time) error {
	stored, err := storedResources(tx)
	if err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	last := make(map[string]int, len(rows)) // a key given twice is stored as its last row
	for i, r := range rows {
		last[r.Key] = i
	}
	scanned := make(map[string]bool, len(rows))
	var changed [][]any
	seen := map[time.Time][]string{} // unchanged resources by their new LastSeen
	for i, r := range rows {
		if last[r.Key] != i {
			continue
		}
		scanned[r.Key] = true
		if r.FirstSeen.IsZero() {
			r.FirstSeen = at
		}
		if r.LastSeen.IsZero() {
			r.LastSeen = at
		}
		r.FirstSeen, r.LastSeen, r.Active = r.FirstSeen.UTC(), r.LastSeen.UTC(), true
		if old, ok := stored[r.Key]; ok && old.complete && sameState(old.ResourceRow, r) {
			seen[r.LastSeen] = append(seen[r.LastSeen], r.Key)
			continue
		}
		changed = append(changed, []any{r.Key, r.AccountID, r.Service, r.Region, r.ResourceID, r.Name, r.Kind, r.Type, r.State,
			r.Waste, r.WasteReason, r.Attrs, r.Usage, r.HourlyUSD, r.MonthlyUSD, r.PriceSource, r.Priced,
			r.PriceNote, r.PriceWarning, r.FirstSeen, r.LastSeen, r.Active})
	}
	var gone []string
	for key, old := range stored {
		if !scanned[key] && slices.ContainsFunc(listed, func(t TaskScope) bool { return t.CoversIn(old.AccountID, old.Service, old.Region) }) {
			gone = append(gone, key)
		}
	}
	for chunk := range slices.Chunk(gone, boundParamsPerStatement) {
		if err := tx.Model(&ResourceRow{}).Where("key IN ?", chunk).Update("active", false).Error; err != nil {
			return fmt.Errorf("resources: %w", err)
		}
	}
	for lastSeen, keys := range seen {
		doc, err := json.Marshal(keys)
		if err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		if err := tx.Exec(forDB(tx, qTouchResources), lastSeen, string(doc)).Error; err != nil {
			return fmt.Errorf("resources: %w", err)
		}
	}
	if err := insertRows(tx, "resources", resourceColumns, changed, resourceUpsert); err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	return nil
}

// storedResource is an active resource as stored; complete is false when a column is
// NULL, which no upsert writes, so it is never the same state.
type storedResource struct {
	ResourceRow
	complete bool
}

// storedResources is the state of every active resource, by key.
func storedResources(tx *gorm.DB) (map[string]storedResource, error) {
	rows, err := tx.Raw(`SELECT key, account_id, service, region, resource_id, name, kind, type, state, waste, waste_reason,
		attrs, usage, hourly_usd, monthly_usd, price_source, priced, price_note, price_warning FROM resources WHERE active = ?`, true).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]storedResource{}
	for rows.Next() {
		var r ResourceRow
		var accountID, service, region, resourceID, name, kind, typ, state, wasteReason, attrs, usage, priceSource, note, warning sql.NullString
		var hourly, monthly sql.NullFloat64
		var waste, priced sql.NullBool
		if err := rows.Scan(&r.Key, &accountID, &service, &region, &resourceID, &name, &kind, &typ, &state, &waste, &wasteReason,
			&attrs, &usage, &hourly, &monthly, &priceSource, &priced, &note, &warning); err != nil {
			return nil, err
		}
		r.AccountID, r.Service, r.Region, r.ResourceID, r.Name = accountID.String, service.String, region.String, resourceID.String, name.String
		r.Kind, r.Type, r.State, r.WasteReason, r.Attrs, r.Usage = kind.String, typ.String, state.String, wasteReason.String, attrs.String, usage.String
		r.HourlyUSD, r.MonthlyUSD, r.PriceSource = hourly.Float64, monthly.Float64, priceSource.String
		r.Waste, r.Priced, r.Active = waste.Bool, priced.Bool, true
		r.PriceNote, r.PriceWarning = note.String, warning.String
		complete := accountID.Valid && service.Valid && region.Valid && resourceID.Valid && name.Valid && kind.Valid && typ.Valid &&
			state.Valid && waste.Valid && wasteReason.Valid && attrs.Valid && usage.Valid && hourly.Valid && monthly.Valid &&
			priceSource.Valid && priced.Valid && note.Valid && warning.Valid
		out[r.Key] = storedResource{r, complete}
	}
	return out, rows.Err()
}

// sameState reports whether a stored active resource holds every column an upsert of
// r would write, but LastSeen.
func sameState(old, r ResourceRow) bool {
	return old.AccountID == r.AccountID && old.Service == r.Service && old.Region == r.Region && old.ResourceID == r.ResourceID &&
		old.Name == r.Name && old.Kind == r.Kind && old.Type == r.Type && old.State == r.State && old.Waste == r.Waste &&
		old.WasteReason == r.WasteReason && old.Attrs == r.Attrs && old.Usage == r.Usage && old.HourlyUSD == r.HourlyUSD &&
		old.MonthlyUSD == r.MonthlyUSD && old.PriceSource == r.PriceSource && old.Priced == r.Priced &&
		old.PriceNote == r.PriceNote && old.PriceWarning == r.PriceWarning
}

// resourceColumns are the columns putResources writes, in its values' order.
var resourceColumns = []string{"key", "account_id", "service", "region", "resource_id", "name", "kind", "type", "state",
	"waste", "waste_reason", "attrs", "usage", "hourly_usd", "monthly_usd", "price_source", "priced",
	"price_note", "price_warning", "first_seen", "last_seen", "active"}

// resourceUpsert updates a stored resource with every column but its key and FirstSeen.
var resourceUpsert = func() string {
	var set []string
	for _, c := range resourceColumns {
		if c != "key" && c != "first_seen" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return " ON CONFLICT (key) DO UPDATE SET " + strings.Join(set, ", ")
}()

func putCostHour(tx *gorm.DB, h *CostHour) error {
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, UpdateAll: true}).Create(h).Error
	if err != nil {
		return fmt.Errorf("cost hour: %w", err)
	}
	return nil
}

// refreshMonth recomputes an open month's monthly_summary from its hours, so it can be
// done any number of times: per service the sum of cost_summary; Hours and
// EstimatedHours are the month's collected hours and those with any estimated figure
// (the same for every service). A closed month is never rewritten.
func refreshMonth(tx *gorm.DB, month string, at time.Time) error {
	start, end, err := monthRange(month)
	if err != nil {
		return err
	}
	var closed int64
	if err := tx.Model(&MonthlySummary{}).Where("month = ? AND closed = ?", month, true).Count(&closed).Error; err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	if closed > 0 {
		return nil
	}
	var services []struct {
		Service string
		Cost    float64
	}
	// Summed per hour first, in the primary key's order, so only those sums are sorted
	// by service: a month has up to 744 × services × regions rows.
	err = tx.Raw(`SELECT service, SUM(cost) AS cost FROM (
			SELECT hour, service, SUM(cost_usd) AS cost FROM cost_summary WHERE hour >= ? AND hour < ? GROUP BY hour, service) AS h
		GROUP BY service ORDER BY service`, start, end).
		Scan(&services).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	var hours struct{ Hours, Estimated int }
	err = tx.Raw(`SELECT COUNT(*) AS hours, COALESCE(SUM(CASE WHEN estimated THEN 1 ELSE 0 END), 0) AS estimated FROM cost_hours WHERE month = ?`, month).
		Scan(&hours).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	keep := make([]string, 0, len(services))
	rows := make([]MonthlySummary, 0, len(services))
	for _, sv := range services {
		keep = append(keep, sv.Service)
		rows = append(rows, MonthlySummary{Month: month, Service: sv.Service, CostUSD: sv.Cost,
			Hours: hours.Hours, EstimatedHours: hours.Estimated, UpdatedAt: at.UTC()})
	}
	del := tx.Where("month = ?", month)
	if len(keep) > 0 {
		del = del.Where("service NOT IN ?", keep)
	}
	if err := del.Delete(&MonthlySummary{}).Error; err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	if len(rows) == 0 {
		return nil
	}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "month"}, {Name: "service"}},
		DoUpdates: clause.AssignmentColumns([]string{"cost_usd", "hours", "estimated_hours", "updated_at"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("monthly summary %s: %w", month, err)
	}
	return nil
}

// CloseMonthsBefore closes every month before month (YYYY-MM) that has collected hours
// and is not closed yet: its bill is recomputed one last time, then marked Closed with
// ClosedAt = at, and never rewritten. It returns the bills it closed, oldest first. A
// month without any cost has no bill to close.
func (s *CostHistory) CloseMonthsBefore(ctx context.Context, month string, at time.Time) ([]BillClosed, error) {
	var out []BillClosed
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := oneCostWriter(tx); err != nil {
			return err
		}
		var months []string
		if err := tx.Model(&CostHour{}).Distinct("month").Where("month < ?", month).Order("month").Pluck("month", &months).Error; err != nil {
			return err
		}
		var closed []string
		if err := tx.Model(&MonthlySummary{}).Distinct("month").Where("month < ? AND closed = ?", month, true).Pluck("month", &closed).Error; err != nil {
			return err
		}
		for _, m := range months {
			if slices.Contains(closed, m) {
				continue
			}
			if err := refreshMonth(tx, m, at); err != nil {
				return err
			}
			var rows []MonthlySummary
			if err := tx.Where("month = ?", m).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			closedAt := at.UTC()
			if err := tx.Model(&MonthlySummary{}).Where("month = ?", m).
				Updates(map[string]any{"closed": true, "closed_at": closedAt, "updated_at": closedAt}).Error; err != nil {
				return err
			}
			out = append(out, billOf(m, rows))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: close months before %s: %w", month, err)
	}
	return out, nil
}

// billOf sums a month's rows into the BillClosed event's data.
func billOf(month string, rows []MonthlySummary) BillClosed {
	b := BillClosed{Month: month}
	for _, r := range rows {
		b.TotalUSD += r.CostUSD
		b.Services = append(b.Services, ServiceCost{Service: r.Service, USD: r.CostUSD})
		b.Hours = max(b.Hours, r.Hours)
		b.EstimatedHours = max(b.EstimatedHours, r.EstimatedHours)
	}
	slices.SortStableFunc(b.Services, func(x, y ServiceCost) int {
		if x.USD != y.USD {
			if x.USD > y.USD {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Service, y.Service)
	})
	return b
}

// MonthlyRows is a month's monthly_summary rows, by service.
func (s *CostHistory) MonthlyRows(ctx context.Context, month string) ([]MonthlySummary, error) {
	var rows []MonthlySummary
	if err := s.db.WithContext(ctx).Where("month = ?", month).Order("service").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: monthly rows %s: %w", month, err)
	}
	return rows, nil
}

// LastCollectedHour is the newest hour in cost_hours (collected or filled); ok is false
// when nothing was collected yet.
func (s *CostHistory) LastCollectedHour(ctx context.Context) (hour time.Time, ok bool, err error) {
	var h CostHour
	if err := s.db.WithContext(ctx).Order("hour DESC").Limit(1).Find(&h).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("store: last collected hour: %w", err)
	}
	return h.Hour.UTC(), h.ID != 0, nil
}

// CostHours are the collected hours in [from, to), oldest first.
func (s *CostHistory) CostHours(ctx context.Context, from, to time.Time) ([]CostHour, error) {
	var hs []CostHour
	err := s.db.WithContext(ctx).Where("hour >= ? AND hour < ?", from.UTC(), to.UTC()).Order("hour").Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("store: cost hours: %w", err)
	}
	return hs, nil
}

// MonthToDate returns the pricer's state (JSON) to price hour with: the state stored
// before that hour when it was collected already (so it prices identically again), else
// the state after the latest hour collected before it. ok is false when there is none.
func (s *CostHistory) MonthToDate(ctx context.Context, hour time.Time) (state string, ok bool, err error) {
	hour = hour.UTC()
	var row MonthToDateState
	db := s.db.WithContext(ctx)
	if err := db.Where("hour = ?", hour).Limit(1).Find(&row).Error; err != nil {
		return "", false, fmt.Errorf("store: month to date: %w", err)
	}
	if row.ID != 0 {
		return row.Before, true, nil
	}
	if err := db.Where("hour < ?", hour).Order("hour DESC").Limit(1).Find(&row).Error; err != nil {
		return "", false, fmt.Errorf("store: month to date: %w", err)
	}
	return row.After, row.ID != 0, nil
}

// MonthToDateOf is the pricer's state before and after the collected hour, if stored.
func (s *CostHistory) MonthToDateOf(ctx context.Context, hour time.Time) (before, after string, ok bool, err error) {
	var row MonthToDateState
	if err := s.db.WithContext(ctx).Where("hour = ?", hour.UTC()).Limit(1).Find(&row).Error; err != nil {
		return "", "", false, fmt.Errorf("store: month to date of %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return row.Before, row.After, row.ID != 0, nil
}

// PutMonthToDate stores the pricer's state before and after hour, and forgets the
// states of hours before the previous month.
func (s *CostHistory) PutMonthToDate(ctx context.Context, hour time.Time, before, after string) error {
	hour = hour.UTC()
	row := MonthToDateState{Hour: hour, Before: before, After: after}
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}}, DoUpdates: clause.AssignmentColumns([]string{"before", "after"})}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: put month to date: %w", err)
	}
	start := MonthStartOf(hour)
	if err := db.Where("hour < ?", start.AddDate(0, -1, 0)).Delete(&MonthToDateState{}).Error; err != nil {
		return fmt.Errorf("store: prune month to date: %w", err)
	}
	return nil
}

// KnownResourceKeys is the key of every resource ever stored.
func (s *CostHistory) KnownResourceKeys(ctx context.Context) (map[string]bool, error) {
	var keys []string
	if err := s.db.WithContext(ctx).Model(&ResourceRow{}).Pluck("key", &keys).Error; err != nil {
		return nil, fmt.Errorf("store: resource keys: %w", err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

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

// qTouchResources moves LastSeen on for the resources whose keys are in a JSON array.
const qTouchResources = `UPDATE resources SET last_seen = ? WHERE key IN (SELECT value FROM json_each(?))`

// qHourValue is one row of a VALUES list of unix hours.
const qHourValue = `(?)`

// jsonElements is the elements of a JSON array parameter, as j(key, value): key is the
// element's index from 0.
const jsonElements = `json_each(?) AS j`

// ServiceCostsAt is each service's cost in one hour, highest first.
func (s *CostHistory) ServiceCostsAt(ctx context.Context, hour time.Time) ([]ServiceCost, error) {
	var rows []ServiceCost
	err := s.db.WithContext(ctx).Raw(`SELECT service, SUM(cost_usd) AS usd FROM cost_summary WHERE hour = ? GROUP BY service ORDER BY usd DESC, service`, hour.UTC()).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: service costs at %s: %w", hour.UTC().Format(time.RFC3339), err)
	}
	return rows, nil
}
