package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"costbot/config"
	"costbot/models"
)

// BenchmarkYearOnDisk writes one simulated year of hourly collections of 1,000
// resources through the store's write path (Store.WriteHour, then the hourly
// RollupCostRecords with the default 840-hour retention, as the collect job does), on a
// fake clock, and reports the database's size on disk after closing it. BENCH_DISK_HOURS
// shortens the year for a trial run; the figure in BENCHMARKS.md is the full 8,760.
// BENCH_DISK_DB names a file (which must not exist) to write instead of a temporary one,
// and keeps it, to look at its space per table afterwards:
//
//	sqlite3 -readonly FILE "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
//
//	go test ./bench -run '^$' -bench BenchmarkYearOnDisk -benchtime 1x -timeout 90m
func BenchmarkYearOnDisk(b *testing.B) {
	hours := 365 * 24
	if s := os.Getenv("BENCH_DISK_HOURS"); s != "" {
		hours, _ = strconv.Atoi(s)
	}
	const resources = 1000
	services, regions := config.Services, config.DefaultRegions
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "cost.db")
		if keep := os.Getenv("BENCH_DISK_DB"); keep != "" {
			if _, err := os.Stat(keep); err == nil {
				b.Fatalf("BENCH_DISK_DB %s exists already", keep)
			}
			path = keep
		}
		store, err := models.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var listed []models.TaskScope
		for _, s := range services {
			for _, r := range regions {
				listed = append(listed, models.TaskScope{Service: s, Region: r})
			}
		}
		began := time.Now()
		for h := range hours {
			hour := start.Add(time.Duration(h) * time.Hour)
			at := hour.Add(3 * time.Minute)
			w := models.HourWrite{Hour: hour, CollectedAt: at, Listed: listed}
			for i := range resources {
				svc, region := services[i%len(services)], regions[(i/len(services))%len(regions)]
				id := fmt.Sprintf("res-%04d", i)
				cost := 0.0104 + float64(i%7)*0.001
				w.Records = append(w.Records, models.CostRecord{Service: svc, Region: region, ResourceID: id, AccountID: "123456789012",
					Name: "bench-" + id, Type: "t3.micro", CostUSD: cost, PriceSource: "api"})
				w.Resources = append(w.Resources, models.ResourceRow{Key: svc + "/" + region + "/" + id, AccountID: "123456789012",
					Service: svc, Region: region, ResourceID: id, Name: "bench-" + id, Kind: "instance", Type: "t3.micro", State: "running",
					Attrs: `{"zone":"` + region + `a","platform":"Linux/UNIX"}`, Usage: `{"public_ipv4":1}`,
					HourlyUSD: cost, MonthlyUSD: cost * 730, PriceSource: "api", Priced: true, LastSeen: at, Active: true})
			}
			if _, err := store.WriteHour(ctx, w); err != nil {
				b.Fatal(err)
			}
			if _, err := store.RollupCostRecords(ctx, at.Add(-840*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(began)
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
		var size int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(path + suffix); err == nil {
				size += fi.Size()
			}
		}
		b.ReportMetric(float64(hours), "hours")
		b.ReportMetric(float64(size)/1e6, "db_MB")
		b.ReportMetric(float64(elapsed.Milliseconds())/float64(hours), "ms/hour_written")
	}
}
