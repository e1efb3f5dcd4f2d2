package aws

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"costbot/internal/awstest"
	"costbot/models"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

// newTestCostExplorer is the real client against endpoint, with short retry waits, and
// the queries it paid for.
func newTestCostExplorer(endpoint string) (*CostExplorer, *[]string) {
	ce := NewCostExplorer(awstest.Config(endpoint, "eu-west-1"))
	ce.Backoff = time.Millisecond
	var paid []string
	ce.Spend = func(_ context.Context, q string) error {
		paid = append(paid, q)
		return nil
	}
	return ce, &paid
}

// Cost Explorer's answer is read page by page through NextPageToken, usage by service and
// usage type, then credits by record type and service; each page is a paid request.
func TestBilledDaysFollowsPagesAndReadsCredits(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	m.QueueCostAndUsage(t,
		awstest.CostAndUsage([]awstest.CEDay{
			{Day: "2026-03-01", Estimated: true, Groups: []awstest.CEGroup{
				{Keys: []string{"Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro"}, Unblended: "0.2496", Net: "0.2496", Quantity: "24", Unit: "Hrs"},
				{Keys: []string{"EC2 - Other", "EBS:VolumeUsage.gp3"}, Unblended: "0.0526", Net: "0.0526", Quantity: "0.66", Unit: "GB-Mo"},
			}},
		}, "page-2"),
		awstest.CostAndUsage([]awstest.CEDay{
			{Day: "2026-03-02", Estimated: true, Groups: []awstest.CEGroup{
				{Keys: []string{"Amazon Lightsail", "USE1-DataXfer-Out-Overage-Bytes"}, Unblended: "0.9", Net: "0.9", Quantity: "10", Unit: "GB"},
			}},
		}, ""),
		awstest.CostAndUsage([]awstest.CEDay{
			{Day: "2026-03-01", Estimated: true},
			{Day: "2026-03-02", Estimated: true, Groups: []awstest.CEGroup{
				{Keys: []string{"Credit", "Amazon Elastic Compute Cloud - Compute"}, Unblended: "-0.25", Net: "-0.25"},
			}},
		}, ""),
	)
	ce, paid := newTestCostExplorer(m.URL)
	b, err := ce.BilledDays(ctx, day("2026-03-01"), day("2026-03-03"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{QueryUsage, QueryUsage, QueryCredits}; !slices.Equal(*paid, want) || b.Requests != 3 {
		t.Errorf("paid for %v (%d requests), want %v", *paid, b.Requests, want)
	}
	type line struct {
		day, service, usage, record string
		usd, qty                    float64
	}
	var got []line
	for _, l := range b.Lines {
		got = append(got, line{l.Day.Format(time.DateOnly), l.Service, l.UsageType, l.Record, l.UnblendedUSD, l.Quantity})
	}
	want := []line{
		{"2026-03-01", "Amazon Elastic Compute Cloud - Compute", "BoxUsage:t3.micro", models.RecordUsage, 0.2496, 24},
		{"2026-03-01", "EC2 - Other", "EBS:VolumeUsage.gp3", models.RecordUsage, 0.0526, 0.66},
		{"2026-03-02", "Amazon Lightsail", "USE1-DataXfer-Out-Overage-Bytes", models.RecordUsage, 0.9, 10},
		{"2026-03-02", "Amazon Elastic Compute Cloud - Compute", "", models.RecordCredit, -0.25, 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines\n got %v\nwant %v", got, want)
	}
	if b.Final(day("2026-03-01"), day("2026-03-03")) || len(b.Days) != 2 || !b.Days[day("2026-03-02")] {
		t.Errorf("days %v: want both days, estimated", b.Days)
	}
}

// A month AWS finalised answers every day with Estimated false; a month missing a day,
// or with one day still estimated, is not final.
func TestBilledFinalNeedsEveryDayFinal(t *testing.T) {
	from, to := day("2026-02-01"), day("2026-03-01")
	all := Billed{Days: map[time.Time]bool{}}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		all.Days[d] = false
	}
	if !all.Final(from, to) {
		t.Error("every day final: want final")
	}
	all.Days[day("2026-02-14")] = true
	if all.Final(from, to) {
		t.Error("a day estimated: want not final")
	}
	delete(all.Days, day("2026-02-14"))
	if all.Final(from, to) {
		t.Error("a day missing: want not final")
	}
}

// Each failure Cost Explorer answers is told apart; throttling is retried with a
// doubling wait, each try paid for, and succeeds when Cost Explorer relents.
func TestCostExplorerFailures(t *testing.T) {
	tests := []struct {
		name     string
		faults   []awstest.Fault
		problem  string // "" for success
		requests int    // Cost Explorer requests that arrived
	}{
		{"not enabled", []awstest.Fault{awstest.CENotEnabled}, models.BillingNotEnabled, 1},
		{"access denied", []awstest.Fault{awstest.CEAccessDenied}, models.BillingAccessDenied, 1},
		{"data unavailable", []awstest.Fault{awstest.CEDataUnavailable}, models.BillingDataUnavailable, 1},
		{"throttled then answered", []awstest.Fault{awstest.CELimitExceeded, awstest.CELimitExceeded}, "", 4},
		{"throttled every time", []awstest.Fault{awstest.CELimitExceeded, awstest.CELimitExceeded, awstest.CELimitExceeded, awstest.CELimitExceeded}, models.BillingThrottled, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := freshMoto(t)
			ctx := awstest.Context(t)
			faults, url := awstest.NewCostExplorerFaults(t, m.URL)
			faults.Add(tt.faults...)
			ce, paid := newTestCostExplorer(url)
			_, err := ce.BilledDays(ctx, day("2026-03-01"), day("2026-03-02"))
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
			} else if got := ClassifyCostExplorerError(err); got != tt.problem {
				t.Fatalf("problem %q (%v), want %q", got, err, tt.problem)
			}
			if faults.Requests() != tt.requests || len(*paid) != tt.requests {
				t.Errorf("%d requests arrived, %d paid for; want %d", faults.Requests(), len(*paid), tt.requests)
			}
		})
	}
}

// A request the budget refuses is never made.
func TestBudgetRefusedRequestIsNotMade(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	faults, url := awstest.NewCostExplorerFaults(t, m.URL)
	ce, _ := newTestCostExplorer(url)
	ce.Spend = func(context.Context, string) error { return ErrRequestBudget }
	_, err := ce.BilledDays(ctx, day("2026-03-01"), day("2026-03-02"))
	if !errors.Is(err, ErrRequestBudget) || ClassifyCostExplorerError(err) != models.BillingBudget {
		t.Fatalf("err %v: want the budget error", err)
	}
	if faults.Requests() != 0 {
		t.Errorf("%d requests made over the budget", faults.Requests())
	}
}
