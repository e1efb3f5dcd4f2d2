package jobs

import (
	"context"
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

// The bot's Notify has this shape.
var _ Notifier = (*fakeNotifier)(nil)
