package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"costbot/models"
)

// costExplorerAPI is the one Cost Explorer call costbot makes.
type costExplorerAPI interface {
	GetCostAndUsage(ctx context.Context, in *costexplorer.GetCostAndUsageInput, optFns ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
}

// Cost Explorer queries: the usage (with tax and support, which come as services of
// their own) by service and usage type, and the credits and refunds by record type and
// service (at most two GroupBy keys per query).
const (
	QueryUsage   = "usage"
	QueryCredits = "credits"
	// QueryAccounts is each linked account's bill by service (every record type: usage,
	// tax, credits, refunds), asked of the management account when AWS_ACCOUNTS names
	// several accounts (CostExplorer.ByAccount).
	QueryAccounts = "accounts"
)

// CostExplorer reads what AWS billed, day by day. Every request costs $0.01, each page
// and each retry counting, so every one goes through Spend first.
type CostExplorer struct {
	api costExplorerAPI
	// Spend is called before every request with the query's name; an error (the day's
	// budget is spent) stops the read before the request is made.
	Spend func(ctx context.Context, query string) error
	// Attempts is how often a throttled request is tried (default 4); Backoff the wait
	// after the first throttling, doubled after each (default 2s).
	Attempts int
	Backoff  time.Duration
	// ByAccount also reads each linked account's share (QueryAccounts): one query more,
	// whatever the number of accounts.
	ByAccount bool
}

// NewCostExplorer builds the client: Cost Explorer answers in us-east-1 (or at
// AWS_ENDPOINT_URL_COST_EXPLORER). The SDK's own retries are off: a retry is a paid
// request, so CostExplorer retries itself, through Spend.
func NewCostExplorer(cfg awssdk.Config) *CostExplorer {
	cfg = cfg.Copy()
	cfg.Region = "us-east-1"
	client := costexplorer.NewFromConfig(cfg, func(o *costexplorer.Options) { o.Retryer = awssdk.NopRetryer{} })
	return &CostExplorer{api: client}
}

// Billed is what Cost Explorer answered for a span of days.
type Billed struct {
	Lines []models.BilledCost
	// Days maps each day answered (midnight UTC) to Cost Explorer's Estimated flag.
	Days     map[time.Time]bool
	Requests int // paid requests made, pages and retries included
	// Accounts is each linked account's bill by service and day (ByAccount).
	Accounts []models.BilledAccountCost
}

// Final reports whether AWS answered every one of the days [from, to) and finalised
// each.
func (b Billed) Final(from, to time.Time) bool {
	for d := from.UTC(); d.Before(to); d = d.AddDate(0, 0, 1) {
		if est, ok := b.Days[d]; !ok || est {
			return false
		}
	}
	return true
}

// CostExplorerError is a Cost Explorer failure with what it means for costbot
// (models.BillingNotEnabled, BillingAccessDenied, ...).
type CostExplorerError struct {
	Problem string
	Err     error
}

func (e *CostExplorerError) Error() string { return "cost explorer: " + e.Err.Error() }
func (e *CostExplorerError) Unwrap() error { return e.Err }

// ErrRequestBudget is what Spend returns when COST_EXPLORER_MAX_REQUESTS_PER_DAY
// requests were made today.
var ErrRequestBudget = errors.New("the day's Cost Explorer request budget is spent")

// BilledDays reads the days [from, to) (midnight UTC, at most one month) daily, with
// UnblendedCost, NetUnblendedCost and UsageQuantity, following every page.
func (c *CostExplorer) BilledDays(ctx context.Context, from, to time.Time) (Billed, error) {
	b := Billed{Days: map[time.Time]bool{}}
	period := &cetypes.DateInterval{Start: awssdk.String(from.UTC().Format(time.DateOnly)), End: awssdk.String(to.UTC().Format(time.DateOnly))}
	recordTypes := &cetypes.DimensionValues{Key: cetypes.DimensionRecordType, Values: []string{models.RecordCredit, models.RecordRefund}}
	queries := []struct {
		name string
		in   costexplorer.GetCostAndUsageInput
	}{
		{QueryUsage, costexplorer.GetCostAndUsageInput{
			TimePeriod: period, Granularity: cetypes.GranularityDaily,
			Metrics: []string{"UnblendedCost", "NetUnblendedCost", "UsageQuantity"},
			GroupBy: []cetypes.GroupDefinition{
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("SERVICE")},
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("USAGE_TYPE")},
			},
			Filter: &cetypes.Expression{Not: &cetypes.Expression{Dimensions: recordTypes}},
		}},
		{QueryCredits, costexplorer.GetCostAndUsageInput{
			TimePeriod: period, Granularity: cetypes.GranularityDaily,
			Metrics: []string{"UnblendedCost", "NetUnblendedCost"},
			GroupBy: []cetypes.GroupDefinition{
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("RECORD_TYPE")},
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("SERVICE")},
			},
			Filter: &cetypes.Expression{Dimensions: recordTypes},
		}},
	}
	if c.ByAccount {
		queries = append(queries, struct {
			name string
			in   costexplorer.GetCostAndUsageInput
		}{QueryAccounts, costexplorer.GetCostAndUsageInput{
			TimePeriod: period, Granularity: cetypes.GranularityDaily,
			Metrics: []string{"UnblendedCost", "NetUnblendedCost"},
			GroupBy: []cetypes.GroupDefinition{
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("LINKED_ACCOUNT")},
				{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("SERVICE")},
			},
		}})
	}
	for _, q := range queries {
		in := q.in
		for {
			out, err := c.get(ctx, q.name, &in, &b)
			if err != nil {
				return b, err
			}
			lines, days, err := billedLines(out, q.name)
			if err != nil {
				return b, &CostExplorerError{Problem: models.BillingFailed, Err: err}
			}
			if q.name == QueryAccounts {
				for _, l := range lines {
					b.Accounts = append(b.Accounts, models.BilledAccountCost{Day: l.Day, AccountID: l.Record, Service: l.Service,
						UnblendedUSD: l.UnblendedUSD, NetUSD: l.NetUSD, Estimated: l.Estimated})
				}
				lines = nil
			}
			b.Lines = append(b.Lines, lines...)
			for d, est := range days {
				b.Days[d] = b.Days[d] || est // a day is final when every query says so
			}
			if awssdk.ToString(out.NextPageToken) == "" {
				break
			}
			in.NextPageToken = out.NextPageToken
		}
	}
	return b, nil
}

// get makes one request, retrying throttling with a doubling wait; every try is paid
// for through Spend.
func (c *CostExplorer) get(ctx context.Context, query string, in *costexplorer.GetCostAndUsageInput, b *Billed) (*costexplorer.GetCostAndUsageOutput, error) {
	attempts, wait := c.Attempts, c.Backoff
	if attempts <= 0 {
		attempts = 4
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	for attempt := 1; ; attempt++ {
		if c.Spend != nil {
			if err := c.Spend(ctx, query); err != nil {
				return nil, &CostExplorerError{Problem: models.BillingBudget, Err: err}
			}
		}
		b.Requests++
		out, err := c.api.GetCostAndUsage(ctx, in)
		if err == nil {
			return out, nil
		}
		problem := ClassifyCostExplorerError(err)
		if (problem != models.BillingThrottled && !serverError(err)) || attempt >= attempts {
			return nil, &CostExplorerError{Problem: problem, Err: fmt.Errorf("get cost and usage (%s, %s..%s): %w",
				query, awssdk.ToString(in.TimePeriod.Start), awssdk.ToString(in.TimePeriod.End), err)}
		}
		select {
		case <-ctx.Done():
			return nil, &CostExplorerError{Problem: models.BillingFailed, Err: ctx.Err()}
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// serverError reports an AWS-side failure (HTTP 5xx) worth another try.
func serverError(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError
}

// ClassifyCostExplorerError says what a Cost Explorer error means for costbot.
func ClassifyCostExplorerError(err error) string {
	var ce *CostExplorerError
	if errors.As(err, &ce) {
		return ce.Problem
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return models.BillingFailed
	}
	msg := strings.ToLower(api.ErrorMessage())
	switch api.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
		if strings.Contains(msg, "not enabled") {
			return models.BillingNotEnabled
		}
		return models.BillingAccessDenied
	case "LimitExceededException", "ThrottlingException", "Throttling", "TooManyRequestsException":
		return models.BillingThrottled
	case "DataUnavailableException", "BillExpirationException":
		return models.BillingDataUnavailable
	}
	return models.BillingFailed
}

// billedLines turns one page of a query's answer into billed lines and the days it
// answered with their Estimated flag.
func billedLines(out *costexplorer.GetCostAndUsageOutput, query string) ([]models.BilledCost, map[time.Time]bool, error) {
	var lines []models.BilledCost
	days := map[time.Time]bool{}
	for _, r := range out.ResultsByTime {
		if r.TimePeriod == nil {
			return nil, nil, fmt.Errorf("a result without a time period")
		}
		day, err := time.ParseInLocation(time.DateOnly, awssdk.ToString(r.TimePeriod.Start), time.UTC)
		if err != nil {
			return nil, nil, fmt.Errorf("result period start %q: %w", awssdk.ToString(r.TimePeriod.Start), err)
		}
		days[day] = r.Estimated
		for _, g := range r.Groups {
			l := models.BilledCost{Day: day, Estimated: r.Estimated, Record: models.RecordUsage}
			switch {
			case (query == QueryCredits || query == QueryAccounts) && len(g.Keys) == 2:
				// For QueryAccounts the first key is the account, carried in Record.
				l.Record, l.Service = g.Keys[0], g.Keys[1]
			case len(g.Keys) == 2:
				l.Service, l.UsageType = g.Keys[0], g.Keys[1]
			case len(g.Keys) == 1:
				l.Service = g.Keys[0]
			default:
				return nil, nil, fmt.Errorf("%s: a group with keys %q", day.Format(time.DateOnly), g.Keys)
			}
			if l.UnblendedUSD, err = amount(g.Metrics, "UnblendedCost"); err != nil {
				return nil, nil, fmt.Errorf("%s %s %s: %w", day.Format(time.DateOnly), l.Service, l.UsageType, err)
			}
			l.NetUSD = l.UnblendedUSD
			if _, ok := g.Metrics["NetUnblendedCost"]; ok {
				if l.NetUSD, err = amount(g.Metrics, "NetUnblendedCost"); err != nil {
					return nil, nil, fmt.Errorf("%s %s %s: %w", day.Format(time.DateOnly), l.Service, l.UsageType, err)
				}
			}
			if q, ok := g.Metrics["UsageQuantity"]; ok && q.Amount != nil {
				if l.Quantity, err = strconv.ParseFloat(*q.Amount, 64); err != nil {
					return nil, nil, fmt.Errorf("%s %s %s: usage quantity %q", day.Format(time.DateOnly), l.Service, l.UsageType, *q.Amount)
				}
				l.Unit = awssdk.ToString(q.Unit)
			}
			lines = append(lines, l)
		}
	}
	return lines, days, nil
}

// amount reads a metric's decimal amount; an absent metric is 0.
func amount(metrics map[string]cetypes.MetricValue, name string) (float64, error) {
	m, ok := metrics[name]
	if !ok || m.Amount == nil {
		return 0, nil
	}
	v, err := strconv.ParseFloat(*m.Amount, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: not a number", name, *m.Amount)
	}
	return v, nil
}

// Probe makes the smallest paid request (yesterday's total, one page) to tell whether
// Cost Explorer answers, for `costbot doctor`.
func (c *CostExplorer) Probe(ctx context.Context, now time.Time) error {
	today := now.UTC().Truncate(24 * time.Hour)
	in := &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: awssdk.String(today.AddDate(0, 0, -1).Format(time.DateOnly)), End: awssdk.String(today.Format(time.DateOnly))},
		Granularity: cetypes.GranularityDaily,
		Metrics:     []string{"UnblendedCost"},
	}
	_, err := c.get(ctx, "probe", in, &Billed{})
	return err
}
