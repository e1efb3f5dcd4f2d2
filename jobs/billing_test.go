package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
)

// billingFixture is the billing job over a real SQLite store and the real Cost Explorer
// client talking to moto_server through a proxy that can answer with faults.
type billingFixture struct {
	store    *models.Store
	clock    *clockwork.FakeClock
	moto     *awstest.Moto
	faults   *awstest.CostExplorerFaults
	notifier *fakeNotifier
	biller   *Biller
}

func newBillingFixture(t *testing.T, start time.Time, maxPerDay int) *billingFixture {
	t.Helper()
	m := awstest.StartMoto(t)
	m.Reset(t)
	faults, url := awstest.NewCostExplorerFaults(t, m.URL)
	ce := aws.NewCostExplorer(awstest.Config(url, "us-east-1"))
	ce.Backoff = time.Millisecond
	f := &billingFixture{store: openStore(t), clock: clockwork.NewFakeClockAt(start), moto: m, faults: faults, notifier: &fakeNotifier{}}
	f.biller = NewBiller(f.store, ce, f.notifier, BillingOptions{Clock: f.clock, MaxRequestsPerDay: maxPerDay,
		Estimated: []string{"ec2", "ebs", "vpc", "lightsail"}})
	return f
}

// estimate writes costbot's estimate: ec2 at usdPerHour for every hour of [from, to).
func (f *billingFixture) estimate(t *testing.T, from, to time.Time, usdPerHour float64) {
	t.Helper()
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		w := models.HourWrite{Hour: h, CollectedAt: h, Records: []models.CostRecord{
			{Hour: h, Service: "ec2", Region: "us-east-1", ResourceID: "i-web", CostUSD: usdPerHour, PriceSource: models.SourceAPI}}}
		if _, err := f.store.WriteHour(t.Context(), w); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *billingFixture) run(t *testing.T) (string, error) {
	t.Helper()
	return f.biller.Run(t.Context())
}

func (f *billingFixture) requests(t *testing.T, month string) int {
	t.Helper()
	var n int64
	if err := f.store.DB().Model(&models.CostExplorerRequest{}).Where("month = ?", month).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// ceDays is a usage answer for every day of [from, to): EC2 at ec2USD a day.
func ceDays(from, to time.Time, estimated bool, ec2USD float64) []awstest.CEDay {
	var out []awstest.CEDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		out = append(out, awstest.CEDay{Day: d.Format(time.DateOnly), Estimated: estimated, Groups: []awstest.CEGroup{
			{Keys: []string{"Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro"}, Unblended: fmt.Sprint(ec2USD), Net: fmt.Sprint(ec2USD)},
			{Keys: []string{"EC2 - Other", "DataTransfer-Out-Bytes"}, Unblended: "0.1", Net: "0.1", Quantity: "1.1", Unit: "GB"},
		}})
	}
	return out
}

// noCredits is a credits answer with every day of [from, to) empty.
func noCredits(from, to time.Time, estimated bool) map[string]any {
	var days []awstest.CEDay
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, awstest.CEDay{Day: d.Format(time.DateOnly), Estimated: estimated})
	}
	return awstest.CostAndUsage(days, "")
}

var (
	feb1 = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mar1 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

// A run reads the previous month and this one up to yesterday, stores every day, and
// raises the difference alert (EC2 billed $3 a day, estimated $1.20) and the credit
// alert once, however often it runs.
func TestBillingStoresDaysAndAlertsOnce(t *testing.T) {
	f := newBillingFixture(t, time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC), 20)
	f.estimate(t, mar1, mar1.AddDate(0, 0, 4), 0.05)
	mar5 := mar1.AddDate(0, 0, 4)
	credit := awstest.CostAndUsage([]awstest.CEDay{{Day: "2026-03-01", Estimated: true}, {Day: "2026-03-02", Estimated: true, Groups: []awstest.CEGroup{
		{Keys: []string{"Credit", "Amazon Elastic Compute Cloud - Compute"}, Unblended: "-2", Net: "-2"}}},
		{Day: "2026-03-03", Estimated: true}, {Day: "2026-03-04", Estimated: true}}, "")
	f.moto.QueueCostAndUsage(t,
		awstest.CostAndUsage(ceDays(feb1, mar1, true, 1), ""), noCredits(feb1, mar1, true),
		awstest.CostAndUsage(ceDays(mar1, mar5, true, 3), ""), credit)

	for i := range 2 {
		counts, err := f.run(t)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		t.Log(counts)
	}
	cmp, err := f.store.BillComparison(t.Context(), "2026-03", time.Time{}, []string{"ec2"})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Days != 4 || len(cmp.Services) != 1 {
		t.Fatalf("march: %+v", cmp)
	}
	approx(t, "ec2 billed", cmp.Services[0].BilledUSD, 12)
	approx(t, "ec2 estimated", cmp.Services[0].EstimatedUSD, 4*24*0.05)
	approx(t, "credits", cmp.CreditsUSD, -2)
	approx(t, "gross", cmp.GrossUSD, 12.4)
	approx(t, "net", cmp.NetUSD, 10.4)
	if feb, _ := f.store.BillComparison(t.Context(), "2026-02", time.Time{}, nil); feb.Days != 28 || feb.Final {
		t.Errorf("february: %d days, final %v; want 28 provisional", feb.Days, feb.Final)
	}
	diffs := f.notifier.of(models.EventBillDifference)
	if len(diffs) != 1 {
		t.Fatalf("difference alerts %v, want one", diffs)
	}
	d := diffs[0].Data.(models.BillDifference)
	if d.Service != "ec2" || d.TopUsageType != "BoxUsage:t3.micro" || d.Through != "2026-03-04" {
		t.Errorf("difference alert %+v", d)
	}
	if credits := f.notifier.of(models.EventBillCredit); len(credits) != 1 {
		t.Errorf("credit alerts %v, want one", credits)
	}
	if got := f.requests(t, "2026-03") + f.requests(t, "2026-02"); got != 8 {
		t.Errorf("%d paid requests, want 8 (2 queries x 2 months x 2 runs)", got)
	}
}

// A closed month is asked for until AWS finalises it; the run that finds it final
// pushes the final bill once, and later runs never ask for it again.
func TestBillingMonthTurnsProvisionalToFinal(t *testing.T) {
	f := newBillingFixture(t, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), 20)
	mar2, mar3 := mar1.AddDate(0, 0, 1), mar1.AddDate(0, 0, 2)
	f.moto.QueueCostAndUsage(t,
		awstest.CostAndUsage(ceDays(feb1, mar1, true, 1), ""), noCredits(feb1, mar1, true),
		awstest.CostAndUsage(ceDays(mar1, mar2, true, 1), ""), noCredits(mar1, mar2, true))
	if _, err := f.run(t); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := f.store.BilledMonthOf(t.Context(), "2026-02"); m.Final {
		t.Fatal("february final while AWS says estimated")
	}
	// AWS finalises February; a day later the run asks again.
	f.moto.Reset(t)
	f.moto.QueueCostAndUsage(t,
		awstest.CostAndUsage(ceDays(feb1, mar1, false, 1.1), ""), noCredits(feb1, mar1, false),
		awstest.CostAndUsage(ceDays(mar1, mar3, true, 1), ""), noCredits(mar1, mar3, true))
	f.clock.Advance(24 * time.Hour)
	if _, err := f.run(t); err != nil {
		t.Fatal(err)
	}
	feb, err := f.store.BillComparison(t.Context(), "2026-02", time.Time{}, nil)
	if err != nil || !feb.Final {
		t.Fatalf("february after AWS finalised it: %+v %v", feb, err)
	}
	approx(t, "february's final figure", feb.GrossUSD, 28*1.2)
	if finals := f.notifier.of(models.EventBillFinal); len(finals) != 1 || finals[0].Key != "2026-02" {
		t.Errorf("final bill pushes %v, want one for 2026-02", finals)
	}
	before := f.requests(t, "2026-02")
	f.clock.Advance(24 * time.Hour)
	f.moto.QueueCostAndUsage(t, awstest.CostAndUsage(ceDays(mar1, mar1.AddDate(0, 0, 3), true, 1), ""), noCredits(mar1, mar1.AddDate(0, 0, 3), true))
	if _, err := f.run(t); err != nil {
		t.Fatal(err)
	}
	if after := f.requests(t, "2026-02"); after != before {
		t.Errorf("a final month was asked for again: %d requests, then %d", before, after)
	}
	if finals := f.notifier.of(models.EventBillFinal); len(finals) != 1 {
		t.Errorf("final bill pushed %d times", len(finals))
	}
}

// A request over COST_EXPLORER_MAX_REQUESTS_PER_DAY is not made; the month it would have
// completed keeps what was stored, and /status says why.
func TestBillingRequestBudget(t *testing.T) {
	f := newBillingFixture(t, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), 3)
	mar3 := mar1.AddDate(0, 0, 2)
	f.moto.QueueCostAndUsage(t,
		awstest.CostAndUsage(ceDays(feb1, mar1, true, 1), ""), noCredits(feb1, mar1, true),
		awstest.CostAndUsage(ceDays(mar1, mar3, true, 1), ""), noCredits(mar1, mar3, true))
	if _, err := f.run(t); aws.ClassifyCostExplorerError(err) != models.BillingBudget || !strings.Contains(err.Error(), "COST_EXPLORER_MAX_REQUESTS_PER_DAY") {
		t.Fatalf("err %v: want the budget spent, named", err)
	}
	if f.faults.Requests() != 3 {
		t.Errorf("%d requests made with a budget of 3", f.faults.Requests())
	}
	st, _, _ := f.store.BillingStatusOf(t.Context())
	if st.Problem != models.BillingBudget {
		t.Errorf("status %+v, want the budget problem", st)
	}
	if m, ok, _ := f.store.BilledMonthOf(t.Context(), "2026-03"); ok {
		t.Errorf("march stored from half an answer: %+v", m)
	}
	if m, ok, _ := f.store.BilledMonthOf(t.Context(), "2026-02"); !ok || m.Days != 28 {
		t.Errorf("february: %+v %v", m, ok)
	}
	// The next day the budget is whole again.
	f.clock.Advance(24 * time.Hour)
	f.moto.QueueCostAndUsage(t, awstest.CostAndUsage(ceDays(mar1, mar1.AddDate(0, 0, 3), true, 1), ""), noCredits(mar1, mar1.AddDate(0, 0, 3), true))
	// February is not final, so its two requests and March's four do not fit in three.
	if _, err := f.run(t); aws.ClassifyCostExplorerError(err) != models.BillingBudget {
		t.Errorf("second day: %v, want the budget spent again", err)
	}
	if got := f.requests(t, "2026-02") + f.requests(t, "2026-03"); got != 6 {
		t.Errorf("%d requests over two days with a budget of 3 a day", got)
	}
}

// Access denied, throttling that never relents, data not available: the run fails with
// the problem named, what was stored stays as it was, nothing is stored twice.
func TestBillingFailuresKeepWhatWasStored(t *testing.T) {
	tests := []struct {
		name    string
		faults  []awstest.Fault
		problem string
	}{
		{"not enabled", []awstest.Fault{awstest.CENotEnabled}, models.BillingNotEnabled},
		{"access denied", []awstest.Fault{awstest.CEAccessDenied}, models.BillingAccessDenied},
		{"throttled", []awstest.Fault{awstest.CELimitExceeded, awstest.CELimitExceeded, awstest.CELimitExceeded, awstest.CELimitExceeded}, models.BillingThrottled},
		{"data unavailable", []awstest.Fault{awstest.CEDataUnavailable}, models.BillingDataUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBillingFixture(t, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), 50)
			mar3 := mar1.AddDate(0, 0, 2)
			f.moto.QueueCostAndUsage(t,
				awstest.CostAndUsage(ceDays(feb1, mar1, true, 1), ""), noCredits(feb1, mar1, true),
				awstest.CostAndUsage(ceDays(mar1, mar3, true, 2), ""), noCredits(mar1, mar3, true))
			if _, err := f.run(t); err != nil {
				t.Fatal(err)
			}
			var before int64
			f.store.DB().Model(&models.BilledCost{}).Count(&before)
			f.faults.Add(tt.faults...)
			_, err := f.run(t)
			if aws.ClassifyCostExplorerError(err) != tt.problem || !strings.Contains(err.Error(), models.BillingProblemAdvice[tt.problem]) {
				t.Fatalf("err %v: want the advice for %s", err, tt.problem)
			}
			st, _, _ := f.store.BillingStatusOf(t.Context())
			if st.Problem != tt.problem || st.LastOKAt == nil {
				t.Errorf("status %+v, want %s with the last good read kept", st, tt.problem)
			}
			var after int64
			f.store.DB().Model(&models.BilledCost{}).Count(&after)
			if after != before {
				t.Errorf("%d billed lines before the failure, %d after", before, after)
			}
		})
	}
}

func TestBillingDueAtStart(t *testing.T) {
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		ok   bool
		last time.Time
		want bool
	}{
		{"never read", false, time.Time{}, true},
		{"read an hour ago", true, now.Add(-time.Hour), false},
		{"read an interval ago", true, now.Add(-12 * time.Hour), true},
		{"read a day ago", true, now.Add(-24 * time.Hour), true},
	} {
		if got := billingDueAtStart(models.BillingStatus{CheckedAt: tt.last}, tt.ok, now, 12*time.Hour); got != tt.want {
			t.Errorf("%s: due %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Scheduled, the job runs at start-up and again every interval, on the scheduler's clock.
func TestBillingScheduleRunsAtStartThenEveryInterval(t *testing.T) {
	start := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	f := newBillingFixture(t, start, 20)
	s, err := NewScheduler(f.store, f.clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := make(chan time.Time, 4)
	s.OnRunDone = func(job string, at time.Time, err error) {
		if job == BillingJob {
			runs <- at
		}
	}
	if err := f.biller.Schedule(s, 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown() })
	if at := waitRun(t, runs); !at.Equal(start) {
		t.Fatalf("first run at %v, want start-up %v", at, start)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if next := s.NextRun(BillingJob); !next.Equal(start.Add(12 * time.Hour)) {
		t.Fatalf("next run %v, want 12h after start", next)
	}
	f.clock.Advance(12 * time.Hour)
	if at := waitRun(t, runs); !at.Equal(start.Add(12 * time.Hour)) {
		t.Fatalf("second run at %v", at)
	}
}

// Cost Explorer without data for the previous month (an account just enabled) still
// gives the current month.
func TestBillingDataUnavailableForOneMonthReadsTheNext(t *testing.T) {
	f := newBillingFixture(t, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), 20)
	mar3 := mar1.AddDate(0, 0, 2)
	f.faults.Add(awstest.CEDataUnavailable)
	f.moto.QueueCostAndUsage(t, awstest.CostAndUsage(ceDays(mar1, mar3, true, 2), ""), noCredits(mar1, mar3, true))
	if _, err := f.run(t); aws.ClassifyCostExplorerError(err) != models.BillingDataUnavailable || !strings.Contains(err.Error(), models.BillingProblemAdvice[models.BillingDataUnavailable]) {
		t.Fatalf("err %v: want the data-unavailable advice", err)
	}
	if m, ok, _ := f.store.BilledMonthOf(t.Context(), "2026-03"); !ok || m.Days != 2 {
		t.Errorf("march: %+v %v; want its two days", m, ok)
	}
	if _, ok, _ := f.store.BilledMonthOf(t.Context(), "2026-02"); ok {
		t.Error("february stored without an answer")
	}
}
