package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/models"
)

// BillingJob is the billing job's name in job_runs.
const BillingJob = "billing"

// CostExplorerRequestUSD is what AWS charges for one Cost Explorer request.
const CostExplorerRequestUSD = 0.01

// BillingOptions tune a Biller; zero values take the defaults.
type BillingOptions struct {
	Clock  clockwork.Clock // default: the real clock
	Logger *slog.Logger    // default: slog.Default()
	// MaxRequestsPerDay: a request beyond this many today (UTC) is not made. Default 20.
	MaxRequestsPerDay int
	// Estimated are the services costbot estimates (COST_SERVICES): the billed lines of
	// these are compared with the estimate.
	Estimated []string
	// MaxNotifyAttempts: an event the notifier refused this many times is given up.
	// Default 168.
	MaxNotifyAttempts int
}

// Biller is the billing job: it reads what AWS billed (Cost Explorer) for the current
// month and for the previous one until AWS finalised it, stores it per day, service and
// usage type, and raises the alerts that compare it with costbot's estimate. It never
// asks for a month it holds as final, and never makes a request over the day's budget.
type Biller struct {
	store *models.Store
	ce    *aws.CostExplorer
	clock clockwork.Clock
	log   *slog.Logger
	opt   BillingOptions

	mu       sync.Mutex
	notifier Notifier
	asking   string // the month being read, for the request log
}

// NewBiller builds the billing job around ce, whose every request it pays for from the
// day's budget; its alerts go to notifier, which is required.
func NewBiller(store *models.Store, ce *aws.CostExplorer, notifier Notifier, opt BillingOptions) *Biller {
	mustNotifier("NewBiller", notifier)
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxRequestsPerDay <= 0 {
		opt.MaxRequestsPerDay = 20
	}
	if opt.MaxNotifyAttempts <= 0 {
		opt.MaxNotifyAttempts = 168
	}
	b := &Biller{store: store, ce: ce, clock: opt.Clock, log: opt.Logger, opt: opt, notifier: notifier}
	ce.Spend = b.spend
	return b
}

// Schedule adds the job to s every interval, and at start-up when the last read is
// older than interval (a restart does not pay for a read it just made).
func (b *Biller) Schedule(s *Scheduler, interval time.Duration) error {
	st, ok, err := b.store.BillingStatusOf(context.Background())
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: %w", BillingJob, err)
	}
	return s.Every(BillingJob, interval, billingDueAtStart(st, ok, b.clock.Now(), interval), b.Run)
}

// billingDueAtStart: the job runs at start-up when it never read Cost Explorer, or its
// last read is an interval old.
func billingDueAtStart(last models.BillingStatus, ok bool, now time.Time, interval time.Duration) bool {
	return !ok || now.Sub(last.CheckedAt) >= interval
}

// spend pays for one request from the day's budget, or refuses it.
func (b *Biller) spend(ctx context.Context, query string) error {
	now := b.clock.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	n, err := b.store.CostExplorerRequests(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	if n >= b.opt.MaxRequestsPerDay {
		return fmt.Errorf("%w (%d of COST_EXPLORER_MAX_REQUESTS_PER_DAY=%d)", aws.ErrRequestBudget, n, b.opt.MaxRequestsPerDay)
	}
	b.mu.Lock()
	month := b.asking
	b.mu.Unlock()
	return b.store.RecordCostExplorerRequest(ctx, models.CostExplorerRequest{At: now, Month: month, Query: query})
}

// billingSpan is the days of one month to ask for.
type billingSpan struct {
	month    string
	from, to time.Time // [from, to), midnight UTC
	closed   bool      // the month is over: its answer may be final
}

// billingSpans are what to ask for at now: the previous month unless final says it is
// held as final, and the current month up to yesterday (Cost Explorer has no figures
// for today, and asking for an empty span is an error).
func billingSpans(now time.Time, final func(month string) bool) []billingSpan {
	today := now.UTC().Truncate(24 * time.Hour)
	cur := models.MonthStartOf(now)
	prev := cur.AddDate(0, -1, 0)
	var out []billingSpan
	if !final(models.MonthOf(prev)) {
		out = append(out, billingSpan{month: models.MonthOf(prev), from: prev, to: cur, closed: true})
	}
	if today.After(cur) {
		out = append(out, billingSpan{month: models.MonthOf(cur), from: cur, to: today})
	}
	return out
}

// Run is the job body.
func (b *Biller) Run(ctx context.Context) (counts string, err error) {
	now := b.clock.Now().UTC()
	held := map[string]bool{}
	finalOf := func(month string) bool {
		m, ok, err := b.store.BilledMonthOf(ctx, month)
		held[month] = ok && m.Final
		return err == nil && ok && m.Final
	}
	spans := billingSpans(now, finalOf)
	requests, lines, queued := 0, 0, 0
	var runErr error
	for _, sp := range spans {
		b.mu.Lock()
		b.asking = sp.month
		b.mu.Unlock()
		billed, err := b.ce.BilledDays(ctx, sp.from, sp.to)
		requests += billed.Requests
		if err != nil {
			runErr = err
			if aws.ClassifyCostExplorerError(err) == models.BillingDataUnavailable {
				continue // no data for this month yet says nothing of the next
			}
			break // denied, throttled, the budget spent: the next month would fare the same
		}
		final := sp.closed && billed.Final(sp.from, sp.to)
		if err := b.store.ReplaceBilled(ctx, sp.month, sp.from, sp.to, billed.Lines, final, now); err != nil {
			runErr = err
			break
		}
		if b.ce.ByAccount {
			if err := b.store.ReplaceBilledAccounts(ctx, sp.month, sp.from, sp.to, billed.Accounts, now); err != nil {
				runErr = err
				break
			}
		}
		lines += len(billed.Lines)
		n, err := b.queueEvents(ctx, sp.month, final && !held[sp.month], now)
		queued += n
		if err != nil {
			runErr = err
			break
		}
	}
	if err := b.recordStatus(ctx, runErr, now); err != nil {
		runErr = errors.Join(runErr, err)
	}
	raised, nerr := raiseCostEvents(ctx, b.store, b.notifier, b.clock, b.opt.MaxNotifyAttempts, b.log)
	counts = fmt.Sprintf("requests=%d lines=%d queued=%d raised=%d", requests, lines, queued, raised)
	return counts, errors.Join(billingError(runErr), nerr)
}

// billingError is the run's error as /status shows it: the one-line advice first.
func billingError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s (%w)", models.BillingProblemAdvice[aws.ClassifyCostExplorerError(err)], err)
}

func (b *Biller) recordStatus(ctx context.Context, runErr error, now time.Time) error {
	if runErr == nil {
		return b.store.PutBillingStatus(ctx, "", "", now)
	}
	return b.store.PutBillingStatus(context.WithoutCancel(ctx), aws.ClassifyCostExplorerError(runErr), runErr.Error(), now)
}

// queueEvents compares the month's closed days (before today) with the estimate and
// queues the alerts it calls for, each once: a service billed more than estimated, a
// credit or refund, and the month turning final.
func (b *Biller) queueEvents(ctx context.Context, month string, becameFinal bool, now time.Time) (int, error) {
	cmp, err := b.store.BillComparison(ctx, month, now.UTC().Truncate(24*time.Hour), b.opt.Estimated)
	if err != nil {
		return 0, err
	}
	events := billingEvents(cmp, becameFinal)
	queued := 0
	err = b.store.InTx(ctx, func(tx *models.Store) error {
		for _, ev := range events {
			ok, err := tx.QueueCostEvent(ctx, ev, now)
			if err != nil {
				return err
			}
			if ok {
				queued++
			}
		}
		return nil
	})
	return queued, err
}

// billingEvents are the alerts a month's comparison calls for. Their keys make each
// once: per service per month, per credited service per month, per month. A difference
// is alerted only when costbot estimated every billed day (not for days before it ran).
func billingEvents(cmp models.BillComparison, becameFinal bool) []models.Event {
	if cmp.Empty() {
		return nil
	}
	var out []models.Event
	through := cmp.Through.Format(time.DateOnly)
	for _, s := range cmp.Services {
		if cmp.Covered() && s.OverEstimate() {
			out = append(out, models.Event{Kind: models.EventBillDifference, Key: cmp.Month + ":" + s.Service,
				Data: models.BillDifference{Month: cmp.Month, Through: through, ServiceComparison: s}})
		}
	}
	for _, c := range cmp.Credits {
		out = append(out, models.Event{Kind: models.EventBillCredit, Key: cmp.Month + ":" + c.Name,
			Data: models.BillCredit{Month: cmp.Month, Name: c.Name, USD: c.USD, TotalUSD: cmp.CreditsUSD}})
	}
	if becameFinal && cmp.Final {
		out = append(out, models.Event{Kind: models.EventBillFinal, Key: cmp.Month, Data: cmp})
	}
	return out
}

// billedFor is AWS's bill of month beside the estimate, for the daily report and the
// closed bill; nil when Cost Explorer is off or holds nothing for the month.
func billedFor(ctx context.Context, st *models.Store, enabled bool, estimated []string, month string) (*models.BillComparison, error) {
	if !enabled {
		return nil, nil
	}
	c, err := st.BillComparison(ctx, month, time.Time{}, estimated)
	if err != nil || c.Empty() {
		return nil, err
	}
	return &c, nil
}

// Probe makes one paid request, from the day's budget, to tell whether Cost Explorer
// answers (`costbot doctor`), and records the outcome for /status.
func (b *Biller) Probe(ctx context.Context) error {
	b.mu.Lock()
	b.asking = models.MonthOf(b.clock.Now())
	b.mu.Unlock()
	err := b.ce.Probe(ctx, b.clock.Now())
	if serr := b.recordStatus(ctx, err, b.clock.Now().UTC()); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}
