// Package jobs runs costbot's scheduled work: cost collection, the Lightsail guard, the
// daily report, the monthly close and outbox delivery. Job bodies are plain methods; the
// Scheduler only decides when they run and records every run in the store.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"costbot/models"
)

// Func is a job body. counts is a short summary of what it did ("resources=42").
type Func func(ctx context.Context) (counts string, err error)

// RunLog is where the scheduler records every job run.
type RunLog interface {
	StartJobRun(ctx context.Context, job string, at time.Time) (*models.JobRun, error)
	FinishJobRun(ctx context.Context, run *models.JobRun, at time.Time, counts string, runErr error) error
}

// Scheduler runs named jobs on gocron and records each run (start, end, outcome, error,
// counts) in job_runs.
type Scheduler struct {
	sched  gocron.Scheduler
	store  RunLog
	clock  clockwork.Clock
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	// OnRunDone, when set before Start, is called after every recorded run (metrics, tests).
	OnRunDone func(job string, at time.Time, err error)

	mu      sync.Mutex
	jobs    map[string]gocron.Job
	running map[string]bool
	// setupSaid is the set-up mistake each job last failed with (logRunOutcome).
	setupSaid map[string]string
	startNow  []func()
}

// NewScheduler builds a scheduler on clock (clockwork.NewRealClock() in production, a fake
// clock in tests).
func NewScheduler(store RunLog, clock clockwork.Clock, log *slog.Logger) (*Scheduler, error) {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.Default()
	}
	s, err := gocron.NewScheduler(
		gocron.WithClock(clock),
		gocron.WithLocation(time.UTC),
		gocron.WithStopTimeout(30*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("jobs: new scheduler: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{sched: s, store: store, clock: clock, log: log, ctx: ctx, cancel: cancel, jobs: map[string]gocron.Job{}, running: map[string]bool{}}, nil
}

// Every runs fn every interval. With startNow it also runs once at Start. A job never
// runs twice at the same time: a run due while another is going is skipped.
func (s *Scheduler) Every(name string, interval time.Duration, startNow bool, fn Func) error {
	if startNow {
		s.mu.Lock()
		s.startNow = append(s.startNow, func() { s.RunOnce(s.ctx, name, fn) })
		s.mu.Unlock()
	}
	return s.add(name, gocron.DurationJob(interval), fn)
}

// DailyAt runs fn every day at hour:minute in loc.
func (s *Scheduler) DailyAt(name string, hour, minute int, loc *time.Location, fn Func) error {
	spec := fmt.Sprintf("CRON_TZ=%s %d %d * * *", loc.String(), minute, hour)
	return s.add(name, gocron.CronJob(spec, false), fn)
}

func (s *Scheduler) add(name string, def gocron.JobDefinition, fn Func, opts ...gocron.JobOption) error {
	opts = append(opts,
		gocron.WithName(name),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithContext(s.ctx),
	)
	j, err := s.sched.NewJob(def, gocron.NewTask(func(ctx context.Context) { s.RunOnce(ctx, name, fn) }), opts...)
	if err != nil {
		return fmt.Errorf("jobs: schedule %s: %w", name, err)
	}
	s.mu.Lock()
	s.jobs[name] = j
	s.mu.Unlock()
	return nil
}

// ErrAlreadyRunning is returned by RunOnce when the job is running already.
var ErrAlreadyRunning = errors.New("already running")

// RunOnce runs fn now as job name, recording the run, unless the job is running already
// (then it returns ErrAlreadyRunning and records nothing). It never panics.
func (s *Scheduler) RunOnce(ctx context.Context, name string, fn Func) (counts string, err error) {
	s.mu.Lock()
	if s.running[name] {
		s.mu.Unlock()
		return "", fmt.Errorf("%s: %w", name, ErrAlreadyRunning)
	}
	s.running[name] = true
	s.mu.Unlock()
	started := s.clock.Now()
	defer func() {
		s.mu.Lock()
		delete(s.running, name)
		s.mu.Unlock()
		if s.OnRunDone != nil {
			s.OnRunDone(name, started, err)
		}
	}()
	run, recErr := s.store.StartJobRun(ctx, name, s.clock.Now())
	if recErr != nil {
		s.log.Error("job run not recorded", "job", name, "err", recErr)
	}
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%s panicked: %v", name, p)
			}
		}()
		counts, err = fn(ctx)
	}()
	s.logRunOutcome(name, time.Since(start), counts, err)
	if run != nil {
		// The run's own context may be cancelled by shutdown; the record must still land.
		if ferr := s.store.FinishJobRun(context.WithoutCancel(ctx), run, s.clock.Now(), counts, err); ferr != nil {
			s.log.Error("job run not recorded", "job", name, "err", ferr)
		}
	}
	return counts, err
}

// NextRun is when the named job runs next (zero when unknown).
func (s *Scheduler) NextRun(name string) time.Time {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	t, err := j.NextRun()
	if err != nil {
		return time.Time{}
	}
	return t
}

// NextRuns maps every job to its next run, for /status.
func (s *Scheduler) NextRuns() map[string]time.Time {
	s.mu.Lock()
	names := make([]string, 0, len(s.jobs))
	for n := range s.jobs {
		names = append(names, n)
	}
	s.mu.Unlock()
	out := make(map[string]time.Time, len(names))
	for _, n := range names {
		out[n] = s.NextRun(n)
	}
	return out
}

// Start starts the schedule and the jobs that run at start-up.
func (s *Scheduler) Start() {
	s.sched.Start()
	s.mu.Lock()
	first := s.startNow
	s.startNow = nil
	s.mu.Unlock()
	for _, run := range first {
		go run()
	}
}

// Shutdown cancels running jobs' context and waits (bounded) for them to return.
func (s *Scheduler) Shutdown() error {
	s.cancel()
	return s.sched.Shutdown()
}
