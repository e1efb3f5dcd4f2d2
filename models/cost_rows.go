package models

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// costKey is a resource as cost_keys names it (two accounts may have resources of the
// same ID), costLabel a description as cost_labels holds it.
type (
	costKey   struct{ accountID, service, region, resourceID string }
	costLabel struct{ accountID, name, typ, priceSource string }
)

func keyOf(r CostRecord) costKey { return costKey{r.AccountID, r.Service, r.Region, r.ResourceID} }

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

// qHourValue is one row of a VALUES list of unix hours.
const qHourValue = `(?)`

// jsonElements is the elements of a JSON array parameter, as j(key, value): key is the
// element's index from 0.
const jsonElements = `json_each(?) AS j`
