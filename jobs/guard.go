package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/config"
	"costbot/models"
)

// The Lightsail guard in four files: this one (the job and the actions people ask for),
// guard_read.go (reading usage: traffic, the allowance pool, estimates, blindness),
// guard_decide.go (the pure decision: readings and history in, actions out) and
// guard_act.go (carrying the actions out and pushing them); guard_watch.go watches the
// guard itself (blind instances, failing regions, the heartbeat, its own host).

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
	Traffic(ctx context.Context, region, name string, start, end time.Time) (aws.LightsailReading, error)
	State(ctx context.Context, region, name string) (string, error)
	StaticIP(ctx context.Context, region, instance string) (name, address string, err error)
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

func (s sdkLightsail) Traffic(ctx context.Context, region, name string, start, end time.Time) (aws.LightsailReading, error) {
	return aws.LightsailTrafficReading(ctx, s.in(region), name, start, end)
}

func (s sdkLightsail) State(ctx context.Context, region, name string) (string, error) {
	return aws.GetLightsailInstanceState(ctx, s.in(region), name)
}

func (s sdkLightsail) StaticIP(ctx context.Context, region, instance string) (string, string, error) {
	return aws.LightsailStaticIPOf(ctx, s.in(region), instance)
}

func (s sdkLightsail) Stop(ctx context.Context, region, name string) error {
	return aws.StopLightsailInstance(ctx, s.in(region), name)
}

func (s sdkLightsail) Start(ctx context.Context, region, name string) error {
	return aws.StartLightsailInstance(ctx, s.in(region), name)
}

// OutboxFlusher delivers the pushes waiting in the outbox now: *Deliverer. The guard
// flushes before it stops the instance costbot runs on.
type OutboxFlusher interface {
	DeliverDue(ctx context.Context) (sent, failed int, err error)
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
	flusher  OutboxFlusher
	log      *slog.Logger

	locks sync.Map // "region/name" -> *sync.Mutex: one action at a time per instance

	regionRuns regionRuns // consecutive failed checks per region
	self       *selfHost  // which instance costbot runs on
	heartbeat  *http.Client

	multi guardAccounts // more than one account (guard_accounts.go)
}

// NewGuard builds the guard over the SDK's Lightsail client. Its pushes go to notifier
// (required; a push it refuses waits in the store); flusher delivers the outbox before
// the guard stops costbot's own host, and is nil where no outbox runs (that stop then
// fails rather than go unannounced). clock nil is the real clock; store nil only
// measures.
func NewGuard(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, notifier Notifier, flusher OutboxFlusher, clock clockwork.Clock) *Guard {
	return NewGuardWithOps(cfg, store, sdkLightsail{base: awsCfg}, notifier, flusher, clock)
}

// NewGuardWithOps is NewGuard over any LightsailOps.
func NewGuardWithOps(cfg *config.Config, store *models.Store, ops LightsailOps, notifier Notifier, flusher OutboxFlusher, clock clockwork.Clock) *Guard {
	mustNotifier("NewGuard", notifier)
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Guard{cfg: cfg, store: store, ops: ops, clock: clock, notifier: notifier, flusher: flusher, log: slog.Default(),
		heartbeat: &http.Client{Timeout: heartbeatTimeout}, self: &selfHost{}}
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
	if g.multi.parent != nil {
		return g.multi.parent.logger().With("account", g.multi.account)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log
}

// notifierOf is where the guard's pushes go: an account's guard pushes through the
// guard that made it.
func (g *Guard) notifierOf() Notifier {
	if g.multi.parent != nil {
		return g.multi.parent.notifierOf()
	}
	return g.notifier
}

// flusherOf is what delivers the outbox, the parent's for an account's guard.
func (g *Guard) flusherOf() OutboxFlusher {
	if g.multi.parent != nil {
		return g.multi.parent.flusherOf()
	}
	return g.flusher
}

// Schedule adds the guard to s: every LIGHTSAIL_CHECK_INTERVAL, and once at start-up.
func (g *Guard) Schedule(s *Scheduler) error {
	return s.Every(GuardJob, g.cfg.LightsailCheckInterval, true, g.Check)
}

// CycleOf is the allowance cycle (YYYY-MM, the calendar month in UTC) of t.
func CycleOf(t time.Time) string { return models.MonthOf(t) }

// guardStats counts what a check did, for job_runs.
type guardStats struct {
	mu                                                                         sync.Mutex
	regions, regionsFailed, instances, blind, warned, stopped, failed, started int
}

func (s *guardStats) add(f func(*guardStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *guardStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("regions=%d regions_failed=%d instances=%d blind=%d warned=%d stopped=%d stop_failed=%d started=%d",
		s.regions, s.regionsFailed, s.instances, s.blind, s.warned, s.stopped, s.failed, s.started)
}

// Check is the job body: every watched instance of every LIGHTSAIL_REGIONS region
// (regions at once, bounded) is measured and stored, then warned about, stopped or
// started as the rules say. A region that fails is reported in the error and tried again
// at the next check; it never spoils the others. Pushes left from earlier checks are
// raised first. The heartbeat (GUARD_HEARTBEAT_URL) hears of the outcome afterwards,
// without the check waiting for it.
func (g *Guard) Check(ctx context.Context) (counts string, err error) {
	if g.store == nil {
		return "", errors.New("lightsail guard: a store is required to enforce")
	}
	defer func() { g.beat(err == nil) }()
	now := g.clock.Now().UTC().Truncate(time.Second)
	var errs []error
	if err := g.raisePending(ctx); err != nil {
		errs = append(errs, err)
	}
	stats := &guardStats{}
	if g.multi.source != nil {
		errs = append(errs, g.checkAccounts(ctx, now, stats)...)
	} else {
		errs = append(errs, g.checkRegions(ctx, now, stats)...)
	}
	// One region after another failing for want of credentials is one cause, said once.
	return stats.String(), errors.Join(aws.CollapseSetupErrors(errs, aws.Profile())...)
}

// checkRegions checks every watched region of the guard's account and returns the
// regions' errors.
func (g *Guard) checkRegions(ctx context.Context, now time.Time, stats *guardStats) []error {
	var errs []error
	regionErrs := g.eachRegion(ctx, func(ctx context.Context, region string) error {
		err := g.checkRegion(ctx, region, now, stats)
		if rerr := g.regionOutcome(ctx, region, now, err); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	})
	for _, e := range regionErrs {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errs
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

// checkRegion measures the region's watched instances, stores the check, then decides
// and acts on each.
func (g *Guard) checkRegion(ctx context.Context, region string, now time.Time, stats *guardStats) error {
	ms, err := g.measureRegion(ctx, region, now)
	if err != nil {
		stats.add(func(s *guardStats) { s.regionsFailed++ })
		return &regionListError{err}
	}
	stats.add(func(s *guardStats) { s.regions++; s.instances += len(ms) })
	var errs []error
	rows := make([]models.LightsailUsage, 0, len(ms))
	for i := range ms {
		rows = append(rows, ms[i].row)
	}
	if err := g.store.SaveLightsailChecks(ctx, g.multi.account, region, CycleOf(now), now, rows); err != nil {
		return err
	}
	for _, m := range ms {
		if m.traffic.Blind {
			stats.add(func(s *guardStats) { s.blind++ })
			if err := g.pushBlind(ctx, m, now); err != nil {
				errs = append(errs, err)
			}
		}
		if m.err != nil {
			errs = append(errs, m.err) // stale figures: no decision on this instance
			continue
		}
		if err := g.decideAndAct(ctx, m, now, stats); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// regionListError is a region that could not be listed at all.
type regionListError struct{ err error }

func (e *regionListError) Error() string { return e.err.Error() }
func (e *regionListError) Unwrap() error { return e.err }

func (g *Guard) lock(region, name string) func() {
	v, _ := g.locks.LoadOrStore(region+"/"+name, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Stop stops an instance for a person (actor: their Telegram user ID) and records it.
func (g *Guard) Stop(ctx context.Context, region, name, actor string) error {
	return g.StopIn(ctx, "", region, name, actor)
}

// Start starts an instance for a person and records it. If its usage is over the stop
// threshold, the next check stops it again (unless LIGHTSAIL_DRY_RUN).
func (g *Guard) Start(ctx context.Context, region, name, actor string) error {
	return g.StartIn(ctx, "", region, name, actor)
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
	if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
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
	Account string // set when AWS_ACCOUNTS names more than the credentials' own account
	Region  string
	Err     error
}

// Measure reads every watched instance's traffic now, without storing or deciding
// anything (`costbot lightsail`). Instances whose traffic could not be read have Error
// set; regions that could not be listed are returned apart.
func (g *Guard) Measure(ctx context.Context) ([]models.LightsailTraffic, []RegionError) {
	if g.multi.source != nil {
		return g.measureAccounts(ctx)
	}
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
