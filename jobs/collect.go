package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/config"
	"costbot/models"
	"costbot/pricing"
)

// CollectJob is the collect job's name in job_runs.
const CollectJob = "collect"

// Scanner lists the account's resources: *aws.Scanner, or a fixed list in tests.
type Scanner interface {
	Scan(ctx context.Context) (*aws.ScanResult, error)
}

// Pricer prices one hour of resources from the month-to-date usage before it:
// *pricing.Pricer.
type Pricer interface {
	PriceScan(ctx context.Context, rs []models.Resource, mtd *pricing.MonthToDate) ([]models.PricedResource, *pricing.MonthToDate, error)
}

// Notifier pushes an event to every subscribed chat: (*bot.Notifier).Notify. Raising the
// same Key again must be harmless (it is queued once per chat).
type Notifier interface {
	Notify(ctx context.Context, ev models.Event) error
}

// mustNotifier panics when a job is built without a notifier: a push with nowhere to go
// is a wiring mistake, never something to drop quietly.
func mustNotifier(constructor string, n Notifier) {
	if n == nil {
		panic("jobs: " + constructor + " needs a notifier")
	}
}

// CollectorOptions tune a Collector; zero values take the defaults.
type CollectorOptions struct {
	Clock  clockwork.Clock // default: the real clock
	Logger *slog.Logger    // default: slog.Default()

	// NewResourceUSD: a resource seen for the first time whose monthly cost is at least
	// this raises EventNewResource. 0 turns the alert off.
	NewResourceUSD float64
	// BurnJumpPercent: an hour whose total is at least this far above the median of the
	// previous 24 hours raises EventBurnJump. 0 turns the alert off.
	BurnJumpPercent float64
	// MonthlyBudgetUSD: a month-end forecast above it raises EventBudget, once per
	// crossing. 0 turns the alert off.
	MonthlyBudgetUSD float64
	// HourlyRetention: per-resource hourly cost records older than this are rolled up
	// into daily rows. Default 840h (35 days).
	HourlyRetention time.Duration
	// MaxNotifyAttempts: an event the notifier refused this many times is given up.
	// Default 168, a week of hourly runs.
	MaxNotifyAttempts int
	// CostExplorer: the closed bill carries AWS's bill as known at the close, compared
	// for the Estimated services (COST_SERVICES).
	CostExplorer bool
	Estimated    []string
}

// CollectorOptionsFrom takes the alert and retention settings from the configuration.
func CollectorOptionsFrom(cfg *config.Config, log *slog.Logger) CollectorOptions {
	return CollectorOptions{
		Logger:           log,
		NewResourceUSD:   cfg.AlertNewResourceUSD,
		BurnJumpPercent:  cfg.AlertBurnJumpPercent,
		MonthlyBudgetUSD: cfg.MonthlyBudgetUSD,
		HourlyRetention:  cfg.CostHourlyRetention,
		CostExplorer:     cfg.CostExplorerInterval > 0,
		Estimated:        cfg.CostServices,
	}
}

// Collector is the collect job: each run scans the account, prices the hour and writes
// it to the store in one transaction, fills the hours missed while costbot was down,
// closes the previous month's bill, rolls up old hourly rows, and raises alerts. Runs
// never overlap, whether scheduled or asked for with CollectNow.
type Collector struct {
	store   *models.Store
	scanner Scanner
	pricer  Pricer
	clock   clockwork.Clock
	log     *slog.Logger
	opt     CollectorOptions
	busy    chan struct{} // one run at a time

	mu       sync.Mutex
	notifier Notifier
	flight   *collectFlight // the run going now, nil when none
	joins    int            // CollectNow calls that shared a run going on
}

// collectFlight is a run in progress that others may wait for and share.
type collectFlight struct {
	done chan struct{}
	r    collectRun
	err  error
}

// NewCollector builds the collect job; its alerts and bills go to notifier, which is
// required (an event the notifier refuses waits in the store for the next run).
func NewCollector(store *models.Store, scanner Scanner, pricer Pricer, notifier Notifier, opt CollectorOptions) *Collector {
	mustNotifier("NewCollector", notifier)
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.HourlyRetention <= 0 {
		opt.HourlyRetention = 840 * time.Hour
	}
	if opt.MaxNotifyAttempts <= 0 {
		opt.MaxNotifyAttempts = 168
	}
	return &Collector{store: store, scanner: scanner, pricer: pricer, clock: opt.Clock, log: opt.Logger,
		opt: opt, busy: make(chan struct{}, 1), notifier: notifier}
}

// Schedule adds the collect job to s: every interval, and at start-up too unless the
// current hour is collected already (a restart within the hour does not scan again).
func (c *Collector) Schedule(s *Scheduler, interval time.Duration) error {
	due, err := c.dueAtStart(context.Background())
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: %w", CollectJob, err)
	}
	return s.Every(CollectJob, interval, due, c.Collect)
}

// dueAtStart reports whether the current hour is still to be collected.
func (c *Collector) dueAtStart(ctx context.Context) (bool, error) {
	last, ok, err := c.store.LastCollectedHour(ctx)
	if err != nil {
		return false, err
	}
	return !ok || last.Before(c.clock.Now().UTC().Truncate(time.Hour)), nil
}

// Collect is the job body: one run, summarised for job_runs.
func (c *Collector) Collect(ctx context.Context) (counts string, err error) {
	r, err := c.run(ctx)
	if err == nil {
		err = r.partial()
	}
	return r.counts(), err
}

// partial says which tasks failed in an otherwise complete run, for /status; nil when
// none did.
func (r collectRun) partial() error {
	if len(r.errors) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d scan task(s) failed", len(r.errors))
	for i, e := range r.errors {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(r.errors)-5)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", e.Where(), e.Error)
	}
	return &models.PartialError{Msg: b.String()}
}

// CollectNow runs a collection now, for the /collect admin command, and says what it
// found, recording the run in job_runs like a scheduled one. While a run is going
// (the hourly one, say) it starts none: it waits for that run and says what it found.
func (c *Collector) CollectNow(ctx context.Context) (models.CollectSummary, error) {
	c.mu.Lock()
	f := c.flight
	if f != nil {
		c.joins++
	}
	c.mu.Unlock()
	if f != nil { // a scheduled (or another asked-for) run is going: its result is this one's
		select {
		case <-f.done:
			return f.r.summary(), f.err
		case <-ctx.Done():
			return models.CollectSummary{}, ctx.Err()
		}
	}
	run, recErr := c.store.StartJobRun(ctx, CollectJob, c.clock.Now())
	if recErr != nil {
		c.log.Error("job run not recorded", "job", CollectJob, "err", recErr)
	}
	r, err := c.run(ctx)
	if run != nil {
		recorded := err
		if recorded == nil {
			recorded = r.partial()
		}
		if ferr := c.store.FinishJobRun(context.WithoutCancel(ctx), run, c.clock.Now(), r.counts(), recorded); ferr != nil {
			c.log.Error("job run not recorded", "job", CollectJob, "err", ferr)
		}
	}
	return r.summary(), err
}

// joined counts the CollectNow calls that shared a run going on.
func (c *Collector) joined() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joins
}

// summary is what /collect says of a run.
func (r collectRun) summary() models.CollectSummary {
	sum := models.CollectSummary{Hour: r.hour, Resources: r.resources, Unpriced: r.unpriced,
		HourlyUSD: r.scannedUSD, Duration: r.duration}
	for _, e := range r.errors {
		sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %s", e.Where(), e.Error))
	}
	return sum
}

// collectRun is what one run did.
type collectRun struct {
	hour       time.Time
	resources  int     // scanned
	unpriced   int     // scanned, without a price
	scannedUSD float64 // hourly cost of the scanned resources
	carried    int     // records carried forward for failed tasks
	totalUSD   float64 // the hour's stored total, carried forward included
	filled     int     // missed hours filled
	errors     []aws.TaskError
	closed     []string // months whose bill was closed
	queued     int      // events queued
	raised     int      // events the notifier took
	rolled     int64    // hourly rows rolled up
	duration   time.Duration
}

func (r collectRun) counts() string {
	if r.hour.IsZero() {
		return ""
	}
	s := fmt.Sprintf("hour=%s resources=%d unpriced=%d carried=%d hourly=$%.4f errors=%d filled=%d events=%d raised=%d rolled=%d",
		r.hour.Format("2006-01-02T15Z"), r.resources, r.unpriced, r.carried, r.totalUSD, len(r.errors), r.filled, r.queued, r.raised, r.rolled)
	for _, m := range r.closed {
		s += " closed=" + m
	}
	return s
}

func (c *Collector) run(ctx context.Context) (collectRun, error) {
	select {
	case c.busy <- struct{}{}:
	case <-ctx.Done():
		return collectRun{}, ctx.Err()
	}
	defer func() { <-c.busy }()
	f := &collectFlight{done: make(chan struct{})}
	c.mu.Lock()
	c.flight = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.flight = nil
		c.mu.Unlock()
		close(f.done)
	}()
	f.r, f.err = c.runLocked(ctx)
	return f.r, f.err
}

// runLocked is one run; the caller holds busy.
func (c *Collector) runLocked(ctx context.Context) (collectRun, error) {
	now := c.clock.Now().UTC()
	r := collectRun{hour: now.Truncate(time.Hour)}
	err := c.collectHour(ctx, now, &r)
	if err == nil {
		// The rollup is cheap when there is nothing to roll up, so it runs every time.
		n, rerr := c.store.RollupCostRecords(ctx, now.Add(-c.opt.HourlyRetention))
		r.rolled = n
		if rerr != nil {
			err = fmt.Errorf("collect: %w", rerr)
		}
	}
	// Events queued now, and any a failed notifier left, go out even if this run failed.
	raised, nerr := c.raisePending(ctx)
	r.raised = raised
	r.duration = c.clock.Since(now)
	return r, errors.Join(err, nerr)
}

// collectHour scans, prices and writes the hour, with everything that goes with it.
func (c *Collector) collectHour(ctx context.Context, now time.Time, r *collectRun) error {
	hour := r.hour
	meters, err := c.meterState(ctx, hour)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	scan, err := c.scan(ctx, meters.fresh)
	if err != nil {
		return fmt.Errorf("collect: scan: %w", err)
	}
	r.errors = scan.Errors

	if r.filled, err = c.fillGaps(ctx, hour, now); err != nil {
		return fmt.Errorf("collect: %w", err)
	}

	before, err := c.monthToDate(ctx, hour)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	before = meters.advance(before, hour, r.filled)
	if s, ok := c.pricer.(monthSoFarSeeder); ok {
		before = s.SeedMonthSoFar(scan.Resources, before)
	}
	applyPool := ApplyLightsailPool
	if scan.PerAccount {
		applyPool = ApplyLightsailPoolByAccount
	}
	if err := applyPool(ctx, c.store, scan.Resources, now); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	priced, after, err := c.pricer.PriceScan(ctx, scan.Resources, before)
	if err != nil {
		return fmt.Errorf("collect: price: %w", err)
	}
	beforeJSON, err := json.Marshal(before)
	if err != nil {
		return fmt.Errorf("collect: month to date: %w", err)
	}
	afterJSON, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("collect: month to date: %w", err)
	}

	known, err := c.store.KnownResourceKeys(ctx)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	baselined, err := c.store.AlertStates(ctx, baselinePrefix)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}

	c.recordAccounts(ctx, scan, now)
	scopes := taskScopes(scan.Tasks)
	w := hourWrite(hour, now, priced, scopes)
	for _, rec := range w.Records {
		r.resources++
		if rec.PriceSource == models.SourceUnpriced {
			r.unpriced++
		}
		r.scannedUSD += rec.CostUSD
	}
	carriedTasks, carriedRecords, err := c.carryAccounts(ctx, &w, scopes)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}

	return c.store.InTx(ctx, func(tx *models.Store) error {
		total, err := tx.WriteHour(ctx, w)
		if err != nil {
			return err
		}
		r.totalUSD, r.carried = total.TotalUSD, total.ResourceCount-len(w.Records)+carriedRecords
		if carriedTasks > 0 {
			if err := tx.MarkHourCarried(ctx, hour, carriedTasks); err != nil {
				return err
			}
		}
		if err := tx.PutMonthToDate(ctx, hour, string(beforeJSON), string(afterJSON)); err != nil {
			return err
		}

		var events []models.Event
		bills, err := tx.CloseMonthsBefore(ctx, models.MonthOf(hour), now)
		if err != nil {
			return err
		}
		for _, b := range bills {
			if b.Billed, err = billedFor(ctx, tx, c.opt.CostExplorer, c.opt.Estimated, b.Month); err != nil {
				return err
			}
			start, err := models.MonthStart(b.Month)
			if err != nil {
				return err
			}
			if b.Unpriced, err = tx.UnpricedBetween(ctx, start, start.AddDate(0, 1, 0), nil); err != nil {
				return err
			}
			r.closed = append(r.closed, b.Month)
			events = append(events, models.Event{Kind: models.EventBillClosed, Key: b.Month, Data: b})
		}

		events = append(events, newResourceAlerts(priced, known, baselined, scopes, c.opt.NewResourceUSD, now)...)
		for _, sc := range scopes {
			name := baselinePrefix + sc.TaskScope.String()
			if sc.failed || baselined[name].Active {
				continue
			}
			if err := tx.PutAlertState(ctx, models.AlertState{Name: name, Active: true, ChangedAt: now}); err != nil {
				return err
			}
		}

		if ev, ok, err := c.burnJump(ctx, tx, total, now); err != nil {
			return err
		} else if ok {
			events = append(events, ev)
		}
		if ev, ok, err := c.budget(ctx, tx, total, now); err != nil {
			return err
		} else if ok {
			events = append(events, ev)
		}

		for _, ev := range events {
			queued, err := tx.QueueCostEvent(ctx, ev, now)
			if err != nil {
				return err
			}
			if queued {
				r.queued++
			}
		}
		return nil
	})
}

// fillGaps writes the hours between the last collected one and hour, missed while
// costbot was down, as copies of the last collected hour marked estimated. It goes back
// at most to the start of the previous month.
func (c *Collector) fillGaps(ctx context.Context, hour, now time.Time) (int, error) {
	last, ok, err := c.store.LastCollectedHour(ctx)
	if err != nil || !ok {
		return 0, err
	}
	from := last.Add(time.Hour)
	if earliest := models.MonthStartOf(hour).AddDate(0, -1, 0); from.Before(earliest) {
		from = earliest
	}
	var missed []time.Time
	for h := from; h.Before(hour); h = h.Add(time.Hour) {
		missed = append(missed, h)
	}
	if len(missed) == 0 {
		return 0, nil
	}
	if err := c.store.FillHours(ctx, last, missed, now); err != nil {
		return 0, err
	}
	c.log.Warn("filled the hours missed while costbot was down from the last collected hour",
		"from", from, "hours", len(missed), "copied_from", last)
	return len(missed), nil
}

// monthToDate is the pricer's state to price hour with: the stored one, or a fresh month.
func (c *Collector) monthToDate(ctx context.Context, hour time.Time) (*pricing.MonthToDate, error) {
	state, ok, err := c.store.MonthToDate(ctx, hour)
	if err != nil {
		return nil, err
	}
	var mtd *pricing.MonthToDate
	if ok && state != "" {
		mtd = new(pricing.MonthToDate)
		if err := json.Unmarshal([]byte(state), mtd); err != nil {
			c.log.Warn("stored month-to-date usage unreadable; starting the month's meters from zero", "err", err)
			mtd = nil
		}
	}
	return mtd.For(hour), nil
}

// raisePending hands every queued event to the notifier (see raiseCostEvents).
func (c *Collector) raisePending(ctx context.Context) (int, error) {
	return raiseCostEvents(ctx, c.store, c.notifier, c.clock, c.opt.MaxNotifyAttempts, c.log)
}

// hourWrite turns a priced scan into the rows of the hour.
func hourWrite(hour, now time.Time, priced []models.PricedResource, scopes []scope) models.HourWrite {
	w := models.HourWrite{Hour: hour, CollectedAt: now}
	for _, s := range scopes {
		switch {
		case s.failed:
			w.Failed = append(w.Failed, s.TaskScope)
		case len(s.failedIn) == 0:
			w.Listed = append(w.Listed, s.TaskScope)
		}
		// A task that failed in some accounts only is neither: the accounts where it
		// failed carry their own records forward (carryAccounts), and no resource of
		// the scope is marked gone on the word of the others.
	}
	seen := map[string]bool{}
	for _, pr := range priced {
		id := pr.AccountID + "\x00" + pr.Service + "\x00" + pr.Region + "\x00" + pr.ID
		if seen[id] {
			continue
		}
		seen[id] = true
		rec := models.CostRecord{Hour: hour, Service: pr.Service, Region: pr.Region, ResourceID: pr.ID,
			AccountID: pr.AccountID, Name: pr.Name, Type: pr.Type, CostUSD: pr.HourlyUSD, PriceSource: pr.Source}
		if !pr.Priced {
			rec.CostUSD, rec.PriceSource = 0, models.SourceUnpriced
		}
		w.Records = append(w.Records, rec)
		w.Resources = append(w.Resources, resourceRow(pr, now))
		if pr.Service == "lambda" && pr.Kind == models.KindFunction {
			durationMS := pr.Usage["duration_ms_hour"]
			w.Lambda = append(w.Lambda, models.LambdaRecord{Hour: hour, AccountID: pr.AccountID, Region: pr.Region, FunctionName: pr.ID,
				Invocations: pr.Usage["invocations_hour"], DurationMS: durationMS,
				// GB-seconds as Lambda bills them: memory in GB (MB / 1024) x seconds.
				GBSeconds: pr.Usage["memory_mb"] / 1024 * durationMS / 1000,
				CostUSD:   rec.CostUSD})
		}
	}
	return w
}

func resourceRow(pr models.PricedResource, now time.Time) models.ResourceRow {
	attrs, _ := json.Marshal(pr.Attrs)
	usage, _ := json.Marshal(pr.Usage)
	row := models.ResourceRow{Key: pr.Key(), AccountID: pr.AccountID, Service: pr.Service, Region: pr.Region,
		ResourceID: pr.ID, Name: pr.Name, Kind: pr.Kind, Type: pr.Type, State: pr.State, Waste: pr.Waste,
		WasteReason: pr.WasteReason, Attrs: string(attrs), Usage: string(usage), PriceSource: pr.Source,
		Priced: pr.Priced, PriceNote: pr.Note, PriceWarning: pr.Warning, FirstSeen: now, LastSeen: now, Active: true}
	if pr.Priced {
		row.HourlyUSD, row.MonthlyUSD = pr.HourlyUSD, pr.MonthlyUSD
	}
	return row
}
