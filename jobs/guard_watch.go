package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"costbot/aws"
	"costbot/models"
)

// Watching the guard itself: instances it cannot see, regions it cannot reach, a
// heartbeat an outside monitor can miss, and the instance costbot itself runs on.

const (
	// regionDownAfter is how many checks of a region must fail running before it is
	// pushed as down.
	regionDownAfter = 3
	// heartbeatTimeout bounds one heartbeat request; the check never waits for it.
	heartbeatTimeout = 10 * time.Second
	// selfDetectTimeout bounds the instance metadata request (off EC2 it never answers).
	selfDetectTimeout = 2 * time.Second
	// selfFlushTimeout bounds the delivery of the outbox before costbot stops its host.
	selfFlushTimeout = 30 * time.Second
)

// Region-wide actions in lightsail_actions (Instance empty).
const (
	actionRegionDown = "region_down"
	actionRegionUp   = "region_up"
	actionBlind      = "blind"
	// actionStopNotice carries the failure push of a stop of costbot's own host, whose
	// stop row carries the push sent before it.
	actionStopNotice = "stop_notice"
)

// pushBlind pushes, once per blind spell, that the guard cannot see an instance: the
// first check of the spell records it (the previous check was not blind).
func (g *Guard) pushBlind(ctx context.Context, m measurement, now time.Time) error {
	t := m.traffic
	if m.prevBlind {
		return nil
	}
	ev := models.LightsailBlind{Traffic: t, Since: now, Reason: models.BlindNoData}
	if m.err != nil {
		ev.Reason, ev.Error = models.BlindReadFailed, m.err.Error()
	}
	a := &models.LightsailAction{At: now, Cycle: t.Cycle, Region: t.Region, Instance: t.Instance, Action: actionBlind,
		Actor: GuardActor, Reason: ev.Reason, Result: ResultOK}
	if err := attachEvent(a, models.EventLightsailBlind, eventKey(t, "blind", now.UTC().Format("20060102T150405Z")), ev); err != nil {
		return err
	}
	if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
		return err
	}
	return g.notify(ctx, a)
}

// regionRuns counts each region's failed checks in a row.
type regionRuns struct {
	mu    sync.Mutex
	fails map[string]regionRun
}

type regionRun struct {
	count int
	since time.Time
}

// regionOutcome keeps the run of failed checks of a region: at the regionDownAfter-th
// failure in a row (the region could not even be listed) it pushes that the region is
// down, once; at the first success after that, that it is back.
func (g *Guard) regionOutcome(ctx context.Context, region string, now time.Time, checkErr error) error {
	var listErr *regionListError
	failed := errors.As(checkErr, &listErr)
	r := &g.regionRuns
	r.mu.Lock()
	if r.fails == nil {
		r.fails = map[string]regionRun{}
	}
	run := r.fails[region]
	if failed {
		if run.count == 0 {
			run.since = now
		}
		run.count++
		r.fails[region] = run
	} else {
		delete(r.fails, region)
	}
	r.mu.Unlock()

	last, err := g.store.LastLightsailRegionAction(ctx, g.multi.account, region, actionRegionDown, actionRegionUp)
	if err != nil {
		return err
	}
	down := last != nil && last.Action == actionRegionDown
	tz := g.cfg.ReportTZ.String()
	key := func(what string) string {
		return strings.Join([]string{region, "", CycleOf(now), what, now.UTC().Format("20060102T150405Z")}, "/")
	}
	var a *models.LightsailAction
	switch {
	case failed && run.count == regionDownAfter && !down:
		a = &models.LightsailAction{At: now, Cycle: CycleOf(now), Region: region, Action: actionRegionDown, Actor: GuardActor,
			Reason: fmt.Sprintf("%d checks failed running", run.count), Result: ResultOK}
		err = attachEvent(a, models.EventLightsailRegionDown, key("region-down"),
			models.LightsailRegionDown{Region: region, Failures: run.count, Since: run.since, Error: listErr.Error(), TZ: tz})
	case !failed && down:
		a = &models.LightsailAction{At: now, Cycle: CycleOf(now), Region: region, Action: actionRegionUp, Actor: GuardActor,
			Reason: "checked again", Result: ResultOK}
		err = attachEvent(a, models.EventLightsailRegionUp, key("region-up"),
			models.LightsailRegionUp{Region: region, DownSince: last.At.UTC(), At: now, TZ: tz})
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
		return err
	}
	return g.notify(ctx, a)
}

// beat tells GUARD_HEARTBEAT_URL how the check went: a GET of the URL after a complete
// check, of <url>/fail after a failed one (the push-monitor convention of
// healthchecks.io and Uptime Kuma). It runs on its own: a slow or failing monitor never
// delays or fails the check.
func (g *Guard) beat(ok bool) {
	url := g.cfg.GuardHeartbeatURL
	if url == "" {
		return
	}
	if !ok {
		url += "/fail"
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), heartbeatTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = g.heartbeat.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
		}
		if err != nil {
			// The URL holds the monitor's secret: log only that it failed.
			g.logger().Warn("the guard's heartbeat failed", "ok", ok, "err", redactURL(err, g.cfg.GuardHeartbeatURL))
		}
	}()
}

func redactURL(err error, url string) string {
	return strings.ReplaceAll(err.Error(), url, "GUARD_HEARTBEAT_URL")
}

// selfHost is which instance costbot runs on: asked once, or again an hour after the
// metadata service could not be read (it may have been a passing failure).
type selfHost struct {
	mu         sync.Mutex
	asked      bool
	retryAt    time.Time
	instanceID string // the EC2 instance ID from the metadata service, "" if none
	endpoint   string // the metadata service; "" is the SDK's default
}

// selfRetry is how long the guard waits before asking the metadata service again.
const selfRetry = time.Hour

// SetMetadataEndpoint points self-host detection at another instance metadata service
// (before the first check).
func (g *Guard) SetMetadataEndpoint(url string) {
	g.self.mu.Lock()
	defer g.self.mu.Unlock()
	g.self.endpoint = url
}

// isSelf reports whether costbot runs on in: the instance LIGHTSAIL_SELF names (NAME
// or REGION/NAME), or, with LIGHTSAIL_SELF unset, the one whose supportCode holds the
// instance ID the metadata service gives.
func (g *Guard) isSelf(ctx context.Context, in aws.LightsailInstance) bool {
	switch self := g.cfg.LightsailSelf; self {
	case "none":
		return false
	case "":
		id := g.SelfInstanceID(ctx)
		return id != "" && aws.SupportCodeInstanceID(in.SupportCode) == id
	default:
		return self == in.Name || self == in.Region+"/"+in.Name
	}
}

// SelfInstanceID is the EC2 instance ID of the host, from the instance metadata service;
// "" when costbot does not run on EC2 or Lightsail (or LIGHTSAIL_SELF says).
func (g *Guard) SelfInstanceID(ctx context.Context) string {
	if g.cfg.LightsailSelf != "" {
		return ""
	}
	s := g.self
	s.mu.Lock()
	defer s.mu.Unlock()
	now := g.clock.Now()
	if s.asked && (s.instanceID != "" || now.Before(s.retryAt)) {
		return s.instanceID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), selfDetectTimeout)
	defer cancel()
	id, err := aws.MetadataInstanceID(ctx, s.endpoint)
	s.asked, s.instanceID, s.retryAt = true, id, now.Add(selfRetry)
	if err != nil {
		g.logger().Debug("not on an EC2 or Lightsail instance, or its metadata cannot be read", "err", err)
	}
	return s.instanceID
}

// flushBeforeSelfStop hands the stop's push to the notifier and delivers the outbox,
// so the message is out before the stop takes costbot down.
func (g *Guard) flushBeforeSelfStop(ctx context.Context, a *models.LightsailAction) error {
	if err := g.notify(ctx, a); err != nil {
		return err
	}
	f := g.flusherOf()
	if f == nil {
		return errors.New("no outbox to deliver")
	}
	ctx, cancel := context.WithTimeout(ctx, selfFlushTimeout)
	defer cancel()
	_, _, err := f.DeliverDue(ctx)
	return err
}
