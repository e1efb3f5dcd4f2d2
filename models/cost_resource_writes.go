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
)

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

// qTouchResources moves LastSeen on for the resources whose keys are in a JSON array.
const qTouchResources = `UPDATE resources SET last_seen = ? WHERE key IN (SELECT value FROM json_each(?))`
