package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
	"costbot/pricing"
)

// Real on-demand list prices (us-east-1) the in-process Pricing API serves.
const (
	t3MicroUSD  = 0.0104
	m5LargeUSD  = 0.096
	c5XLargeUSD = 0.17
	gp3GBMonth  = 0.08
	lambdaReq   = 0.0000002
	account     = "111122223333"
)

// fakeScanner returns the scan it was last given.
type fakeScanner struct {
	mu     sync.Mutex
	result aws.ScanResult
	err    error
	scans  int
	// entered, when set, hears of each scan as it starts, and the scan then waits for
	// release.
	entered chan struct{}
	release chan struct{}
}

func (s *fakeScanner) Scan(context.Context) (*aws.ScanResult, error) {
	s.mu.Lock()
	s.scans++
	entered, release := s.entered, s.release
	s.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
		<-release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	r := s.result
	r.Resources = slices.Clone(r.Resources)
	return &r, nil
}

func (s *fakeScanner) set(r aws.ScanResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.result = r
}

// fakeNotifier records events; while fail is set it refuses them.
type fakeNotifier struct {
	mu     sync.Mutex
	events []models.Event
	fail   error
}

func (n *fakeNotifier) Notify(_ context.Context, ev models.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.events = append(n.events, ev)
	return nil
}

func (n *fakeNotifier) setFail(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fail = err
}

func (n *fakeNotifier) of(kind string) []models.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []models.Event
	for _, ev := range n.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (n *fakeNotifier) all() []models.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.events)
}

type collectFixture struct {
	store     *models.Store
	clock     *clockwork.FakeClock
	scanner   *fakeScanner
	notifier  *fakeNotifier
	collector *Collector
	prices    *awstest.PricingServer
	opt       CollectorOptions
}

// newCollectFixture is a collector over a real SQLite store, a fake scanner and a real
// Pricer asking the in-process Pricing API, all on a fake clock.
func newCollectFixture(t *testing.T, start time.Time, opt CollectorOptions) *collectFixture {
	t.Helper()
	store := openStore(t)
	clock := clockwork.NewFakeClockAt(start)
	srv := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	pricer := pricing.New(store, pricing.NewAPIClient(srv.Config()), pricing.Options{Now: clock.Now})
	scanner := &fakeScanner{}
	notifier := &fakeNotifier{}
	opt.Clock = clock
	return &collectFixture{store: store, clock: clock, scanner: scanner, notifier: notifier, prices: srv, opt: opt,
		collector: NewCollector(store, scanner, pricer, notifier, opt)}
}

// withoutPriceCache makes every price come from the API, so a price source does not
// change from api to cache between two runs.
func (f *collectFixture) withoutPriceCache() {
	pricer := pricing.New(nil, pricing.NewAPIClient(f.prices.Config()), pricing.Options{Now: f.clock.Now})
	f.collector = NewCollector(f.store, f.scanner, pricer, f.notifier, f.opt)
}

// task names a scan task, "service/region".
type task string

// scanResult is a scan of tasks: each task lists the resources it covers, except the
// failing ones, which list nothing and carry an AccessDenied-like error.
func scanResult(tasks []task, failing []task, rs ...models.Resource) aws.ScanResult {
	res := aws.ScanResult{Account: account}
	var scopes []scope
	var results []aws.TaskResult
	for _, tk := range tasks {
		service, region, _ := strings.Cut(string(tk), "/")
		results = append(results, aws.TaskResult{Service: service, Region: region})
	}
	scopes = taskScopes(results)
	for i, tk := range tasks {
		if slices.Contains(failing, tk) {
			results[i].Err = fmt.Errorf("%s: api error AccessDenied: not authorized", tk)
			res.Errors = append(res.Errors, aws.TaskError{Service: results[i].Service, Region: results[i].Region, Error: "access denied"})
		}
	}
	for _, r := range rs {
		r.AccountID = account
		for i, sc := range scopes {
			if sc.Covers(r.Service, r.Region) {
				if results[i].Err == nil {
					results[i].Resources = append(results[i].Resources, r)
					res.Resources = append(res.Resources, r)
				}
				break
			}
		}
	}
	res.Tasks = results
	return res
}

var usEast1Tasks = []task{"ec2/us-east-1", "ebs/us-east-1", "lambda/us-east-1", "s3/global"}

func (f *collectFixture) scan(rs ...models.Resource) {
	f.scanner.set(scanResult(usEast1Tasks, nil, rs...))
}

func (f *collectFixture) collect(t *testing.T) string {
	t.Helper()
	counts, err := f.collector.Collect(context.Background())
	var partial *models.PartialError
	if err != nil && !errors.As(err, &partial) { // failed tasks are reported, not fatal
		t.Fatalf("collect at %s: %v", f.clock.Now().Format(time.RFC3339), err)
	}
	if strings.Contains(counts, " errors=0 ") != (partial == nil) {
		t.Fatalf("collect at %s: counts %q but partial error %v", f.clock.Now().Format(time.RFC3339), counts, partial)
	}
	return counts
}

func (f *collectFixture) advanceTo(at time.Time) { f.clock.Advance(at.Sub(f.clock.Now())) }

func instance(id, itype string) models.Resource {
	return models.Resource{Service: "ec2", Region: "us-east-1", ID: id, Name: id, Kind: models.KindInstance, Type: itype,
		State: "running", Attrs: map[string]string{"platform": "Linux/UNIX", "tenancy": "default"}, Usage: map[string]float64{}}
}

func volume(id string, gb float64) models.Resource {
	return models.Resource{Service: "ebs", Region: "us-east-1", ID: id, Name: id, Kind: models.KindVolume, Type: "gp3",
		State: "in-use", Usage: map[string]float64{"size_gb": gb, "iops": 3000, "throughput_mbps": 125}}
}

func function(id string, invocations, durationMS float64) models.Resource {
	return models.Resource{Service: "lambda", Region: "us-east-1", ID: id, Name: id, Kind: models.KindFunction, Type: "x86_64",
		State: "Active", Usage: map[string]float64{"memory_mb": 512, "invocations_hour": invocations, "duration_ms_hour": durationMS}}
}

func bucket(id string, gb float64) models.Resource {
	return models.Resource{Service: "s3", Region: "us-east-1", ID: id, Name: id, Kind: models.KindBucket, Type: "bucket",
		Usage: map[string]float64{"bytes_StandardStorage": gb * 1e9}}
}

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.10f, want %.10f", what, got, want)
	}
}

func monthRows(t *testing.T, s *models.Store, month string) map[string]models.MonthlySummary {
	t.Helper()
	rows, err := s.MonthlyRows(context.Background(), month)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.MonthlySummary{}
	for _, r := range rows {
		out[r.Service] = r
	}
	return out
}

func hourRecords(t *testing.T, s *models.Store, hour time.Time) map[string]models.CostRecord {
	t.Helper()
	rs, err := s.CostRecordsAt(context.Background(), hour)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.CostRecord{}
	for _, r := range rs {
		out[r.ResourceID] = r
	}
	return out
}

func resourceRows(t *testing.T, s *models.Store) map[string]models.ResourceRow {
	t.Helper()
	var rs []models.ResourceRow
	if err := s.DB().Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]models.ResourceRow{}
	for _, r := range rs {
		out[r.ResourceID] = r
	}
	return out
}

func costHour(t *testing.T, s *models.Store, hour time.Time) models.CostHour {
	t.Helper()
	hs, err := s.CostHours(context.Background(), hour, hour.Add(time.Hour))
	if err != nil || len(hs) != 1 {
		t.Fatalf("cost hour %s: %v, %d rows", hour.Format(time.RFC3339), err, len(hs))
	}
	return hs[0]
}

// historyTables are every table the collect job writes.
var historyTables = []string{"resources", "cost_records", "cost_summary", "lambda_records", "monthly_summary",
	"cost_hours", "cost_daily", "month_to_date", "cost_events", "alert_state"}

// dumpTables reads whole tables, every column of every row, in rowid order (in the
// order of all columns for the cost history's views and tables without a rowid).
func dumpTables(t *testing.T, s *models.Store, tables ...string) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, table := range tables {
		var rows []map[string]any
		order := "rowid"
		if table == "cost_records" || table == "cost_daily" || table == "cost_summary" {
			order = "1, 2, 3, 4"
		}
		if err := s.DB().Table(table).Order(order).Find(&rows).Error; err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		out[table] = rows
	}
	return out
}

// monthDump is every column of a month's monthly_summary rows.
func monthDump(t *testing.T, s *models.Store, month string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := s.DB().Table("monthly_summary").Where("month = ?", month).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameTables(t *testing.T, what string, a, b map[string][]map[string]any) {
	t.Helper()
	for table, rows := range a {
		if !reflect.DeepEqual(rows, b[table]) {
			t.Errorf("%s: table %s differs:\n before %v\n after  %v", what, table, rows, b[table])
		}
	}
}

func TestCollectAcrossAMonthChangeClosesTheBillOnce(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 31, 21, 10, 0, 0, time.UTC), CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"), function("fn-api", 1000, 200_000))

	for range 3 { // 21:00, 22:00, 23:00
		f.collect(t)
		f.clock.Advance(time.Hour)
	}
	may := monthRows(t, f.store, "2026-05")
	approx(t, "May ec2 after 3 hours", may["ec2"].CostUSD, 3*t3MicroUSD)
	if may["ec2"].Hours != 3 || may["ec2"].Closed || may["lambda"].Hours != 3 {
		t.Fatalf("May running bill = %+v", may)
	}
	if got := f.notifier.all(); len(got) != 0 {
		t.Fatalf("events before the month ended: %v", got)
	}
	var lambda []models.LambdaRecord
	f.store.DB().Order("hour").Find(&lambda)
	if len(lambda) != 3 || lambda[0].Invocations != 1000 || lambda[0].DurationMS != 200_000 {
		t.Fatalf("lambda records = %+v", lambda)
	}
	approx(t, "GB-s of 200 s at 512 MB", lambda[0].GBSeconds, 100)

	// 2026-06-01 00:10: the first hour of June closes May, but the notifier is down.
	f.notifier.setFail(errors.New("telegram down"))
	_, err := f.collector.Collect(ctx)
	if err == nil || !strings.Contains(err.Error(), "telegram down") {
		t.Fatalf("collect with the notifier down: err = %v", err)
	}
	may = monthRows(t, f.store, "2026-05")
	for _, r := range may {
		if !r.Closed || r.ClosedAt == nil || !r.ClosedAt.Equal(f.clock.Now()) {
			t.Fatalf("May not closed at %v: %+v", f.clock.Now(), r)
		}
	}
	approx(t, "closed May ec2", may["ec2"].CostUSD, 3*t3MicroUSD)
	closedMay := monthDump(t, f.store, "2026-05")
	june := monthRows(t, f.store, "2026-06")
	approx(t, "June ec2 from zero", june["ec2"].CostUSD, t3MicroUSD)
	if june["ec2"].Hours != 1 || june["ec2"].Closed {
		t.Fatalf("June = %+v", june["ec2"])
	}

	// The month-to-date meters start June from zero.
	var mayLast, juneFirst pricing.MonthToDate
	state, _, _ := f.store.MonthToDate(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err := json.Unmarshal([]byte(state), &juneFirst); err != nil {
		t.Fatal(err)
	}
	var row models.MonthToDateState
	f.store.DB().Where("hour = ?", time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)).Take(&row)
	if err := json.Unmarshal([]byte(row.After), &mayLast); err != nil {
		t.Fatal(err)
	}
	if mayLast.Month != "2026-05" || mayLast.Get("free:lambda-requests") != 3000 {
		t.Errorf("May's meters after 23:00 = %+v, want 3000 requests", mayLast)
	}
	if juneFirst.Month != "2026-06" || len(juneFirst.Usage) != 0 {
		t.Errorf("June's meters before 00:00 = %+v, want an empty June", juneFirst)
	}

	// 01:10: the notifier is back; the bill goes out once, and never again.
	f.notifier.setFail(nil)
	for range 2 {
		f.clock.Advance(time.Hour)
		f.collect(t)
	}
	bills := f.notifier.of(models.EventBillClosed)
	if len(bills) != 1 {
		t.Fatalf("bill closed raised %d times, want once: %v", len(bills), bills)
	}
	bill := bills[0].Data.(models.BillClosed)
	if bills[0].Key != "2026-05" || bill.Month != "2026-05" || bill.Hours != 3 || bill.EstimatedHours != 0 {
		t.Errorf("bill event = %+v", bills[0])
	}
	approx(t, "bill total", bill.TotalUSD, 3*t3MicroUSD)
	if len(bill.Services) != 2 || bill.Services[0].Service != "ec2" {
		t.Errorf("bill services = %+v, want ec2 first", bill.Services)
	}
	if after := monthDump(t, f.store, "2026-05"); !reflect.DeepEqual(closedMay, after) {
		t.Errorf("closed May rewritten:\n was %v\n now %v", closedMay, after)
	}
	approx(t, "June ec2 after 3 hours", monthRows(t, f.store, "2026-06")["ec2"].CostUSD, 3*t3MicroUSD)
}

func TestCollectingAnHourTwiceLeavesTheSameRows(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC)
	hour := at.Truncate(time.Hour)
	f := newCollectFixture(t, at, CollectorOptions{})
	f.withoutPriceCache()
	// The account's Lambda requests this month are 500 short of the free million, so
	// this hour's 1000 requests are half free: re-pricing the hour from the state after
	// it would make all of them billable.
	before := `{"month":"2026-05","usage":{"free:lambda-requests":999500}}`
	if err := f.store.PutMonthToDate(ctx, hour.Add(-time.Hour), before, before); err != nil {
		t.Fatal(err)
	}
	f.scan(instance("i-web", "t3.micro"), instance("i-db", "m5.large"), volume("vol-1", 100),
		function("fn-api", 1000, 0), bucket("logs", 10))

	f.collect(t)
	first := dumpTables(t, f.store, historyTables...)
	f.collect(t)
	sameTables(t, "same hour, same instant", first, dumpTables(t, f.store, historyTables...))

	recs := hourRecords(t, f.store, hour)
	approx(t, "half-free lambda hour", recs["fn-api"].CostUSD, 500*lambdaReq)
	approx(t, "gp3 100 GB hour", recs["vol-1"].CostUSD, 100*gp3GBMonth/models.HoursPerMonth)
	if len(recs) != 5 {
		t.Fatalf("records = %v", recs)
	}

	// Later in the same hour: the hour's cost rows are the same again (same IDs too).
	f.clock.Advance(35 * time.Minute)
	f.collect(t)
	for _, table := range []string{"cost_records", "cost_summary", "lambda_records", "month_to_date", "cost_events"} {
		if now := dumpTables(t, f.store, table)[table]; !reflect.DeepEqual(first[table], now) {
			t.Errorf("same hour, 35 minutes later: table %s differs:\n before %v\n after  %v", table, first[table], now)
		}
	}

	// A resource gone by the last scan of the hour leaves the hour and goes inactive.
	f.clock.Advance(10 * time.Minute)
	f.scan(instance("i-web", "t3.micro"), volume("vol-1", 100), function("fn-api", 1000, 0), bucket("logs", 10))
	f.collect(t)
	recs = hourRecords(t, f.store, hour)
	if _, ok := recs["i-db"]; ok || len(recs) != 4 {
		t.Errorf("records after i-db went = %v", recs)
	}
	res := resourceRows(t, f.store)
	if res["i-db"].Active || !res["i-web"].Active {
		t.Errorf("i-db active %v, i-web active %v", res["i-db"].Active, res["i-web"].Active)
	}
	var summaries []models.CostSummary
	f.store.DB().Where("hour = ? AND service = ?", hour, "ec2").Find(&summaries)
	if len(summaries) != 1 || summaries[0].ResourceCount != 1 {
		t.Fatalf("ec2 summary = %+v", summaries)
	}
	approx(t, "ec2 summary", summaries[0].CostUSD, t3MicroUSD)
	approx(t, "ec2 bill", monthRows(t, f.store, "2026-05")["ec2"].CostUSD, t3MicroUSD)
}

func TestMissedHoursAreFilledEstimatedAndCounted(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC), CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"), volume("vol-1", 50))
	f.collect(t)

	// costbot was down from 11:00 to 14:59.
	f.advanceTo(time.Date(2026, 5, 10, 15, 20, 0, 0, time.UTC))
	counts := f.collect(t)
	if !strings.Contains(counts, "filled=4") {
		t.Errorf("counts %q, want filled=4", counts)
	}
	hourly := t3MicroUSD + 50*gp3GBMonth/models.HoursPerMonth
	for h := 11; h <= 14; h++ {
		hour := time.Date(2026, 5, 10, h, 0, 0, 0, time.UTC)
		ch := costHour(t, f.store, hour)
		if !ch.Filled || !ch.Estimated || ch.ResourceCount != 2 {
			t.Errorf("%02d:00 = %+v, want filled and estimated", h, ch)
		}
		approx(t, fmt.Sprintf("%02d:00 total", h), ch.TotalUSD, hourly)
		for id, r := range hourRecords(t, f.store, hour) {
			if !r.Estimated {
				t.Errorf("%02d:00 %s not estimated", h, id)
			}
		}
	}
	if ch := costHour(t, f.store, time.Date(2026, 5, 10, 15, 0, 0, 0, time.UTC)); ch.Filled || ch.Estimated {
		t.Errorf("15:00 was collected, not estimated: %+v", ch)
	}
	bill := monthRows(t, f.store, "2026-05")
	approx(t, "ec2 over 6 hours", bill["ec2"].CostUSD, 6*t3MicroUSD)
	approx(t, "ebs over 6 hours", bill["ebs"].CostUSD, 6*50*gp3GBMonth/models.HoursPerMonth)
	if bill["ec2"].Hours != 6 || bill["ec2"].EstimatedHours != 4 {
		t.Errorf("bill hours %d estimated %d, want 6 and 4", bill["ec2"].Hours, bill["ec2"].EstimatedHours)
	}
}

func TestALongGapFillsBackToThePreviousMonthAndRollsUp(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), CollectorOptions{HourlyRetention: 48 * time.Hour})
	f.scan(instance("i-web", "t3.micro"))
	f.collect(t)

	// Down until 2 May: hours are filled from 1 April (the previous month) only.
	f.advanceTo(time.Date(2026, 5, 2, 3, 30, 0, 0, time.UTC))
	counts := f.collect(t)
	if want := fmt.Sprintf("filled=%d", 30*24+27); !strings.Contains(counts, want) {
		t.Errorf("counts %q, want %s", counts, want)
	}
	if hs, _ := f.store.CostHours(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); len(hs) != 0 {
		t.Errorf("March got %d hours, want none", len(hs))
	}

	bills := f.notifier.of(models.EventBillClosed)
	if len(bills) != 2 || bills[0].Key != "2026-02" || bills[1].Key != "2026-04" {
		t.Fatalf("bills closed = %v, want February and April", bills)
	}
	feb, apr := bills[0].Data.(models.BillClosed), bills[1].Data.(models.BillClosed)
	approx(t, "February", feb.TotalUSD, t3MicroUSD)
	approx(t, "April", apr.TotalUSD, 720*t3MicroUSD)
	if feb.Hours != 1 || apr.Hours != 720 || apr.EstimatedHours != 720 {
		t.Errorf("hours: February %d, April %d (%d estimated)", feb.Hours, apr.Hours, apr.EstimatedHours)
	}
	may := monthRows(t, f.store, "2026-05")["ec2"]
	approx(t, "May so far", may.CostUSD, 28*t3MicroUSD)
	if may.Hours != 28 || may.EstimatedHours != 27 {
		t.Errorf("May hours %d estimated %d", may.Hours, may.EstimatedHours)
	}

	// Hourly rows of whole days older than 48h are now daily rows with the same cost.
	if oldest, _, err := f.store.OldestCostRecordHour(ctx); err != nil || oldest.Before(time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("oldest hourly record %v (%v), want none before 30 April", oldest, err)
	}
	daily, err := f.store.DailyCosts(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(daily) != 1+29 {
		t.Fatalf("%d daily rows, want 30 (10 February, 1-29 April)", len(daily))
	}
	if daily[0].Hours != 1 || daily[1].Hours != 24 || daily[1].EstimatedHours != 24 || daily[1].Name != "i-web" {
		t.Errorf("daily rows start %+v %+v", daily[0], daily[1])
	}
	var rolled, hourly, summaries float64
	for _, d := range daily {
		rolled += d.CostUSD
	}
	f.store.DB().Raw("SELECT SUM(cost_usd) FROM cost_records").Scan(&hourly)
	f.store.DB().Raw("SELECT SUM(cost_usd) FROM cost_summary").Scan(&summaries)
	approx(t, "daily", rolled, (1+29*24)*t3MicroUSD)
	approx(t, "daily + hourly", rolled+hourly, summaries)
	if !strings.Contains(counts, fmt.Sprintf("rolled=%d", 1+29*24)) {
		t.Errorf("counts %q", counts)
	}

	// Nothing more to roll up or to close in the next hour.
	f.clock.Advance(time.Hour)
	counts = f.collect(t)
	if !strings.Contains(counts, "rolled=0") || !strings.Contains(counts, "filled=0") || len(f.notifier.of(models.EventBillClosed)) != 2 {
		t.Errorf("next hour: %q, %d bills", counts, len(f.notifier.of(models.EventBillClosed)))
	}
}

func in(r models.Resource, region string) models.Resource {
	r.Region = region
	return r
}

func TestNewResourceAlertOnceAndNeverForABaseline(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 12, 8, 5, 0, 0, time.UTC),
		CollectorOptions{NewResourceUSD: 20, BurnJumpPercent: 30, MonthlyBudgetUSD: 1000})
	tasks := []task{"ec2/us-east-1", "ec2/ap-northeast-1", "ebs/us-east-1"}
	old, tokyo := instance("i-old", "m5.large"), in(instance("i-tokyo", "m5.large"), "ap-northeast-1")

	// The first collection of an empty store is a baseline: the m5.large ($70/month)
	// raises nothing. Tokyo fails this time.
	f.scanner.set(scanResult(tasks, []task{"ec2/ap-northeast-1"}, old, tokyo))
	f.collect(t)
	if got := f.notifier.all(); len(got) != 0 {
		t.Fatalf("the baseline raised %v", got)
	}

	// Tokyo answers for the first time: its instance is a baseline too. In us-east-1 a
	// c5.xlarge ($124/month) and a t3.micro ($7.59/month, under $20) appear.
	f.clock.Advance(time.Hour)
	f.scanner.set(scanResult(tasks, nil, old, tokyo, instance("i-new", "c5.xlarge"), instance("i-small", "t3.micro")))
	f.collect(t)
	alerts := f.notifier.of(models.EventNewResource)
	if len(alerts) != 1 {
		t.Fatalf("new resource alerts = %v, want one for i-new", alerts)
	}
	a := alerts[0].Data.(models.NewResourceAlert)
	if alerts[0].Key != account+"/ec2/us-east-1/i-new" || a.ID != "i-new" || a.Type != "c5.xlarge" || a.Threshold != 20 ||
		a.Source != models.SourceAPI || !a.SeenAt.Equal(f.clock.Now()) {
		t.Errorf("alert = %+v (key %s)", a, alerts[0].Key)
	}
	approx(t, "alert monthly", a.MonthlyUSD, c5XLargeUSD*models.HoursPerMonth)

	// Collected again in the same hour and in the next: no second alert.
	f.collect(t)
	f.clock.Advance(time.Hour)
	f.collect(t)
	if n := len(f.notifier.of(models.EventNewResource)); n != 1 {
		t.Errorf("%d new resource alerts, want 1", n)
	}
	var queued int64
	f.store.DB().Model(&models.CostEvent{}).Where("kind = ?", models.EventNewResource).Count(&queued)
	if queued != 1 {
		t.Errorf("%d new resource events stored, want 1", queued)
	}
	if pending, _ := f.store.PendingCostEvents(ctx); len(pending) != 0 {
		t.Errorf("pending events %v", pending)
	}
}

func TestBurnJumpAlertsOncePerJump(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 0, 5, 0, 0, time.UTC), CollectorOptions{BurnJumpPercent: 30})
	small := []models.Resource{instance("i-web", "t3.micro")}
	big := []models.Resource{instance("i-web", "t3.micro"), instance("i-batch", "m5.large")}
	hours := [][]models.Resource{small, small, small, small, small, // 00-04
		big,   // 05: only 5 hours known, too few to judge
		small, // 06
		big,   // 07: a jump, alerted
		big,   // 08: the same jump, not again
		small, // 09: back to normal
		big,   // 10: a new jump
	}
	var keys []string
	for i, rs := range hours {
		f.scan(rs...)
		f.collect(t)
		jumps := f.notifier.of(models.EventBurnJump)
		if len(jumps) > len(keys) {
			keys = append(keys, jumps[len(jumps)-1].Key)
			if len(jumps) != len(keys) {
				t.Fatalf("hour %02d raised %d jumps at once", i, len(jumps)-len(keys)+1)
			}
		}
		f.clock.Advance(time.Hour)
	}
	want := []string{"2026-05-12T07:00:00Z", "2026-05-12T10:00:00Z"}
	if !slices.Equal(keys, want) {
		t.Fatalf("burn jumps at %v, want %v", keys, want)
	}
	j := f.notifier.of(models.EventBurnJump)[0].Data.(models.BurnJumpAlert)
	approx(t, "median", j.MedianUSD, t3MicroUSD)
	approx(t, "hourly", j.HourlyUSD, t3MicroUSD+m5LargeUSD)
	approx(t, "jump %", j.JumpPercent, ((t3MicroUSD+m5LargeUSD)/t3MicroUSD-1)*100)
	if j.Threshold != 30 || !j.Hour.Equal(time.Date(2026, 5, 12, 7, 0, 0, 0, time.UTC)) ||
		len(j.TopServices) != 1 || j.TopServices[0].Service != "ec2" {
		t.Errorf("alert = %+v", j)
	}
}

func TestBudgetAlertsOncePerCrossing(t *testing.T) {
	const budget = 1.0
	start := time.Date(2026, 5, 30, 12, 5, 0, 0, time.UTC)
	f := newCollectFixture(t, start, CollectorOptions{MonthlyBudgetUSD: budget})
	small := []models.Resource{instance("i-web", "t3.micro")}
	big := []models.Resource{instance("i-web", "t3.micro"), instance("i-build", "c5.xlarge")}
	rate := func(rs []models.Resource) float64 {
		if len(rs) == 2 {
			return t3MicroUSD + c5XLargeUSD
		}
		return t3MicroUSD
	}
	steps := []struct {
		rs      []models.Resource
		wantKey string // the budget alert this hour raises, "" for none
	}{
		{small, ""},        // 12:00 forecast $0.37
		{big, "2026-05#1"}, // 13:00 forecast above $1
		{big, ""},          // 14:00 still above: not again
		{small, ""},        // 15:00 back below
		{big, "2026-05#2"}, // 16:00 above again: once more
		{big, ""},          // 17:00
	}
	soFar := 0.0
	for i, st := range steps {
		f.scan(st.rs...)
		before := len(f.notifier.of(models.EventBudget))
		f.collect(t)
		hour := f.clock.Now().Truncate(time.Hour)
		soFar += rate(st.rs)
		got := f.notifier.of(models.EventBudget)
		switch {
		case st.wantKey == "" && len(got) != before:
			t.Fatalf("step %d (%s): unexpected budget alert %v", i, hour.Format(time.RFC3339), got[before:])
		case st.wantKey != "":
			if len(got) != before+1 || got[before].Key != st.wantKey {
				t.Fatalf("step %d (%s): alerts %v, want %s", i, hour.Format(time.RFC3339), got[before:], st.wantKey)
			}
			a := got[before].Data.(models.BudgetAlert)
			left := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Sub(hour.Add(time.Hour)).Hours()
			approx(t, "so far", a.SoFarUSD, soFar)
			approx(t, "forecast", a.ForecastUSD, soFar+rate(st.rs)*left)
			if a.Month != "2026-05" || a.BudgetUSD != budget || a.ForecastUSD <= budget {
				t.Errorf("alert = %+v", a)
			}
		}
		f.clock.Advance(time.Hour)
	}

	// A new month is judged on its own: June's first hour is above the budget too.
	f.advanceTo(time.Date(2026, 6, 1, 0, 5, 0, 0, time.UTC))
	f.collect(t)
	got := f.notifier.of(models.EventBudget)
	if len(got) != 3 || got[2].Key != "2026-06#1" {
		t.Fatalf("budget alerts %v, want a third for June", got)
	}
	approx(t, "June forecast", got[2].Data.(models.BudgetAlert).ForecastUSD, (t3MicroUSD+c5XLargeUSD)*30*24)
}

func TestFailedTaskIsCarriedForwardEstimated(t *testing.T) {
	ctx := context.Background()
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	web, db, vol, logs := instance("i-web", "t3.micro"), instance("i-db", "m5.large"), volume("vol-1", 100), bucket("logs", 10)
	f.scan(web, db, vol, logs)
	f.collect(t)
	hour10 := time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)
	first := hourRecords(t, f.store, hour10)
	resourcesBefore := dumpTables(t, f.store, "resources")

	// 11:05: EC2 and the (global) S3 listing are denied; EBS answers.
	f.clock.Advance(time.Hour)
	f.scanner.set(scanResult(usEast1Tasks, []task{"ec2/us-east-1", "s3/global"}, web, db, vol, logs))
	counts := f.collect(t)
	if !strings.Contains(counts, "carried=3") || !strings.Contains(counts, "errors=2") {
		t.Errorf("counts %q", counts)
	}
	hour11 := hour10.Add(time.Hour)
	recs := hourRecords(t, f.store, hour11)
	for _, id := range []string{"i-web", "i-db", "logs"} {
		if !recs[id].Estimated || recs[id].CostUSD != first[id].CostUSD || recs[id].PriceSource != first[id].PriceSource {
			t.Errorf("%s at 11:00 = %+v, want carried from %+v", id, recs[id], first[id])
		}
	}
	if recs["vol-1"].Estimated || len(recs) != 4 {
		t.Errorf("records at 11:00 = %+v", recs)
	}
	ch := costHour(t, f.store, hour11)
	if !ch.Estimated || ch.Filled || ch.CarriedTasks != 2 {
		t.Errorf("11:00 = %+v", ch)
	}
	approx(t, "11:00 total", ch.TotalUSD, costHour(t, f.store, hour10).TotalUSD)
	// The failed tasks' resources are as they were.
	if now := dumpTables(t, f.store, "resources"); !reflect.DeepEqual(resourcesBefore["resources"][:2], now["resources"][:2]) ||
		!reflect.DeepEqual(resourcesBefore["resources"][3], now["resources"][3]) {
		t.Errorf("resources of failed tasks changed:\n was %v\n now %v", resourcesBefore, now)
	}
	bill := monthRows(t, f.store, "2026-05")
	approx(t, "ec2 bill does not drop", bill["ec2"].CostUSD, 2*(t3MicroUSD+m5LargeUSD))
	if bill["ec2"].Hours != 2 || bill["ec2"].EstimatedHours != 1 {
		t.Errorf("ec2 bill = %+v", bill["ec2"])
	}
	var summaries []models.CostSummary
	f.store.DB().Where("hour = ?", hour11).Order("service").Find(&summaries)
	for _, s := range summaries {
		if s.Estimated != (s.Service != "ebs") {
			t.Errorf("summary %s estimated = %v", s.Service, s.Estimated)
		}
	}

	// 12:05: EC2 lists only i-web, S3 no bucket: i-db and the bucket are gone.
	f.clock.Advance(time.Hour)
	f.scan(web, vol)
	f.collect(t)
	res := resourceRows(t, f.store)
	if res["i-db"].Active || res["logs"].Active || !res["i-web"].Active || !res["vol-1"].Active {
		t.Errorf("active: i-db %v logs %v i-web %v vol-1 %v", res["i-db"].Active, res["logs"].Active, res["i-web"].Active, res["vol-1"].Active)
	}
	if recs := hourRecords(t, f.store, hour11.Add(time.Hour)); len(recs) != 2 || recs["i-web"].Estimated {
		t.Errorf("records at 12:00 = %+v", recs)
	}
	if h, ok, err := f.store.LastCollectedHour(ctx); err != nil || !ok || !h.Equal(hour11.Add(time.Hour)) {
		t.Errorf("last collected hour = %v %v %v", h, ok, err)
	}
}

func TestScheduleRunsAtStartOnlyWhenTheHourIsMissing(t *testing.T) {
	start := time.Date(2026, 5, 12, 10, 20, 0, 0, time.UTC)
	f := newCollectFixture(t, start, CollectorOptions{})
	f.scan(instance("i-web", "t3.micro"))
	schedule := func() (*Scheduler, chan time.Time) {
		s, err := NewScheduler(f.store, f.clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs := make(chan time.Time, 4)
		s.OnRunDone = func(job string, at time.Time, err error) {
			if err != nil {
				t.Errorf("%s: %v", job, err)
			}
			runs <- at
		}
		if err := f.collector.Schedule(s, time.Hour); err != nil {
			t.Fatal(err)
		}
		s.Start()
		return s, runs
	}

	due := func() bool {
		t.Helper()
		d, err := f.collector.dueAtStart(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Nothing collected yet: it runs at start-up.
	if !due() {
		t.Fatal("an empty store is not due at start-up")
	}
	s, runs := schedule()
	if at := waitRun(t, runs); !at.Equal(start) {
		t.Fatalf("first run at %v, want start-up %v", at, start)
	}
	s.Shutdown()

	// Restarted within the hour, which is collected: the next run is an interval later.
	if due() {
		t.Fatal("the collected hour is due again at start-up")
	}
	s, runs = schedule()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if at := waitRun(t, runs); !at.Equal(start.Add(time.Hour)) {
		t.Fatalf("run at %v, want %v and none at start-up", at, start.Add(time.Hour))
	}
	last, _, _ := f.store.LastCollectedHour(context.Background())
	if want := start.Add(time.Hour).Truncate(time.Hour); !last.Equal(want) {
		t.Errorf("last collected hour %v, want %v", last, want)
	}
	var recorded int64
	f.store.DB().Model(&models.JobRun{}).Where("job = ?", CollectJob).Count(&recorded)
	if recorded != 2 {
		t.Errorf("%d collect runs recorded, want 2 (start-up of the first scheduler, one interval of the second)", recorded)
	}
	// An hour later still, the new hour is due again.
	s.Shutdown()
	f.clock.Advance(time.Hour)
	if !due() {
		t.Error("a new hour is not due")
	}
}

func TestCollectNowSaysWhatItFound(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	unknown := instance("i-odd", "x9.mega")
	f.scanner.set(scanResult(usEast1Tasks, []task{"ebs/us-east-1"}, instance("i-web", "t3.micro"), unknown))
	sum, err := f.collector.CollectNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Hour.Equal(time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)) || sum.Resources != 2 || sum.Unpriced != 1 ||
		len(sum.Errors) != 1 || !strings.HasPrefix(sum.Errors[0], "ebs us-east-1: ") {
		t.Errorf("summary = %+v", sum)
	}
	approx(t, "hourly", sum.HourlyUSD, t3MicroUSD)
	if run, err := f.store.LastFailedJobRun(context.Background(), CollectJob); err != nil || run != nil {
		t.Errorf("a failed collect run recorded: %+v, %v", run, err)
	}
	runs, _ := f.store.LastJobRuns(context.Background())
	if len(runs) != 1 || runs[0].Job != CollectJob || runs[0].Outcome != "partial" || !strings.Contains(runs[0].Counts, "resources=2 unpriced=1") ||
		!strings.Contains(runs[0].Error, "ebs us-east-1: access denied") {
		t.Errorf("job runs = %+v, want the /collect run recorded as partial with the failed task", runs)
	}
	if r := hourRecords(t, f.store, sum.Hour)["i-odd"]; r.PriceSource != models.SourceUnpriced || r.CostUSD != 0 {
		t.Errorf("unpriced record = %+v", r)
	}

	// A scan that cannot even identify the account writes nothing.
	f.scanner.err = errors.New("sts: get caller identity: expired token")
	f.clock.Advance(time.Hour)
	if _, err := f.collector.CollectNow(context.Background()); err == nil || !strings.Contains(err.Error(), "expired token") {
		t.Fatalf("err = %v", err)
	}
	if last, _, _ := f.store.LastCollectedHour(context.Background()); !last.Equal(sum.Hour) {
		t.Errorf("last collected hour %v after a failed scan, want %v", last, sum.Hour)
	}
	if run, _ := f.store.LastFailedJobRun(context.Background(), CollectJob); run == nil || !strings.Contains(run.Error, "expired token") {
		t.Errorf("failed run recorded as %+v", run)
	}
}

// A /collect while the hourly run is going makes no second scan: it waits for that run
// and says what it found, however many ask.
func TestCollectNowJoinsTheRunGoingOn(t *testing.T) {
	f := newCollectFixture(t, time.Date(2026, 5, 12, 10, 5, 0, 0, time.UTC), CollectorOptions{})
	f.scanner.set(scanResult(usEast1Tasks, nil, instance("i-web", "t3.micro")))
	f.scanner.entered, f.scanner.release = make(chan struct{}), make(chan struct{})
	ctx := context.Background()

	scheduled := make(chan error, 1)
	go func() {
		_, err := f.collector.Collect(ctx)
		scheduled <- err
	}()
	<-f.scanner.entered // the hourly run is scanning

	const asks = 3
	type answer struct {
		sum models.CollectSummary
		err error
	}
	answers := make(chan answer, asks)
	for range asks {
		go func() {
			sum, err := f.collector.CollectNow(ctx)
			answers <- answer{sum, err}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); f.collector.joined() < asks; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d /collect joined the run going on", f.collector.joined(), asks)
		}
		time.Sleep(time.Millisecond)
	}
	close(f.scanner.release)
	if err := <-scheduled; err != nil {
		t.Fatal(err)
	}
	for range asks {
		a := <-answers
		if a.err != nil || a.sum.Resources != 1 || !a.sum.Hour.Equal(time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("joined /collect answered %+v, %v; want the hourly run's summary", a.sum, a.err)
		}
	}
	f.scanner.mu.Lock()
	scans := f.scanner.scans
	f.scanner.mu.Unlock()
	if scans != 1 {
		t.Errorf("%d scans, want 1", scans)
	}
	if runs, _ := f.store.LastJobRuns(ctx); len(runs) != 0 {
		t.Errorf("job runs %+v: a /collect that joined recorded a run of its own", runs)
	}

	// With nothing going on, /collect scans.
	f.scanner.entered = nil
	f.clock.Advance(time.Hour)
	if _, err := f.collector.CollectNow(ctx); err != nil {
		t.Fatal(err)
	}
	if f.scanner.scans != 2 {
		t.Errorf("%d scans after a /collect with nothing going on, want 2", f.scanner.scans)
	}
}

// The bot's /collect needs exactly this method (bot.CollectNower).
var _ interface {
	CollectNow(context.Context) (models.CollectSummary, error)
} = (*Collector)(nil)

// The bot's Notify has this shape.
var _ Notifier = (*fakeNotifier)(nil)
