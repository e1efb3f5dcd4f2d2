package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Two accounts may have resources of the same ID (a Lightsail instance "web" in each):
// each is its own resource, in the records, the summaries and the days.
func TestTwoAccountsWithTheSameResourceID(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	h := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	records := []CostRecord{
		{Hour: h, Service: "lightsail", Region: "us-east-1", ResourceID: "web", AccountID: "111111111111", Name: "web", CostUSD: 0.01, PriceSource: SourceAPI},
		{Hour: h, Service: "lightsail", Region: "us-east-1", ResourceID: "web", AccountID: "222222222222", Name: "web", CostUSD: 0.02, PriceSource: SourceAPI},
	}
	total, err := s.WriteHour(ctx, HourWrite{Hour: h, CollectedAt: h, Records: records})
	if err != nil {
		t.Fatal(err)
	}
	if total.ResourceCount != 2 || !csClose(total.TotalUSD, 0.03) {
		t.Errorf("hour total = %+v, want both accounts' resources", total)
	}
	got, err := s.CostRecordsAt(ctx, h)
	if err != nil || len(got) != 2 || got[0].AccountID == got[1].AccountID {
		t.Fatalf("records = %+v, %v; want one per account", got, err)
	}
	var summaries []CostSummary
	if err := s.DB().Order("account_id").Find(&summaries).Error; err != nil {
		t.Fatal(err)
	}
	if len(summaries) != 2 || summaries[0].AccountID != "111111111111" || !csClose(summaries[1].CostUSD, 0.02) {
		t.Errorf("summaries = %+v, want one per account", summaries)
	}
	// A failed task of one account carries only that account's rows forward.
	next := h.Add(time.Hour)
	carried, err := carryForward(s.DB(), TaskScope{Account: "222222222222", Service: "lightsail", Region: "us-east-1"}, next)
	if err != nil || len(carried) != 1 || carried[0].AccountID != "222222222222" || !carried[0].Estimated {
		t.Errorf("carried = %+v, %v; want the one row of 222222222222", carried, err)
	}
	if _, err := s.RollupCostRecords(ctx, h.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	days, err := s.DailyCosts(ctx, h.Truncate(24*time.Hour), h.Add(24*time.Hour))
	if err != nil || len(days) != 2 || days[0].AccountID == days[1].AccountID {
		t.Errorf("days = %+v, %v; want one per account", days, err)
	}
}

// A database of the layout before accounts (cost_keys and cost_summary without
// account_id) gets them, every row taking the account its descriptions name.
func TestOpenAddsTheAccountToTheCostTables(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "before-accounts.db")
	db, err := gorm.Open(sqlite.Open("file:"+path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	h := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	steps := []string{
		`CREATE TABLE cost_keys (id INTEGER PRIMARY KEY, service TEXT NOT NULL, region TEXT NOT NULL, resource_id TEXT NOT NULL, UNIQUE (service, region, resource_id))`,
		`CREATE TABLE cost_labels (id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, price_source TEXT NOT NULL, UNIQUE (account_id, name, type, price_source))`,
		`CREATE TABLE cost_hourly (hour INTEGER NOT NULL, key_id INTEGER NOT NULL, label_id INTEGER NOT NULL, cost_usd REAL NOT NULL, estimated INTEGER NOT NULL, PRIMARY KEY (hour, key_id)) WITHOUT ROWID`,
		`CREATE TABLE cost_summary (hour DATETIME NOT NULL, service TEXT NOT NULL, region TEXT NOT NULL, cost_usd REAL, resource_count INTEGER, estimated NUMERIC, PRIMARY KEY (hour, service, region)) WITHOUT ROWID`,
		`CREATE VIEW cost_records AS SELECT r.hour, k.service, k.region, k.resource_id, l.account_id FROM cost_hourly AS r JOIN cost_keys AS k ON k.id = r.key_id JOIN cost_labels AS l ON l.id = r.label_id`,
		`INSERT INTO cost_keys (id, service, region, resource_id) VALUES (7, 'ec2', 'us-east-1', 'i-1')`,
		`INSERT INTO cost_labels (id, account_id, name, type, price_source) VALUES (3, '123456789012', 'web', 't3.micro', 'api')`,
	}
	for _, q := range steps {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(`INSERT INTO cost_hourly VALUES (?, 7, 3, 0.0104, 0)`, h.Unix())
	db.Exec(`INSERT INTO cost_summary VALUES (?, 'ec2', 'us-east-1', 0.0104, 1, 0)`, h)
	if sqlDB, _ := db.DB(); sqlDB != nil {
		sqlDB.Close()
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	got, err := s.CostRecordsAt(ctx, h)
	if err != nil || len(got) != 1 || got[0].AccountID != "123456789012" || got[0].Name != "web" {
		t.Fatalf("records after the migration = %+v, %v", got, err)
	}
	var summary CostSummary
	if err := s.DB().Take(&summary).Error; err != nil || summary.AccountID != "123456789012" || !csClose(summary.CostUSD, 0.0104) {
		t.Errorf("summary = %+v, %v", summary, err)
	}
	// The same resource seen again lands on its old key, not a new one.
	if _, err := s.WriteHour(ctx, HourWrite{Hour: h.Add(time.Hour), CollectedAt: h, Records: []CostRecord{{Service: "ec2", Region: "us-east-1",
		ResourceID: "i-1", AccountID: "123456789012", Name: "web", Type: "t3.micro", CostUSD: 0.0104, PriceSource: SourceAPI}}}); err != nil {
		t.Fatal(err)
	}
	var keys []int
	s.DB().Raw(`SELECT id FROM cost_keys`).Scan(&keys)
	if len(keys) != 1 || keys[0] != 7 {
		t.Errorf("cost_keys ids = %v, want the one key 7", keys)
	}
}

// Two accounts' functions of the same name and region are two Lambda records, also in a
// database whose earlier unique index had no account.
func TestLambdaRecordsOfTwoAccounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	db, err := gorm.Open(sqlite.Open("file:"+path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE `lambda_records` (`id` integer PRIMARY KEY AUTOINCREMENT,`hour` datetime NOT NULL,`region` text NOT NULL,`function_name` text NOT NULL,`invocations` real,`duration_ms` real,`gb_seconds` real,`cost_usd` real)",
		"CREATE UNIQUE INDEX `idx_lambda_hour` ON `lambda_records`(`hour`,`region`,`function_name`)",
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if sqlDB, _ := db.DB(); sqlDB != nil {
		sqlDB.Close()
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	w := HourWrite{Hour: h, CollectedAt: h, Lambda: []LambdaRecord{
		{AccountID: "111111111111", Region: "us-east-1", FunctionName: "resize", Invocations: 10},
		{AccountID: "222222222222", Region: "us-east-1", FunctionName: "resize", Invocations: 20},
	}}
	for range 2 { // written twice, as a collection run again within the hour does
		if _, err := s.WriteHour(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	var got []LambdaRecord
	if err := s.DB().Order("account_id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Invocations != 10 || got[1].Invocations != 20 {
		t.Errorf("lambda records = %+v, want one per account", got)
	}
}
