package models

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

func hourAt(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func seedSummary(t testing.TB, s *Store, rows ...CostSummary) {
	t.Helper()
	if err := s.DB().Create(&rows).Error; err != nil {
		t.Fatalf("seed cost_summary: %v", err)
	}
}

func seedResources(t testing.TB, s *Store, rows ...ResourceRow) {
	t.Helper()
	for i := range rows {
		if rows[i].Key == "" {
			rows[i].Key = rows[i].Service + "/" + rows[i].Region + "/" + rows[i].ResourceID
		}
	}
	if err := s.DB().Create(&rows).Error; err != nil {
		t.Fatalf("seed resources: %v", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestHourlyCostQueries(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if _, ok, err := s.LatestCostHour(ctx); err != nil || ok {
		t.Fatalf("empty store: LatestCostHour ok=%v err=%v, want no hour", ok, err)
	}
	seedSummary(t, s,
		// 2025-03-09 15:00 UTC is 23:00 in Shanghai; 16:00 UTC is the next day there.
		CostSummary{Hour: hourAt("2025-03-09 15:00"), Service: "ec2", Region: "us-east-1", CostUSD: 0.0104},
		CostSummary{Hour: hourAt("2025-03-09 16:00"), Service: "ec2", Region: "us-east-1", CostUSD: 0.0104},
		CostSummary{Hour: hourAt("2025-03-09 16:00"), Service: "ec2", Region: "eu-west-1", CostUSD: 0.096},
		CostSummary{Hour: hourAt("2025-03-09 16:00"), Service: "vpc", Region: "us-east-1", CostUSD: 0.045},
		CostSummary{Hour: hourAt("2025-03-09 17:00"), Service: "vpc", Region: "us-east-1", CostUSD: 0.045},
	)

	latest, ok, err := s.LatestCostHour(ctx)
	if err != nil || !ok || !latest.Equal(hourAt("2025-03-09 17:00")) {
		t.Fatalf("LatestCostHour = %v %v %v, want 17:00", latest, ok, err)
	}
	// An hour collected with nothing billable is the latest hour all the same.
	if err := s.DB().Create(&CostHour{Hour: hourAt("2025-03-09 18:00"), Month: "2025-03"}).Error; err != nil {
		t.Fatal(err)
	}
	if latest, _, _ := s.LatestCostHour(ctx); !latest.Equal(hourAt("2025-03-09 18:00")) {
		t.Fatalf("LatestCostHour = %v, want the empty 18:00 hour", latest)
	}

	total, err := s.CostTotal(ctx, hourAt("2025-03-09 16:00"), hourAt("2025-03-09 18:00"), nil)
	// 0.0104 + 0.096 + 0.045 (16:00) + 0.045 (17:00); the 15:00 row is before the range.
	if err != nil || !near(total, 0.1964) {
		t.Fatalf("CostTotal = %v, %v; want 0.1964", total, err)
	}

	services, err := s.ServiceCosts(ctx, hourAt("2025-03-09 16:00"), hourAt("2025-03-09 17:00"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// ec2 sums its two regions: 0.0104 + 0.096 = 0.1064, ahead of vpc's 0.045.
	if len(services) != 2 || services[0].Service != "ec2" || !near(services[0].USD, 0.1064) ||
		services[1].Service != "vpc" || !near(services[1].USD, 0.045) {
		t.Fatalf("ServiceCosts = %+v", services)
	}

	hourly, err := s.HourlyServiceCosts(ctx, hourAt("2025-03-09 15:00"), hourAt("2025-03-09 18:00"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hourly {
		got = append(got, fmt.Sprintf("%s %s %.4f", h.Hour.Format("15:04"), h.Service, h.USD))
	}
	want := []string{"15:00 ec2 0.0104", "16:00 ec2 0.1064", "16:00 vpc 0.0450", "17:00 vpc 0.0450"}
	if !slices.Equal(got, want) {
		t.Fatalf("HourlyServiceCosts = %q, want %q", got, want)
	}

	totals, err := s.HourlyTotals(ctx, hourAt("2025-03-09 15:00"), hourAt("2025-03-09 18:00"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(totals) != 3 || !near(totals[0].USD, 0.0104) || !near(totals[1].USD, 0.1514) || !near(totals[2].USD, 0.045) ||
		!totals[1].Hour.Equal(hourAt("2025-03-09 16:00")) {
		t.Fatalf("HourlyTotals = %+v", totals)
	}

	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	days, err := s.DailyServiceCosts(ctx, hourAt("2025-03-09 00:00"), hourAt("2025-03-10 00:00"), shanghai, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range days {
		got = append(got, fmt.Sprintf("%s %s %.4f", d.Day.Format("01-02 MST"), d.Service, d.USD))
	}
	// 15:00 UTC falls on the 9th in Shanghai, 16:00 and 17:00 on the 10th.
	want = []string{"03-09 CST ec2 0.0104", "03-10 CST ec2 0.1064", "03-10 CST vpc 0.0900"}
	if !slices.Equal(got, want) {
		t.Fatalf("DailyServiceCosts = %q, want %q", got, want)
	}
}

// TestDailyServiceCostsMatchTheHours checks the day sums, which DailyServiceCosts adds up
// as the rows stream in, against the hourly rows bucketed one by one, in zones with and
// without a daylight-saving change in the range (New York moved its clocks on 2025-03-09).
func TestDailyServiceCostsMatchTheHours(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	start := hourAt("2025-03-07 00:00")
	var rows []CostSummary
	for h := range 96 {
		hour := start.Add(time.Duration(h) * time.Hour)
		// vpc sorts after ec2 but costs only from the second hour of each day, so a
		// day's services arrive out of name order.
		rows = append(rows,
			CostSummary{Hour: hour, Service: "waf", Region: "us-east-1", CostUSD: 0.01},
			CostSummary{Hour: hour, Service: "ec2", Region: "us-east-1", CostUSD: 0.1 + float64(h)/1000},
			CostSummary{Hour: hour, Service: "ec2", Region: "eu-west-1", CostUSD: 0.2})
		if h%24 != 0 {
			rows = append(rows, CostSummary{Hour: hour, Service: "vpc", Region: "us-east-1", CostUSD: 0.045})
		}
	}
	seedSummary(t, s, rows...)
	hours, err := s.HourlyServiceCosts(ctx, start, start.Add(96*time.Hour), nil)
	if err != nil || len(hours) != 96*3-4 {
		t.Fatalf("HourlyServiceCosts: %d rows, %v", len(hours), err)
	}
	for _, zone := range []string{"UTC", "Asia/Shanghai", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			from, to := start.Add(5*time.Hour), start.Add(90*time.Hour)
			want := map[string]float64{}
			for _, h := range hours {
				if h.Hour.Before(from) || !h.Hour.Before(to) {
					continue
				}
				local := h.Hour.In(loc)
				want[local.Format(time.DateOnly)+" "+h.Service] += h.USD
			}
			days, err := s.DailyServiceCosts(ctx, from, to, loc, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for i, d := range days {
				if d.Day.Location() != loc || d.Day.Hour() != 0 || d.Day.Minute() != 0 {
					t.Errorf("day %v is not a midnight in %s", d.Day, zone)
				}
				got[d.Day.Format(time.DateOnly)+" "+d.Service] = d.USD
				if i > 0 {
					prev := days[i-1]
					if d.Day.Before(prev.Day) || (d.Day.Equal(prev.Day) && d.Service <= prev.Service) {
						t.Errorf("%v %s after %v %s: want by day, then service", d.Day, d.Service, prev.Day, prev.Service)
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d day rows, want %d: %v", len(got), len(want), got)
			}
			for k, w := range want {
				if !near(got[k], w) {
					t.Errorf("%s = %v, want %v", k, got[k], w)
				}
			}
		})
	}
}

func TestParseStoredTime(t *testing.T) {
	want := hourAt("2025-03-09 15:00")
	for _, text := range []string{
		"2025-03-09 15:00:00+00:00", // what the driver writes
		"2025-03-09 23:00:00+08:00",
		"2025-03-09T15:00:00Z",
		"2025-03-09 15:00:00",
		"2025-03-09 15:00:00.000",
		"2025-03-09 15:00",
	} {
		got, err := parseStoredTime(text)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseStoredTime(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	if _, err := parseStoredTime("yesterday"); err == nil {
		t.Error("a text that is no time must be an error")
	}
}

func TestMonthBill(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	closedAt := hourAt("2025-03-01 00:05")
	rows := []MonthlySummary{
		{Month: "2025-02", Service: "ec2", CostUSD: 69.888, Hours: 672, EstimatedHours: 3, Closed: true, ClosedAt: &closedAt},
		{Month: "2025-02", Service: "vpc", CostUSD: 30.24, Hours: 672, EstimatedHours: 3, Closed: true, ClosedAt: &closedAt},
	}
	if err := s.DB().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	seedSummary(t, s,
		CostSummary{Hour: hourAt("2025-03-01 00:00"), Service: "ec2", Region: "us-east-1", CostUSD: 0.1064},
		CostSummary{Hour: hourAt("2025-03-01 01:00"), Service: "ec2", Region: "us-east-1", CostUSD: 0.1064, Estimated: true},
		CostSummary{Hour: hourAt("2025-03-01 01:00"), Service: "s3", Region: "us-east-1", CostUSD: 0.5},
		CostSummary{Hour: hourAt("2025-04-01 00:00"), Service: "s3", Region: "us-east-1", CostUSD: 9}, // next month
	)

	feb, err := s.MonthBill(ctx, "2025-02", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !feb.Closed || feb.Live || feb.Hours != 672 || feb.EstimatedHours != 3 || !near(feb.TotalUSD, 100.128) ||
		feb.ClosedAt == nil || !feb.ClosedAt.Equal(closedAt) ||
		len(feb.Services) != 2 || feb.Services[0].Service != "ec2" || feb.Services[1].Service != "vpc" {
		t.Fatalf("closed bill = %+v", feb)
	}

	mar, err := s.MonthBill(ctx, "2025-03", nil)
	if err != nil {
		t.Fatal(err)
	}
	// s3 0.5 ranks above ec2 0.2128; two distinct hours, one of them estimated.
	if mar.Closed || !mar.Live || mar.Hours != 2 || mar.EstimatedHours != 1 || !near(mar.TotalUSD, 0.7128) ||
		len(mar.Services) != 2 || mar.Services[0].Service != "s3" || !near(mar.Services[1].USD, 0.2128) {
		t.Fatalf("live bill = %+v", mar)
	}

	jan, err := s.MonthBill(ctx, "2025-01", nil)
	if err != nil || !jan.Empty() || jan.TotalUSD != 0 {
		t.Fatalf("empty month = %+v, %v", jan, err)
	}
	if _, err := s.MonthBill(ctx, "2025-13", nil); err == nil {
		t.Fatal("month 2025-13 must be an error")
	}

	// Month by month from 2024-12 to 2025-03, only February and March have a bill.
	var bills []Bill
	for _, m := range []string{"2024-12", "2025-01", "2025-02", "2025-03"} {
		bill, err := s.MonthBill(ctx, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bill.Empty() {
			bills = append(bills, bill)
		}
	}
	if len(bills) != 2 || bills[0].Month != "2025-02" || bills[1].Month != "2025-03" {
		t.Fatalf("bills = %+v", bills)
	}

	months, err := s.BillMonths(ctx, hourAt("2025-04-15 00:00"), 12)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2025-04", "2025-03", "2025-02"}; !slices.Equal(months, want) {
		t.Fatalf("BillMonths = %v, want %v", months, want)
	}
	months, err = s.BillMonths(ctx, hourAt("2025-04-15 00:00"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2025-04", "2025-03"}; !slices.Equal(months, want) {
		t.Fatalf("BillMonths(limit 2) = %v, want %v", months, want)
	}
}

func TestActiveResources(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	var rows []ResourceRow
	for i := range 23 {
		region := "us-east-1"
		if i%3 == 0 {
			region = "eu-west-1"
		}
		rows = append(rows, ResourceRow{Service: "ec2", Region: region, ResourceID: fmt.Sprintf("i-%02d", i+1),
			Name: fmt.Sprintf("vm-%02d", i+1), HourlyUSD: float64(i+1) / 100, Priced: true, PriceSource: SourceAPI, Active: true})
	}
	rows = append(rows,
		ResourceRow{Service: "ec2", Region: "us-east-1", ResourceID: "i-gone", HourlyUSD: 9, Priced: true, PriceSource: SourceAPI, Active: false},
		ResourceRow{Service: "ec2", Region: "ap-east-1", ResourceID: "i-odd", Name: "odd", Priced: false, Active: true},
		ResourceRow{Service: "ebs", Region: "us-east-1", ResourceID: "vol-1", HourlyUSD: 0.011, Priced: true, PriceSource: SourceFallback, Active: true, Waste: true},
		ResourceRow{Service: "ebs", Region: "us-east-1", ResourceID: "vol-2", HourlyUSD: 0.011, Priced: true, PriceSource: SourceCache, Active: true},
	)
	seedResources(t, s, rows...)

	page, err := s.ActiveResources(ctx, ResourceFilter{Service: "ec2", Offset: 10, Limit: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range page.Rows {
		names = append(names, r.Name)
	}
	// 24 active: vm-23 .. vm-01 by cost, then the unpriced one; items 11-20 are vm-13 .. vm-04.
	want := []string{"vm-13", "vm-12", "vm-11", "vm-10", "vm-09", "vm-08", "vm-07", "vm-06", "vm-05", "vm-04"}
	if page.Total != 24 || !slices.Equal(names, want) {
		t.Fatalf("page 2 = %d %q, want 24 %q", page.Total, names, want)
	}
	last, err := s.ActiveResources(ctx, ResourceFilter{Service: "ec2", Offset: 20, Limit: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Rows) != 4 || last.Rows[3].ResourceID != "i-odd" {
		t.Fatalf("last page must end with the unpriced resource: %+v", last.Rows)
	}

	eu, err := s.ActiveResources(ctx, ResourceFilter{Service: "ec2", Region: "eu-west-1", Limit: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, r := range eu.Rows {
		names = append(names, r.Name)
	}
	// i%3 == 0: vm-01, 04, 07, 10, 13, 16, 19, 22
	if want := []string{"vm-22", "vm-19", "vm-16", "vm-13", "vm-10", "vm-07", "vm-04", "vm-01"}; eu.Total != 8 || !slices.Equal(names, want) {
		t.Fatalf("eu-west-1 = %d %q", eu.Total, names)
	}

	regions, err := s.ActiveResourceRegions(ctx, "ec2", nil)
	if err != nil || !slices.Equal(regions, []string{"ap-east-1", "eu-west-1", "us-east-1"}) {
		t.Fatalf("regions = %v, %v", regions, err)
	}
	counts, err := s.ActiveResourceCounts(ctx)
	if err != nil || counts["ec2"] != 24 || counts["ebs"] != 2 || len(counts) != 2 {
		t.Fatalf("counts = %v, %v", counts, err)
	}
	src, err := s.priceSourceCounts(ctx)
	if err != nil || src != (PriceSourceCounts{API: 23, Cache: 1, Fallback: 1, Unpriced: 1}) {
		t.Fatalf("price sources = %+v, %v", src, err)
	}
	// /cost reads both in one pass.
	tally, err := s.TallyActiveResources(ctx, nil)
	if err != nil || !maps.Equal(tally.PerService, counts) || tally.Sources != src {
		t.Fatalf("tally = %+v, %v; want %v and %+v", tally, err, counts, src)
	}
}

func TestLastRunOf(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if run, err := s.LastRunOf(ctx, "collect"); err != nil || run != nil {
		t.Fatalf("no runs: %v %v", run, err)
	}
	for _, at := range []string{"2025-03-10 10:00", "2025-03-10 11:00"} {
		run, err := s.StartJobRun(ctx, "collect", hourAt(at))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishJobRun(ctx, run, hourAt(at).Add(time.Minute), "resources=2", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.StartJobRun(ctx, "outbox", hourAt("2025-03-10 12:00")); err != nil {
		t.Fatal(err)
	}
	run, err := s.LastRunOf(ctx, "collect")
	if err != nil || run == nil || !run.StartedAt.Equal(hourAt("2025-03-10 11:00")) || run.Outcome != "ok" {
		t.Fatalf("LastRunOf = %+v, %v", run, err)
	}
}

// TestCostQueriesUseIndexes checks every query's plan: none reads a whole table, so
// their cost grows with the range asked for, not with the history kept.
func TestCostQueriesUseIndexes(t *testing.T) {
	s := openTestStore(t)
	a, b := hourAt("2025-03-01 00:00"), hourAt("2025-04-01 00:00")
	queries := map[string][]any{
		qLatestCostHour: nil,
		qLatestHourRow:  nil,
		qFirstCostHour:  nil,
		qCostTotal:      {a, b},
		qServiceCosts:   {a, b},
		qHourlyServices: {a, b},
		qHourlyTotals:   {a, b},
		qLiveHours:      {a, b},
		qAnyCostIn:      {a, b},
		qMonthRows:      {"2025-03"},
		qSummaryMonths:  {"2024-04"},
		qResourceCount:  {"ec2", true, "", ""},
		qResourcePage:   {"ec2", true, "", "", 10, 0},
		qResourceRegion: {"ec2", true},
		qResourceTally:  {true},
		qLastRunOf:      {"collect"},
	}
	if s.Postgres() {
		postgresQueriesUseIndexes(t, s, queries)
		return
	}
	for q, args := range queries {
		var plan []struct{ Detail string }
		if err := s.DB().Raw("EXPLAIN QUERY PLAN "+q, args...).Scan(&plan).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var lines []string
		// cost_summary is a WITHOUT ROWID table, its rows kept in primary key order: a
		// "SCAN cost_summary" with a LIMIT and no sort walks that order and stops early.
		inKeyOrder := strings.Contains(q, " LIMIT ") && !slices.ContainsFunc(plan, func(p struct{ Detail string }) bool {
			return strings.Contains(p.Detail, "TEMP B-TREE")
		})
		for _, p := range plan {
			lines = append(lines, p.Detail)
			for _, table := range []string{"cost_summary", "monthly_summary", "resources", "job_runs"} {
				// "SCAN t" alone is a full table scan; "SCAN t USING INDEX" walks an index in order.
				if p.Detail == "SCAN "+table && !(table == "cost_summary" && inKeyOrder) {
					t.Errorf("full scan of %s in %q", table, q)
				}
			}
			if strings.Contains(p.Detail, "cost_records") {
				t.Errorf("%q reads cost_records", q)
			}
		}
		if len(lines) == 0 {
			t.Errorf("%q: no plan", q)
		}
	}
}

// postgresQueriesUseIndexes checks on PostgreSQL that no query needs a sequential scan
// of the tables that grow: with sequential scans priced out, a plan still holding one
// has no index to use.
func postgresQueriesUseIndexes(t *testing.T, s *Store, queries map[string][]any) {
	t.Helper()
	err := s.DB().Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return err
		}
		for q, args := range queries {
			var plan []string
			if err := tx.Raw("EXPLAIN "+forDB(tx, q), args...).Scan(&plan).Error; err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			for _, line := range plan {
				for _, table := range []string{"cost_summary", "monthly_summary", "resources", "job_runs"} {
					if strings.Contains(line, "Seq Scan on "+table) {
						t.Errorf("full scan of %s in %q:\n%s", table, q, strings.Join(plan, "\n"))
					}
				}
				if strings.Contains(line, "cost_records") {
					t.Errorf("%q reads cost_records", q)
				}
			}
			if len(plan) == 0 {
				t.Errorf("%q: no plan", q)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// seedYear fills cost_summary with a year of hours for services × regions, and
// resources with n rows, inside the database so seeding stays fast.
func seedYear(t testing.TB, s *Store, end time.Time, services, regions, resources int) {
	t.Helper()
	db := s.DB()
	if s.Postgres() {
		seedYearPostgres(t, s, end, services, regions, resources)
		return
	}
	err := db.Exec(`
WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n < 8759),
     sv(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM sv WHERE i < ?),
     rg(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM rg WHERE j < ?)
INSERT INTO cost_summary (hour, service, region, cost_usd, resource_count, estimated)
SELECT strftime('%Y-%m-%d %H:%M:%S+00:00', ?, '-' || n || ' hours'), 'svc' || i, 'region-' || j, 0.01 * (i + 1), 10, 0
FROM h, sv, rg`, services-1, regions-1, end.UTC().Format("2006-01-02 15:04:05")).Error
	if err != nil {
		t.Fatalf("seed a year: %v", err)
	}
	err = db.Exec(`
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < ?)
INSERT INTO resources (key, service, region, resource_id, name, hourly_usd, monthly_usd, price_source, priced, active)
SELECT 'k' || n, 'svc' || (n % ?), 'region-' || (n % ?), 'id-' || n, 'name-' || n, n * 0.001, n * 0.73, 'api', 1, 1 FROM r`,
		resources, services, regions).Error
	if err != nil {
		t.Fatalf("seed resources: %v", err)
	}
}

func seedYearPostgres(t testing.TB, s *Store, end time.Time, services, regions, resources int) {
	t.Helper()
	err := s.DB().Exec(`INSERT INTO cost_summary (hour, service, region, cost_usd, resource_count, estimated)
SELECT CAST(? AS TIMESTAMPTZ) - n * INTERVAL '1 hour', 'svc' || i, 'region-' || j, 0.01 * (i + 1), 10, false
FROM generate_series(0, 8759) AS n, generate_series(0, ?) AS i, generate_series(0, ?) AS j`, end.UTC(), services-1, regions-1).Error
	if err != nil {
		t.Fatalf("seed a year: %v", err)
	}
	err = s.DB().Exec(`INSERT INTO resources (key, service, region, resource_id, name, hourly_usd, monthly_usd, price_source, priced, active)
SELECT 'k' || n, 'svc' || (n % ?), 'region-' || (n % ?), 'id-' || n, 'name-' || n, n * 0.001, n * 0.73, 'api', true, true
FROM generate_series(1, ?) AS n`, services, regions, resources).Error
	if err != nil {
		t.Fatalf("seed resources: %v", err)
	}
}

// TestCostQueriesOnAYearOfHistory runs the bot's queries on a year of hourly history
// and 2,000 resources and checks their answers against arithmetic, so the seeded format
// is the one the queries compare with. Two services in one region keep it quick under
// -race; BenchmarkCostQueriesOnAYearOfHistory times the full 12 services × 6 regions.
func TestCostQueriesOnAYearOfHistory(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	end := hourAt("2025-03-10 12:00")
	seedYear(t, s, end, 2, 1, 2000)

	latest, ok, err := s.LatestCostHour(ctx)
	if err != nil || !ok || !latest.Equal(end) {
		t.Fatalf("LatestCostHour = %v %v %v", latest, ok, err)
	}
	// Per hour: 0.01 + 0.02 = 0.03.
	day, err := s.CostTotal(ctx, end.Add(-23*time.Hour), end.Add(time.Hour), nil)
	if err != nil || !near(day, 24*0.03) {
		t.Fatalf("last 24h = %v, %v; want %v", day, err, 24*0.03)
	}
	hourly, err := s.HourlyServiceCosts(ctx, end.Add(-23*time.Hour), end.Add(time.Hour), nil)
	if err != nil || len(hourly) != 24*2 {
		t.Fatalf("24h by service: %d rows, %v", len(hourly), err)
	}
	feb, err := s.MonthBill(ctx, "2025-02", nil)
	if err != nil || !feb.Live || feb.Hours != 28*24 || !near(feb.TotalUSD, 28*24*0.03) {
		t.Fatalf("February = %+v, %v", feb, err)
	}
	// svc1 holds the odd-numbered resources, the dearest being id-1999.
	page, err := s.ActiveResources(ctx, ResourceFilter{Service: "svc1", Region: "region-0", Limit: 10}, nil)
	if err != nil || page.Total != 1000 || len(page.Rows) != 10 || page.Rows[0].ResourceID != "id-1999" {
		t.Fatalf("resources page: total %d, %d rows, first %+v, %v", page.Total, len(page.Rows), page.Rows, err)
	}
	months, err := s.BillMonths(ctx, end, 13)
	if err != nil || len(months) != 13 {
		t.Fatalf("BillMonths = %v, %v", months, err)
	}
}

func BenchmarkCostQueriesOnAYearOfHistory(b *testing.B) {
	s := openTestStore(b)
	ctx := context.Background()
	end := hourAt("2025-03-10 12:00")
	seedYear(b, s, end, 12, 6, 2000)
	b.ResetTimer()
	for b.Loop() {
		latest, _, _ := s.LatestCostHour(ctx)
		s.ServiceCosts(ctx, latest, latest.Add(time.Hour), nil)
		s.CostTotal(ctx, hourAt("2025-03-01 00:00"), latest.Add(time.Hour), nil)
		s.HourlyServiceCosts(ctx, latest.Add(-23*time.Hour), latest.Add(time.Hour), nil)
		s.MonthBill(ctx, "2025-03", nil)
		s.ActiveResources(ctx, ResourceFilter{Service: "svc1", Limit: 10, Offset: 20}, nil)
		s.priceSourceCounts(ctx)
	}
}
