// Package benchseed fills a store with a year of history, for the benchmarks of the bot
// and the dashboard, which must measure the same data.
package benchseed

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"costbot/config"
	"costbot/models"
)

// seedBatch is the rows per INSERT when seeding: the SQLite driver matches each bound
// parameter against all of the statement's, so 1,000-row batches spent half a minute
// binding.
const seedBatch = 100

// Year fills store, directly and in one transaction, with a year of hourly history
// ending at end: cost_hours and cost_summary (every service in every default region)
// each hour, the monthly bills, the last day's cost records and the resources' rows.
func Year(store *models.Store, end time.Time, resources int) error {
	services := config.Services
	regions := config.DefaultRegions
	start := end.Add(-365 * 24 * time.Hour)
	err := store.DB().Transaction(func(tx *gorm.DB) error {
		var rows []models.ResourceRow
		for i := range resources {
			svc, region := services[i%len(services)], regions[i%len(regions)]
			id := fmt.Sprintf("r-%05d", i)
			rows = append(rows, models.ResourceRow{Key: svc + "/" + region + "/" + id, AccountID: "123456789012", Service: svc, Region: region,
				ResourceID: id, Name: "bench-" + id, Kind: "instance", Type: "t3.micro", State: "running", Attrs: "{}", Usage: "{}",
				HourlyUSD: 0.0104, MonthlyUSD: 7.59, PriceSource: "api", Priced: true, FirstSeen: start, LastSeen: end, Active: true})
		}
		if err := tx.CreateInBatches(rows, seedBatch).Error; err != nil {
			return err
		}
		perPair := float64(resources) * 0.0104 / float64(len(services)*len(regions))
		var hours []models.CostHour
		var sums []models.CostSummary
		bills := map[[2]string]*models.MonthlySummary{}
		for h := start; h.Before(end); h = h.Add(time.Hour) {
			month := h.Format("2006-01")
			hours = append(hours, models.CostHour{Hour: h, Month: month, TotalUSD: perPair * float64(len(services)*len(regions)), ResourceCount: resources, CollectedAt: h.Add(time.Minute)})
			for _, s := range services {
				k := [2]string{month, s}
				if bills[k] == nil {
					bills[k] = &models.MonthlySummary{Month: month, Service: s, Closed: month != end.Format("2006-01"), UpdatedAt: h}
				}
				bills[k].CostUSD += perPair * float64(len(regions))
				bills[k].Hours++
				for _, r := range regions {
					sums = append(sums, models.CostSummary{Hour: h, Service: s, Region: r, CostUSD: perPair, ResourceCount: resources / (len(services) * len(regions))})
				}
			}
		}
		if err := tx.CreateInBatches(hours, seedBatch).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(sums, seedBatch).Error; err != nil {
			return err
		}
		var ms []models.MonthlySummary
		for _, m := range bills {
			ms = append(ms, *m)
		}
		if err := tx.CreateInBatches(ms, 500).Error; err != nil {
			return err
		}
		var recs []models.CostRecord
		for h := end.Add(-24 * time.Hour); h.Before(end); h = h.Add(time.Hour) {
			for _, r := range rows {
				recs = append(recs, models.CostRecord{Hour: h, Service: r.Service, Region: r.Region, ResourceID: r.ResourceID,
					AccountID: r.AccountID, Name: r.Name, Type: r.Type, CostUSD: r.HourlyUSD, PriceSource: "api"})
			}
		}
		return tx.CreateInBatches(recs, seedBatch).Error
	})
	if err != nil {
		return fmt.Errorf("benchseed: a year of %d resources: %w", resources, err)
	}
	return nil
}

// YearEnd is where OpenYear's year of history ends.
var YearEnd = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// OpenYear is a new store in a temporary folder with a year of history for resources,
// ending at YearEnd; it is closed when the benchmark ends.
func OpenYear(tb testing.TB, resources int) *models.Store {
	tb.Helper()
	store, err := models.Open(filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if err := Year(store, YearEnd, resources); err != nil {
		tb.Fatal(err)
	}
	return store
}
