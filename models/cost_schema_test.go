package models

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// oldCostTables is the cost history as earlier versions created it (GORM's DDL for
// their CostRecord, CostSummary and CostDaily models), hours stored as UTC text.
var oldCostTables = []string{
	"CREATE TABLE `cost_records` (`id` integer PRIMARY KEY AUTOINCREMENT,`hour` datetime NOT NULL,`service` text NOT NULL,`region` text NOT NULL,`resource_id` text NOT NULL,`account_id` text,`name` text,`type` text,`cost_usd` real,`price_source` text,`estimated` numeric)",
	"CREATE UNIQUE INDEX `idx_cost_hour_res` ON `cost_records`(`hour`,`service`,`region`,`resource_id`)",
	"CREATE TABLE `cost_summary` (`id` integer PRIMARY KEY AUTOINCREMENT,`hour` datetime NOT NULL,`service` text NOT NULL,`region` text NOT NULL,`cost_usd` real,`resource_count` integer,`estimated` numeric)",
	"CREATE UNIQUE INDEX `idx_summary_hour` ON `cost_summary`(`hour`,`service`,`region`)",
	"CREATE TABLE `cost_daily` (`id` integer PRIMARY KEY AUTOINCREMENT,`day` datetime NOT NULL,`service` text NOT NULL,`region` text NOT NULL,`resource_id` text NOT NULL,`account_id` text,`name` text,`type` text,`cost_usd` real,`hours` integer,`estimated_hours` integer)",
	"CREATE UNIQUE INDEX `idx_daily_res` ON `cost_daily`(`day`,`service`,`region`,`resource_id`)",
}

// writeOldDatabase creates at path a database of the earlier layout holding: a rolled-up
// day (2 March) of i-web, and two hours (3 March 10:00 and 11:00) of i-web, vol-1 and
// an unpriced bucket, with their summaries and cost_hours rows.
func writeOldDatabase(t *testing.T, path string) (records []CostRecord, daily CostDaily, summaries []CostSummary) {
	t.Helper()
	db, err := gorm.Open(sqlite.Open("file:"+path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&CostHour{}, &MonthlySummary{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range oldCostTables {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	h10 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	for i, hour := range []time.Time{h10, h10.Add(time.Hour)} {
		hourRecords := []CostRecord{
			{Hour: hour, Service: "ec2", Region: "us-east-1", ResourceID: "i-web", AccountID: "123456789012", Name: "web", Type: "t3.micro",
				CostUSD: 0.0104, PriceSource: SourceAPI},
			{Hour: hour, Service: "ebs", Region: "us-east-1", ResourceID: "vol-1", AccountID: "123456789012", Name: "data", Type: "gp3",
				CostUSD: 100 * 0.08 / 730, PriceSource: SourceCache, Estimated: i == 1},
			{Hour: hour, Service: "s3", Region: "eu-west-1", ResourceID: "logs", AccountID: "123456789012", Name: "logs",
				PriceSource: SourceUnpriced},
		}
		for _, r := range hourRecords {
			err := db.Exec(`INSERT INTO cost_records (hour, service, region, resource_id, account_id, name, type, cost_usd, price_source, estimated)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Hour, r.Service, r.Region, r.ResourceID, r.AccountID, r.Name, r.Type, r.CostUSD, r.PriceSource, r.Estimated).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		records = append(records, hourRecords...)
		hourSummaries := summarize(hour, hourRecords)
		for _, c := range hourSummaries {
			err := db.Exec(`INSERT INTO cost_summary (hour, service, region, cost_usd, resource_count, estimated) VALUES (?, ?, ?, ?, ?, ?)`,
				c.Hour, c.Service, c.Region, c.CostUSD, c.ResourceCount, c.Estimated).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		summaries = append(summaries, hourSummaries...)
		total := hourTotal(hour, hourRecords, hour.Add(5*time.Minute))
		total.Estimated = i == 1
		if err := db.Create(&total).Error; err != nil {
			t.Fatal(err)
		}
	}
	daily = CostDaily{Day: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Service: "ec2", Region: "us-east-1", ResourceID: "i-web",
		AccountID: "123456789012", Name: "web-old", Type: "t3.micro", CostUSD: 24 * 0.0104, Hours: 24, EstimatedHours: 2}
	err = db.Exec(`INSERT INTO cost_daily (day, service, region, resource_id, account_id, name, type, cost_usd, hours, estimated_hours)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, daily.Day, daily.Service, daily.Region, daily.ResourceID, daily.AccountID, daily.Name,
		daily.Type, daily.CostUSD, daily.Hours, daily.EstimatedHours).Error
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	if err := sqlDB.Close(); err != nil {
		t.Fatal(err)
	}
	return records, daily, summaries
}

func TestOpenMigratesAnOldDatabaseAndKeepsItsHistory(t *testing.T) {
	skipOnPostgres(t, "the migration from the earlier SQLite layout")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	records, daily, summaries := writeOldDatabase(t, path)
	h10 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of the old database: %v", err)
	}
	defer func() { s.Close() }()

	// The old tables are gone: cost_records and cost_daily are views, cost_summary is
	// keyed on its natural key, and VACUUM gave the old pages back.
	for _, view := range []string{"cost_records", "cost_daily"} {
		if table, err := isTable(s.DB(), view); err != nil || table {
			t.Errorf("%s is still a table (%v)", view, err)
		}
	}
	if id, err := hasColumn(s.DB(), "cost_summary", "id"); err != nil || id {
		t.Errorf("cost_summary still has an id column (%v)", err)
	}
	var free int
	s.DB().Raw("PRAGMA freelist_count").Scan(&free)
	if free != 0 {
		t.Errorf("%d free pages after the migration, want 0", free)
	}

	// Every reader answers as before.
	for _, hour := range []time.Time{h10, h10.Add(time.Hour)} {
		got, err := s.CostRecordsAt(ctx, hour)
		if err != nil {
			t.Fatal(err)
		}
		var want []CostRecord
		for _, r := range records {
			if r.Hour.Equal(hour) {
				want = append(want, r)
			}
		}
		byResource := func(rs []CostRecord) map[string]CostRecord {
			m := map[string]CostRecord{}
			for _, r := range rs {
				m[r.ResourceID] = r
			}
			return m
		}
		if !reflect.DeepEqual(byResource(got), byResource(want)) {
			t.Errorf("records of %s:\n got  %+v\n want %+v", hour.Format(time.RFC3339), got, want)
		}
	}
	days, err := s.DailyCosts(ctx, daily.Day, daily.Day.Add(24*time.Hour))
	if err != nil || len(days) != 1 || !reflect.DeepEqual(days[0], daily) {
		t.Errorf("daily rows = %+v, %v; want %+v", days, err, daily)
	}
	var summaryTotal float64
	for _, c := range summaries {
		summaryTotal += c.CostUSD
	}
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if total, err := s.CostTotal(ctx, march, march.AddDate(0, 1, 0), nil); err != nil || !csClose(total, summaryTotal) {
		t.Errorf("March total = %v, %v; want %v", total, err, summaryTotal)
	}
	bill, err := s.MonthBill(ctx, "2026-03", nil)
	if err != nil || !csClose(bill.TotalUSD, summaryTotal) || bill.Hours != 2 || bill.EstimatedHours != 1 || len(bill.Services) != 3 {
		t.Errorf("March bill = %+v, %v", bill, err)
	}
	var hourText string
	s.DB().Raw("SELECT hour FROM cost_records ORDER BY hour LIMIT 1").Scan(&hourText)
	if hourText != "2026-03-03 10:00:00+00:00" {
		t.Errorf("cost_records view hour = %q, want the text earlier versions stored", hourText)
	}
	var dup int
	s.DB().Raw(`SELECT COUNT(*) FROM (SELECT hour, service, region, resource_id FROM cost_records GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1)`).Scan(&dup)
	if dup != 0 {
		t.Errorf("%d duplicated hourly records", dup)
	}

	// Collecting goes on: a new hour is written, and the old hours roll up.
	h12 := h10.Add(2 * time.Hour)
	if _, err := s.WriteHour(ctx, HourWrite{Hour: h12, CollectedAt: h12, Records: []CostRecord{records[0]}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RollupCostRecords(ctx, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)); err != nil || n != 7 {
		t.Fatalf("rollup of 3 March = %d rows, %v; want 7", n, err)
	}
	days, _ = s.DailyCosts(ctx, march, march.AddDate(0, 1, 0))
	if len(days) != 4 || days[0].Name != "web-old" {
		t.Fatalf("daily rows after the rollup = %+v", days)
	}
	web := days[2] // 3 March sorts by service: ebs, ec2, s3
	if web.ResourceID != "i-web" || web.Hours != 3 || !csClose(web.CostUSD, 3*0.0104) || web.Name != "web" {
		t.Errorf("i-web on 3 March = %+v", web)
	}
	s.Close()

	// Opening again migrates nothing and keeps everything.
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.DailyCosts(ctx, march, march.AddDate(0, 1, 0))
	if err != nil || !reflect.DeepEqual(again, days) {
		t.Errorf("daily rows after reopening = %+v, %v", again, err)
	}
	if total, _ := s.CostTotal(ctx, march, march.AddDate(0, 1, 0), nil); !csClose(total, summaryTotal+0.0104) {
		t.Errorf("March total after reopening = %v, want %v", total, summaryTotal+0.0104)
	}
}

func TestWriteHourStoresEachResourceOnceWithItsDescription(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	first := csRecord(h, "ec2", "us-east-1", "i-1", 1)
	renamed := first
	renamed.Name, renamed.Type, renamed.CostUSD, renamed.PriceSource = "renamed", "m5.large", 2, SourceFallback
	other := csRecord(h, "ec2", "eu-west-1", "i-1", 4) // same ID, other region
	total, err := s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Records: []CostRecord{first, other, renamed}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.CostRecordsAt(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	// Given twice, a resource is stored as its last record.
	if want := []CostRecord{other, renamed}; !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got  %+v\n want %+v", got, want)
	}
	if !csClose(total.TotalUSD, 6) || total.ResourceCount != 2 {
		t.Errorf("hour total = %+v, want $6 over 2 resources", total)
	}
	var keys, labels int
	s.DB().Raw("SELECT COUNT(*) FROM cost_keys").Scan(&keys)
	s.DB().Raw("SELECT COUNT(*) FROM cost_labels").Scan(&labels)
	if keys != 2 || labels != 2 {
		t.Errorf("%d keys and %d labels, want 2 and 2", keys, labels)
	}

	// The next hours reuse the stored keys and labels.
	for i := 1; i <= 2; i++ {
		if _, err := s.WriteHour(ctx, HourWrite{Hour: h.Add(time.Duration(i) * time.Hour), CollectedAt: h, Records: []CostRecord{other, renamed}}); err != nil {
			t.Fatal(err)
		}
	}
	s.DB().Raw("SELECT COUNT(*) FROM cost_keys").Scan(&keys)
	s.DB().Raw("SELECT COUNT(*) FROM cost_labels").Scan(&labels)
	if keys != 2 || labels != 2 {
		t.Errorf("after 3 hours: %d keys and %d labels, want 2 and 2", keys, labels)
	}
}
