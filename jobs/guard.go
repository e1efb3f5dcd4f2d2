package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/config"
	"costbot/models"
)

// GuardJob is the Lightsail guard's name in job_runs.
const GuardJob = "lightsail"

// GuardActor is who the guard's own actions are recorded as; people are recorded by
// their Telegram user ID.
const GuardActor = "guard"

// Action results in lightsail_actions.
const (
	ResultOK      = "ok"
	ResultFailed  = "failed"
	ResultDryRun  = "dry-run"
	ResultPending = "pending" // recorded before the call; left only by a crash during it
	ResultSkipped = "skipped" // a warning level passed together with a higher one, or an auto-start not needed
)

const (
	// guardConcurrency bounds how many regions are checked at once.
	guardConcurrency = 4
	// instanceConcurrency bounds the traffic reads under way at once in one region.
	instanceConcurrency = 8
	// minRateSpan is the shortest stretch of stored checks a rate is taken over: the
	// metrics come in 5-minute datapoints, so two reads a moment apart can differ by a
	// whole datapoint and fake a burst.
	minRateSpan = 30 * time.Minute
	// estimateWindow and burstWindow are the windows of the stop estimate and the
	// burst gate.
	estimateWindow = 24 * time.Hour
	burstWindow    = time.Hour
	// guardMaxNotifyAttempts: a push the notifier refused this often (a day of checks
	// every 10 minutes) is given up.
	guardMaxNotifyAttempts = 144
)

// ErrNotWatched is returned for an instance outside LIGHTSAIL_INSTANCES or
// LIGHTSAIL_REGIONS: costbot never stops or starts those.
var ErrNotWatched = errors.New("the instance is not watched by costbot (LIGHTSAIL_INSTANCES, LIGHTSAIL_REGIONS)")

// LightsailOps is what the guard does with Lightsail in a region: the aws package's
// operations, each on its own copy of the AWS configuration.
type LightsailOps interface {
	Instances(ctx context.Context, region string) ([]aws.LightsailInstance, error)
	NetworkBytes(ctx context.Context, region, name string, start, end time.Time) (in, out float64, err error)
	State(ctx context.Context, region, name string) (string, error)
	Stop(ctx context.Context, region, name string) error
	Start(ctx context.Context, region, name string) error
}

// sdkLightsail runs LightsailOps with the real SDK client.
type sdkLightsail struct{ base awssdk.Config }

func (s sdkLightsail) in(region string) awssdk.Config {
	c := s.base.Copy()
	c.Region = region
	return c
}

func (s sdkLightsail) Instances(ctx context.Context, region string) ([]aws.LightsailInstance, error) {
	return aws.ListLightsailInstances(ctx, s.in(region))
}

func (s sdkLightsail) NetworkBytes(ctx context.Context, region, name string, start, end time.Time) (float64, float64, error) {
	return aws.LightsailNetworkBytes(ctx, s.in(region), name, start, end)
}

func (s sdkLightsail) State(ctx context.Context, region, name string) (string, error) {
	return aws.GetLightsailInstanceState(ctx, s.in(region), name)
}

func (s sdkLightsail) Stop(ctx context.Context, region, name string) error {
	return aws.StopLightsailInstance(ctx, s.in(region), name)
}

func (s sdkLightsail) Start(ctx context.Context, region, name string) error {
	return aws.StartLightsailInstance(ctx, s.in(region), name)
}

// Guard is the Lightsail traffic guard. Check is its job body; Stop and Start are the
// actions people ask for in Telegram (it implements bot.LightsailController). Every
// action is recorded in lightsail_actions with the push it raised, and a push stays
// queued there until the notifier took it.
type Guard struct {
	cfg   *config.Config
	store *models.Store // nil: measure only (`costbot lightsail` without --enforce)
	ops   LightsailOps
	clock clockwork.Clock

	mu       sync.Mutex
	notifier Notifier
	log      *slog.Logger

	locks sync.Map // "region/name" -> *sync.Mutex: one action at a time per instance
}

// NewGuard builds the guard over the SDK's Lightsail client. notifier may be nil and set
// later with SetNotifier (pushes wait in the store until then); clock nil is the real
// clock; store nil only measures.
func NewGuard(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, notifier Notifier, clock clockwork.Clock) *Guard {
	return NewGuardWithOps(cfg, store, sdkLightsail{base: awsCfg}, notifier, clock)
}

// NewGuardWithOps is NewGuard over any LightsailOps.
func NewGuardWithOps(cfg *config.Config, store *models.Store, ops LightsailOps, notifier Notifier, clock clockwork.Clock) *Guard {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Guard{cfg: cfg, store: store, ops: ops, clock: clock, notifier: notifier, log: slog.Default()}
}

// SetNotifier sets where the guard's pushes go.
func (g *Guard) SetNotifier(n Notifier) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.notifier = n
}

// SetLogger sets the guard's logger.
func (g *Guard) SetLogger(l *slog.Logger) {
	if l != nil {
		g.mu.Lock()
		g.log = l
		g.mu.Unlock()
	}
}

func (g *Guard) logger() *slog.Logger {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log
}

func (g *Guard) currentNotifier() Notifier {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.notifier
}

// Schedule adds the guard to s: every LIGHTSAIL_CHECK_INTERVAL, and once at start-up.
func (g *Guard) Schedule(s *Scheduler) error {
	return s.Every(GuardJob, g.cfg.LightsailCheckInterval, true, g.Check)
}

// CycleOf is the allowance cycle (YYYY-MM, the calendar month in UTC) of t.
func CycleOf(t time.Time) string { return t.UTC().Format("2006-01") }

// cycleBounds is the UTC month holding t.
func cycleBounds(t time.Time) (start, end time.Time) {
	t = t.UTC()
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// ProratedAllowance is the part of a monthly allowance an instance gets in the cycle
// [start, end): all of it when it existed at the start, else allowance × (seconds from
// its creation to the end / seconds in the cycle). AWS documents no such rule; it is the
// safe side. A creation time outside the cycle's past (zero, or not before end) gives the
// whole allowance: a wrong date must not stop an instance.
func ProratedAllowance(allowance float64, created, start, end time.Time) float64 {
	if created.IsZero() || !created.After(start) || !created.Before(end) {
		return allowance
	}
	return allowance * end.Sub(created).Seconds() / end.Sub(start).Seconds()
}

// measurement is one instance's traffic at a check, and what the stored history says
// about its rate.
type measurement struct {
	inst    aws.LightsailInstance
	traffic models.LightsailTraffic
	ownID   string
	own     float64
	burst   *models.BurstProjection
	err     error // the traffic could not be read: no decision on this instance
}

func (m measurement) stopBytes(stopPercent float64) float64 {
	return m.traffic.AllowanceBytes * stopPercent / 100
}

// instanceID tells apart instances that had the same name: the ARN, else the creation.
func instanceID(in aws.LightsailInstance) string {
	if in.ARN != "" {
		return in.ARN
	}
	return in.CreatedAt.UTC().Format(time.RFC3339)
}

// guardStats counts what a check did, for job_runs.
type guardStats struct {
	mu                                                                  sync.Mutex
	regions, regionsFailed, instances, warned, stopped, failed, started int
}

func (s *guardStats) add(f func(*guardStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *guardStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("regions=%d regions_failed=%d instances=%d warned=%d stopped=%d stop_failed=%d started=%d",
		s.regions, s.regionsFailed, s.instances, s.warned, s.stopped, s.failed, s.started)
}

// Check is the job body: every watched instance of every LIGHTSAIL_REGIONS region
// (regions at once, bounded) is measured and stored, then warned about, stopped or
// started as the rules say. A region that fails is reported in the error and tried again
// at the next check; it never spoils the others. Pushes left from earlier checks are
// raised first.
func (g *Guard) Check(ctx context.Context) (counts string, err error) {
	if g.store == nil {
		return "", errors.New("lightsail guard: a store is required to enforce")
	}
	now := g.clock.Now().UTC().Truncate(time.Second)
	var errs []error
	if err := g.raisePending(ctx); err != nil {
		errs = append(errs, err)
	}
	stats := &guardStats{}
	regionErrs := g.eachRegion(ctx, func(ctx context.Context, region string) error {
		return g.checkRegion(ctx, region, now, stats)
	})
	for _, e := range regionErrs {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return stats.String(), errors.Join(errs...)
}

// eachRegion runs fn for every watched region, at most guardConcurrency at once, and
// returns each region's error in LIGHTSAIL_REGIONS order.
func (g *Guard) eachRegion(ctx context.Context, fn func(ctx context.Context, region string) error) []error {
	regions := g.cfg.LightsailRegions
	errs := make([]error, len(regions))
	sem := make(chan struct{}, guardConcurrency)
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("lightsail %s: panic: %v", region, p)
				}
			}()
			errs[i] = fn(ctx, region)
		})
	}
	wg.Wait()
	return errs
}

// checkRegion measures the region's watched instances, stores the check, then decides.
func (g *Guard) checkRegion(ctx context.Context, region string, now time.Time, stats *guardStats) error {
	ms, err := g.measureRegion(ctx, region, now)
	if err != nil {
		stats.add(func(s *guardStats) { s.regionsFailed++ })
		return err
	}
	stats.add(func(s *guardStats) { s.regions++; s.instances += len(ms) })
	var errs []error
	rows := make([]models.LightsailUsage, 0, len(ms))
	for i := range ms {
		row, err := g.usageRow(ctx, &ms[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, row)
	}
	if err := g.store.SaveLightsailChecks(ctx, region, CycleOf(now), now, rows); err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, m := range ms {
		if m.err != nil {
			errs = append(errs, m.err)
			continue
		}
		if err := g.decide(ctx, m, now, stats); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// measureRegion lists the region and reads each watched instance's traffic this cycle.
// An instance whose traffic cannot be read is returned with its error.
func (g *Guard) measureRegion(ctx context.Context, region string, now time.Time) ([]measurement, error) {
	insts, err := g.ops.Instances(ctx, region)
	if err != nil {
		return nil, err
	}
	start, end := cycleBounds(now)
	cycle := CycleOf(now)
	var out []measurement
	for _, in := range insts {
		if !g.cfg.Watches(in.Name) {
			continue // never measured, never stopped
		}
		if in.Region == "" || in.Region != region {
			in.Region = region
		}
		m := measurement{inst: in, ownID: instanceID(in)}
		m.traffic = models.LightsailTraffic{
			Region: region, Instance: in.Name, Cycle: cycle, State: in.State, CheckedAt: now, CreatedAt: in.CreatedAt,
			FullAllowanceBytes: in.AllowanceGB * models.GB,
			AllowanceBytes:     ProratedAllowance(in.AllowanceGB*models.GB, in.CreatedAt, start, end),
			Estimate:           models.StopEstimate{Status: models.EstimateUnknown},
			TZ:                 g.cfg.ReportTZ.String(),
		}
		if m.traffic.AllowanceBytes <= 0 {
			m.err = fmt.Errorf("lightsail %s: %s: the API gave no data-transfer allowance; not enforced", region, in.Name)
		}
		out = append(out, m)
	}
	// The traffic reads are independent: make them at the same time (bounded), each into
	// its own measurement; what follows them stays in order.
	var wg sync.WaitGroup
	sem := make(chan struct{}, instanceConcurrency)
	for i := range out {
		if out[i].err != nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			m := &out[i]
			inBytes, outBytes, err := g.ops.NetworkBytes(ctx, region, m.inst.Name, start, now)
			if err != nil {
				m.err = err
				return
			}
			m.own = inBytes + outBytes
			m.traffic.UsedBytes = m.own
		})
	}
	wg.Wait()
	for i := range out {
		m := &out[i]
		if m.err != nil {
			continue
		}
		if g.store != nil {
			if err := g.addHistory(ctx, m, now, end); err != nil {
				m.err = err
			}
		}
		m.traffic.Percent = m.traffic.UsedBytes / m.traffic.AllowanceBytes * 100
	}
	return out, nil
}

// addHistory adds the usage of earlier instances of the same name this cycle (an
// instance deleted and created again in the month shares the allowance: their usage
// counts, and the allowance is prorated from the first one's creation), and the stop
// estimate and burst projection from the stored checks.
func (g *Guard) addHistory(ctx context.Context, m *measurement, now, cycleEnd time.Time) error {
	t := &m.traffic
	carried, firstCreated, err := g.store.EarlierLightsailInstances(ctx, t.Region, t.Instance, t.Cycle, m.ownID)
	if err != nil {
		return err
	}
	if !firstCreated.IsZero() && firstCreated.Before(m.inst.CreatedAt) {
		// One allowance for the name this cycle: as if the first instance still ran.
		start, _ := cycleBounds(now)
		t.AllowanceBytes = ProratedAllowance(t.FullAllowanceBytes, firstCreated, start, cycleEnd)
	}
	t.CarriedBytes = carried
	t.UsedBytes = m.own + carried
	history, err := g.store.LightsailHistory(ctx, t.Region, t.Instance, t.Cycle, now.Add(-estimateWindow))
	if err != nil {
		return err
	}
	stop := m.stopBytes(g.cfg.LightsailStopPercent)
	t.Estimate = EstimateStop(history, now, t.UsedBytes, stop, cycleEnd)
	var lastHour []models.LightsailUsage
	for _, h := range history {
		if !h.CheckedAt.Before(now.Add(-burstWindow)) {
			lastHour = append(lastHour, h)
		}
	}
	m.burst = BurstGate(lastHour, now, t.UsedBytes, t.AllowanceBytes, stop, g.cfg.LightsailCheckInterval)
	return nil
}

// rateSince is the growth per hour from the oldest stored check of history to used now,
// when that check is at least minRateSpan old.
func rateSince(history []models.LightsailUsage, now time.Time, used float64) (float64, bool) {
	for _, h := range history {
		span := now.Sub(h.CheckedAt)
		if span < minRateSpan {
			return 0, false
		}
		return (used - h.UsedBytes) / span.Hours(), true
	}
	return 0, false
}

// EstimateStop is when used reaches stop at the rate of the stored checks in history
// (oldest first: the window of the last 24 hours, as much of it as is stored).
func EstimateStop(history []models.LightsailUsage, now time.Time, used, stop float64, cycleEnd time.Time) models.StopEstimate {
	rate, ok := rateSince(history, now, used)
	switch {
	case used >= stop:
		return models.StopEstimate{Status: models.EstimateReached, RateBytesPerHour: math.Max(rate, 0)}
	case !ok:
		return models.StopEstimate{Status: models.EstimateUnknown}
	case rate <= 0:
		return models.StopEstimate{Status: models.EstimateIdle}
	}
	at := now.Add(time.Duration((stop - used) / rate * float64(time.Hour)))
	if !at.Before(cycleEnd) {
		return models.StopEstimate{Status: models.EstimateAfterCycle, RateBytesPerHour: rate}
	}
	return models.StopEstimate{Status: models.EstimateAt, At: at.Truncate(time.Minute), RateBytesPerHour: rate}
}

// BurstGate says whether, at the rate of the last hour of stored checks, used would
// reach stop before the next check (one interval from now); nil when it would not, or
// when it is reached already (the threshold rule applies then).
func BurstGate(lastHour []models.LightsailUsage, now time.Time, used, allowance, stop float64, interval time.Duration) *models.BurstProjection {
	rate, ok := rateSince(lastHour, now, used)
	if !ok || rate <= 0 || used >= stop || allowance <= 0 {
		return nil
	}
	projected := used + rate*interval.Hours()
	if projected < stop {
		return nil
	}
	return &models.BurstProjection{RateBytesPerHour: rate, NextCheck: now.Add(interval), ProjectedPercent: projected / allowance * 100}
}

// usageRow is the stored form of a measurement. An instance whose traffic could not be
// read keeps its last good figures, marked with the error.
func (g *Guard) usageRow(ctx context.Context, m *measurement) (models.LightsailUsage, error) {
	t := m.traffic
	row := models.LightsailUsage{
		Instance: t.Instance, State: t.State, InstanceID: m.ownID, InstanceCreatedAt: t.CreatedAt,
		UsedBytes: t.UsedBytes, AllowanceBytes: t.AllowanceBytes, Percent: t.Percent, OwnBytes: m.own,
		CarriedBytes: t.CarriedBytes, FullAllowanceBytes: t.FullAllowanceBytes,
		EstimateStatus: t.Estimate.Status, RateBytesPerHour: t.Estimate.RateBytesPerHour,
	}
	if t.Estimate.Status == models.EstimateAt {
		at := t.Estimate.At
		row.EstimateAt = &at
	}
	if m.err == nil {
		return row, nil
	}
	row.Error = m.err.Error()
	last, err := g.store.LastLightsailCheck(ctx, t.Region, t.Instance, t.Cycle)
	if err != nil {
		return row, err
	}
	if last != nil {
		row.UsedBytes, row.OwnBytes, row.CarriedBytes, row.Percent = last.UsedBytes, last.OwnBytes, last.CarriedBytes, last.Percent
		row.EstimateStatus, row.EstimateAt, row.RateBytesPerHour = last.EstimateStatus, last.EstimateAt, last.RateBytesPerHour
	} else {
		row.EstimateStatus = models.EstimateUnknown
	}
	return row, nil
}

func (g *Guard) lock(region, name string) func() {
	v, _ := g.locks.LoadOrStore(region+"/"+name, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// decide applies the rules to one measured instance: auto-start at a new cycle, stop at
// the threshold or the burst gate, warn at each level.
func (g *Guard) decide(ctx context.Context, m measurement, now time.Time, stats *guardStats) error {
	t := m.traffic
	defer g.lock(t.Region, t.Instance)()
	actions, err := g.store.LightsailActions(ctx, t.Region, t.Instance, t.Cycle)
	if err != nil {
		return err
	}
	var errs []error
	if g.cfg.LightsailAutoStart && !g.cfg.LightsailDryRun {
		started, err := g.autoStart(ctx, &m, actions, now)
		if started {
			stats.add(func(s *guardStats) { s.started++ })
		}
		if err != nil {
			errs = append(errs, err)
		}
		if actions, err = g.store.LightsailActions(ctx, t.Region, t.Instance, t.Cycle); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	stop := t.Percent >= g.cfg.LightsailStopPercent
	if stop || m.burst != nil {
		stopped, err := g.enforceStop(ctx, m, actions, now, stop)
		if stopped {
			stats.add(func(s *guardStats) { s.stopped++ })
		}
		if err != nil {
			stats.add(func(s *guardStats) { s.failed++ })
			errs = append(errs, err)
		}
	}
	warned, err := g.warn(ctx, m, actions, now, stop || m.burst != nil)
	if warned {
		stats.add(func(s *guardStats) { s.warned++ })
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// warn records every warning level passed for the first time this cycle and pushes the
// highest one; lower levels passed at the same check, or levels passed by an instance
// being stopped, are recorded as skipped so that they never push later.
func (g *Guard) warn(ctx context.Context, m measurement, actions []models.LightsailAction, now time.Time, stopping bool) (bool, error) {
	t := m.traffic
	var newLevels []float64
	for _, lvl := range g.cfg.LightsailWarnPercents { // ascending
		if t.Percent < lvl {
			continue
		}
		done := slices.ContainsFunc(actions, func(a models.LightsailAction) bool { return a.Action == "warn" && a.Level == lvl })
		if !done {
			newLevels = append(newLevels, lvl)
		}
	}
	warned := false
	var errs []error
	for i, lvl := range newLevels {
		a := &models.LightsailAction{
			At: now, Cycle: t.Cycle, Region: t.Region, Instance: t.Instance, Action: "warn", Level: lvl, Actor: GuardActor,
			Reason: fmt.Sprintf("usage %.1f%% passed %g%%", t.Percent, lvl), Result: ResultOK,
		}
		if stopping || i < len(newLevels)-1 {
			a.Result = ResultSkipped
		} else if err := attachEvent(a, models.EventLightsailWarn, eventKey(t, "warn", strconv.FormatFloat(lvl, 'f', -1, 64)),
			models.LightsailWarn{Traffic: t, Level: lvl, StopPercent: g.cfg.LightsailStopPercent}); err != nil {
			return warned, err
		}
		if err := g.store.AddLightsailAction(ctx, a); err != nil {
			return warned, err
		}
		if a.EventKind != "" {
			warned = true
			if err := g.notify(ctx, a); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return warned, errors.Join(errs...)
}

// stoppedStates are the states in which an instance needs no stop.
var stoppedStates = []string{"stopped", "stopping", "shutting-down", "terminated"}

// enforceStop stops an instance over the threshold or caught by the burst gate, once per
// cycle: the state is read again first, and an instance already stopped (by the guard
// or anyone) is left alone. An instance the guard stopped that runs again (someone
// started it) is stopped again and the push says so: the allowance is still spent. A
// failed stop is pushed and tried again at the next check. With LIGHTSAIL_DRY_RUN it only
// pushes, once per cycle.
func (g *Guard) enforceStop(ctx context.Context, m measurement, actions []models.LightsailAction, now time.Time, overThreshold bool) (bool, error) {
	t := m.traffic
	reason, burst := models.StopReasonThreshold, (*models.BurstProjection)(nil)
	reasonText := fmt.Sprintf("usage %.1f%% reached %g%%", t.Percent, g.cfg.LightsailStopPercent)
	if !overThreshold {
		reason, burst = models.StopReasonBurst, m.burst
		reasonText = fmt.Sprintf("burst: %.1f%% now, %.1f%% expected by the next check", t.Percent, m.burst.ProjectedPercent)
	}
	data := models.LightsailStop{Traffic: t, StopPercent: g.cfg.LightsailStopPercent, Reason: reason, Burst: burst}

	var lastOK, pendingRow *models.LightsailAction
	stops, failures, dryRun := 0, 0, false
	for i := range actions {
		a := &actions[i]
		if a.Action != "stop" || a.Actor != GuardActor {
			continue
		}
		switch a.Result {
		case ResultOK:
			lastOK, pendingRow, failures = a, nil, 0
			stops++
		case ResultPending:
			pendingRow = a
		case ResultFailed:
			failures++
		case ResultDryRun:
			dryRun = true
		}
	}

	if g.cfg.LightsailDryRun {
		if dryRun {
			return false, nil
		}
		data.DryRun = true
		a := g.newAction(t, now, "stop", reasonText)
		a.Result = ResultDryRun
		if err := attachEvent(a, models.EventLightsailStop, eventKey(t, "stop", "dry-run"), data); err != nil {
			return false, err
		}
		if err := g.store.AddLightsailAction(ctx, a); err != nil {
			return false, err
		}
		return false, g.notify(ctx, a)
	}

	state, err := g.ops.State(ctx, t.Region, t.Instance)
	if err != nil {
		return false, g.stopFailed(ctx, t, reason, reasonText, failures+1, now, fmt.Errorf("read the state before stopping: %w", err))
	}
	data.Traffic.State = state
	if slices.Contains(stoppedStates, state) {
		if pendingRow == nil {
			return false, nil // stopped already: by the guard this cycle, or by someone
		}
		// costbot stopped during the call; the stop went through.
		data.Accepted, data.Recovered = true, true
		pendingRow.Result, pendingRow.Error = ResultOK, ""
		if err := attachEvent(pendingRow, models.EventLightsailStop, eventKey(t, "stop", strconv.Itoa(stops+1)), data); err != nil {
			return false, err
		}
		if err := g.store.SaveLightsailAction(ctx, pendingRow); err != nil {
			return false, err
		}
		return true, g.notify(ctx, pendingRow)
	}

	data.Restarted = lastOK != nil
	if data.Restarted {
		reasonText += "; started again after the guard's stop"
	}
	a := pendingRow
	if a == nil {
		a = g.newAction(t, now, "stop", reasonText)
		a.Result = ResultPending
		if err := g.store.AddLightsailAction(ctx, a); err != nil {
			return false, err
		}
	}
	g.logger().Warn("stopping a Lightsail instance", "region", t.Region, "instance", t.Instance, "percent", t.Percent, "reason", reasonText)
	if err := g.ops.Stop(ctx, t.Region, t.Instance); err != nil {
		a.Result, a.Error, a.At = ResultFailed, err.Error(), now
		if failErr := g.failureNotice(a, t, reason, failures+1, now); failErr != nil {
			return false, failErr
		}
		if serr := g.store.SaveLightsailAction(ctx, a); serr != nil {
			return false, errors.Join(err, serr)
		}
		if a.EventKind != "" {
			err = errors.Join(err, g.notify(ctx, a))
		}
		return false, err
	}
	data.Accepted = true
	a.Result, a.Error = ResultOK, ""
	if err := attachEvent(a, models.EventLightsailStop, eventKey(t, "stop", strconv.Itoa(stops+1)), data); err != nil {
		return false, err
	}
	if err := g.store.SaveLightsailAction(ctx, a); err != nil {
		return true, err
	}
	return true, g.notify(ctx, a)
}

// stopFailed records a stop that could not even be tried (the state could not be read).
func (g *Guard) stopFailed(ctx context.Context, t models.LightsailTraffic, reason, reasonText string, attempt int, now time.Time, cause error) error {
	a := g.newAction(t, now, "stop", reasonText)
	a.Result, a.Error = ResultFailed, cause.Error()
	if err := g.failureNotice(a, t, reason, attempt, now); err != nil {
		return err
	}
	if err := g.store.AddLightsailAction(ctx, a); err != nil {
		return errors.Join(cause, err)
	}
	if a.EventKind != "" {
		return errors.Join(cause, g.notify(ctx, a))
	}
	return cause
}

// failureNotice attaches the stop_failed push to a failed attempt: the 1st, 2nd, 4th,
// 8th ... in a row, so a stop that keeps failing is reported without a push every check.
// Its key holds the check's time: every failure pushed is a new push.
func (g *Guard) failureNotice(a *models.LightsailAction, t models.LightsailTraffic, reason string, attempt int, now time.Time) error {
	if attempt&(attempt-1) != 0 {
		return nil
	}
	return attachEvent(a, models.EventLightsailStopFailed, eventKey(t, "stop-failed", now.UTC().Format("20060102T150405Z")),
		models.LightsailStopFailed{Traffic: t, StopPercent: g.cfg.LightsailStopPercent, Reason: reason, Error: a.Error,
			Attempt: attempt, Retry: now.Add(g.cfg.LightsailCheckInterval)})
}

func (g *Guard) newAction(t models.LightsailTraffic, now time.Time, action, reason string) *models.LightsailAction {
	return &models.LightsailAction{
		At: now, Cycle: t.Cycle, Region: t.Region, Instance: t.Instance, Action: action,
		Level: g.cfg.LightsailStopPercent, Actor: GuardActor, Reason: reason,
	}
}

// eventKey is a push's stable key: region/name/cycle/what/which.
func eventKey(t models.LightsailTraffic, what, which string) string {
	return strings.Join([]string{t.Region, t.Instance, t.Cycle, what, which}, "/")
}

// attachEvent puts the push into the action, to be stored with it.
func attachEvent(a *models.LightsailAction, kind, key string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("lightsail guard: encode %s: %w", kind, err)
	}
	a.EventKind, a.EventKey, a.EventData = kind, key, string(raw)
	return nil
}

// notify hands a stored action's push to the notifier and records the attempt. Without
// a notifier the push waits in the store.
func (g *Guard) notify(ctx context.Context, a *models.LightsailAction) error {
	n := g.currentNotifier()
	if n == nil || a.EventKind == "" {
		return nil
	}
	ev, err := models.DecodeLightsailEvent(a.EventKind, a.EventKey, a.EventData)
	if err == nil {
		err = n.Notify(ctx, ev)
	}
	drop := err != nil && a.NotifyAttempts+1 >= guardMaxNotifyAttempts
	if drop {
		g.logger().Error("giving up a Lightsail push the notifier keeps refusing", "kind", a.EventKind, "key", a.EventKey, "err", err)
	}
	if merr := g.store.MarkLightsailNotice(context.WithoutCancel(ctx), a.ID, err == nil, g.clock.Now(), drop); merr != nil {
		return errors.Join(err, merr)
	}
	a.NotifyAttempts++
	if err != nil {
		return fmt.Errorf("lightsail guard: push %s %s: %w", a.EventKind, a.EventKey, err)
	}
	return nil
}

// raisePending hands the notifier every push it has not taken yet, oldest first.
func (g *Guard) raisePending(ctx context.Context) error {
	if g.currentNotifier() == nil {
		return nil
	}
	pending, err := g.store.PendingLightsailNotices(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for i := range pending {
		if err := g.notify(ctx, &pending[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// autoStart starts, at the first check of a new cycle, an instance the guard itself
// stopped in the previous cycle: the previous cycle's last stop or start must be the
// guard's successful stop, and nothing may have been decided this cycle yet. A failed
// start is pushed and tried again at the next check; an instance found running already
// is recorded as skipped, so a later stop by a person is never undone.
func (g *Guard) autoStart(ctx context.Context, m *measurement, actions []models.LightsailAction, now time.Time) (bool, error) {
	t := m.traffic
	failures := 0
	for _, a := range actions {
		if a.Action != "start" && a.Action != "stop" {
			continue
		}
		if a.Action == "start" && a.Actor == GuardActor && a.Result == ResultFailed {
			failures++
			continue
		}
		return false, nil // decided already this cycle
	}
	start, _ := cycleBounds(now)
	prevCycle := CycleOf(start.Add(-time.Second))
	prev, err := g.store.LightsailActions(ctx, t.Region, t.Instance, prevCycle)
	if err != nil {
		return false, err
	}
	var last *models.LightsailAction
	for i := range prev {
		a := &prev[i]
		if (a.Action == "start" || a.Action == "stop") && (a.Result == ResultOK || a.Result == ResultPending) {
			last = a
		}
	}
	if last == nil || last.Action != "stop" || last.Actor != GuardActor {
		return false, nil
	}
	switch t.State {
	case "stopped":
	case "stopping":
		return false, nil // not yet; the next check starts it
	default:
		a := g.newAction(t, now, "start", fmt.Sprintf("new cycle: was %s already, not started", t.State))
		a.Result, a.Level = ResultSkipped, 0
		return false, g.store.AddLightsailAction(ctx, a)
	}
	data := models.LightsailStart{Traffic: t, PreviousCycle: prevCycle, StoppedAt: last.At.UTC()}
	a := g.newAction(t, now, "start", "new cycle: the guard stopped it in "+prevCycle)
	a.Result, a.Level = ResultPending, 0
	if err := g.store.AddLightsailAction(ctx, a); err != nil {
		return false, err
	}
	startErr := g.ops.Start(ctx, t.Region, t.Instance)
	attempt := failures + 1
	if startErr != nil {
		a.Result, a.Error = ResultFailed, startErr.Error()
		data.Error = startErr.Error()
	} else {
		a.Result = ResultOK
		data.Accepted = true
		m.traffic.State = "pending"
	}
	if startErr == nil || attempt&(attempt-1) == 0 {
		data.Traffic.State = m.traffic.State
		if err := attachEvent(a, models.EventLightsailStart, eventKey(t, "start", strconv.Itoa(attempt)), data); err != nil {
			return false, err
		}
	}
	if err := g.store.SaveLightsailAction(ctx, a); err != nil {
		return false, errors.Join(startErr, err)
	}
	return startErr == nil, errors.Join(startErr, g.notify(ctx, a))
}

// Stop stops an instance for a person (actor: their Telegram user ID) and records it.
func (g *Guard) Stop(ctx context.Context, region, name, actor string) error {
	return g.act(ctx, "stop", region, name, actor)
}

// Start starts an instance for a person and records it. If its usage is over the stop
// threshold, the next check stops it again (unless LIGHTSAIL_DRY_RUN).
func (g *Guard) Start(ctx context.Context, region, name, actor string) error {
	return g.act(ctx, "start", region, name, actor)
}

func (g *Guard) act(ctx context.Context, action, region, name, actor string) error {
	if !g.cfg.Watches(name) || !slices.Contains(g.cfg.LightsailRegions, region) {
		return fmt.Errorf("lightsail %s: %s: %w", region, name, ErrNotWatched)
	}
	if g.store == nil {
		return errors.New("lightsail: a store is required to record actions")
	}
	defer g.lock(region, name)()
	now := g.clock.Now().UTC()
	a := &models.LightsailAction{
		At: now, Cycle: CycleOf(now), Region: region, Instance: name, Action: action, Actor: actor,
		Reason: "asked in Telegram", Result: ResultPending,
	}
	if err := g.store.AddLightsailAction(ctx, a); err != nil {
		return err
	}
	var err error
	if action == "stop" {
		err = g.ops.Stop(ctx, region, name)
	} else {
		err = g.ops.Start(ctx, region, name)
	}
	a.Result = ResultOK
	if err != nil {
		a.Result, a.Error = ResultFailed, err.Error()
	}
	g.logger().Info("Lightsail action asked in Telegram", "action", action, "region", region, "instance", name, "actor", actor, "result", a.Result)
	// The record must land even when the asker's context ends now.
	if serr := g.store.SaveLightsailAction(context.WithoutCancel(ctx), a); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// RegionError is a region that could not be listed.
type RegionError struct {
	Region string
	Err    error
}

// Measure reads every watched instance's traffic now, without storing or deciding
// anything (`costbot lightsail`). Instances whose traffic could not be read have Error
// set; regions that could not be listed are returned apart.
func (g *Guard) Measure(ctx context.Context) ([]models.LightsailTraffic, []RegionError) {
	now := g.clock.Now().UTC().Truncate(time.Second)
	results := make([][]models.LightsailTraffic, len(g.cfg.LightsailRegions))
	errs := g.eachRegion(ctx, func(ctx context.Context, region string) error {
		ms, err := g.measureRegion(ctx, region, now)
		for _, m := range ms {
			if m.err != nil {
				m.traffic.Error = m.err.Error()
			}
			i := slices.Index(g.cfg.LightsailRegions, region)
			results[i] = append(results[i], m.traffic)
		}
		return err
	})
	var out []models.LightsailTraffic
	var failed []RegionError
	for i, region := range g.cfg.LightsailRegions {
		out = append(out, results[i]...)
		if errs[i] != nil {
			failed = append(failed, RegionError{Region: region, Err: errs[i]})
		}
	}
	return out, failed
}
