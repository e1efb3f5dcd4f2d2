package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"costbot/models"
)

// Carrying the guard's plan out: every action is recorded before and after its AWS
// call, with the push it raised, and handed to the notifier.

// decideAndAct reads what the decision needs of the store, decides, and carries the
// plan out: auto-start, stop, then warnings.
func (g *Guard) decideAndAct(ctx context.Context, m measurement, now time.Time, stats *guardStats) error {
	t := m.traffic
	defer g.lock(t.Region, t.Instance)()
	actions, err := g.store.LightsailActions(ctx, g.multi.account, t.Region, t.Instance, t.Cycle)
	if err != nil {
		return err
	}
	in := decisionInput{Traffic: t, Burst: m.burst, Actions: actions, Rules: guardRules{
		WarnPercents: g.cfg.LightsailWarnPercents, StopPercent: g.cfg.LightsailStopPercent,
		DryRun: g.cfg.LightsailDryRun, AutoStart: g.cfg.LightsailAutoStart,
	}}
	if in.Rules.AutoStart && !in.Rules.DryRun {
		start, _ := models.MonthBounds(now)
		if in.Previous, err = g.store.LightsailActions(ctx, g.multi.account, t.Region, t.Instance, CycleOf(start.Add(-time.Second))); err != nil {
			return err
		}
	}
	plan := decide(in)
	var errs []error
	if plan.Start != nil {
		started, err := g.autoStart(ctx, &m, *plan.Start, now)
		if started {
			stats.add(func(s *guardStats) { s.started++ })
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if plan.Stop != nil {
		stopped, err := g.enforceStop(ctx, m, *plan.Stop, now)
		if stopped {
			stats.add(func(s *guardStats) { s.stopped++ })
		}
		if err != nil {
			stats.add(func(s *guardStats) { s.failed++ })
			errs = append(errs, err)
		}
	}
	warned, err := g.warn(ctx, m, plan.Warn, now)
	if warned {
		stats.add(func(s *guardStats) { s.warned++ })
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// warn records every warning level of the plan; the one that pushes is pushed, the
// others are recorded as skipped so that they never push later.
func (g *Guard) warn(ctx context.Context, m measurement, steps []warnStep, now time.Time) (bool, error) {
	t := m.traffic
	warned := false
	var errs []error
	for _, w := range steps {
		a := &models.LightsailAction{
			At: now, Cycle: t.Cycle, Region: t.Region, Instance: t.Instance, Action: "warn", Level: w.Level, Actor: GuardActor,
			Reason: fmt.Sprintf("usage %.1f%% passed %g%%", t.Percent, w.Level), Result: ResultOK,
		}
		if !w.Push {
			a.Result = ResultSkipped
		} else if err := attachEvent(a, models.EventLightsailWarn, eventKey(t, "warn", strconv.FormatFloat(w.Level, 'f', -1, 64)),
			models.LightsailWarn{Traffic: t, Level: w.Level, StopPercent: g.cfg.LightsailStopPercent}); err != nil {
			return warned, err
		}
		if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
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

// enforceStop carries a stop out, once per cycle: the state is read again first, and an
// instance already stopped (by the guard or anyone) is left alone. An instance the guard
// stopped that runs again (someone started it) is stopped again and the push says so:
// the allowance is still spent. A failed stop is pushed and tried again at the next
// check. With LIGHTSAIL_DRY_RUN it only pushes, once per cycle. On the instance costbot
// runs on, the push is delivered before the stop, for costbot stops with it.
func (g *Guard) enforceStop(ctx context.Context, m measurement, s stopStep, now time.Time) (bool, error) {
	t := m.traffic
	data := models.LightsailStop{Traffic: t, StopPercent: g.cfg.LightsailStopPercent, Reason: s.Reason, Burst: s.Burst,
		SelfHost: t.SelfHost}

	if s.DryRun {
		data.DryRun = true
		a := g.newAction(t, now, "stop", s.ReasonText)
		a.Result = ResultDryRun
		if err := attachEvent(a, models.EventLightsailStop, eventKey(t, "stop", "dry-run"), data); err != nil {
			return false, err
		}
		if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
			return false, err
		}
		return false, g.notify(ctx, a)
	}

	state, err := g.ops.State(ctx, t.Region, t.Instance)
	if err != nil {
		return false, g.stopFailed(ctx, t, s, s.Failures+1, now, fmt.Errorf("read the state before stopping: %w", err))
	}
	data.Traffic.State = state
	if slices.Contains(stoppedStates, state) {
		if s.Pending == nil {
			return false, nil // stopped already: by the guard this cycle, or by someone
		}
		// costbot stopped during the call; the stop went through.
		data.Accepted, data.Recovered = true, true
		pendingRow := s.Pending
		pendingRow.Result, pendingRow.Error = ResultOK, ""
		g.staticIP(ctx, &data)
		if err := attachEvent(pendingRow, models.EventLightsailStop, eventKey(t, "stop", strconv.Itoa(s.Stops+1)), data); err != nil {
			return false, err
		}
		if err := g.store.SaveLightsailAction(ctx, pendingRow); err != nil {
			return false, err
		}
		return true, g.notify(ctx, pendingRow)
	}

	data.Restarted = s.Restarted
	g.staticIP(ctx, &data)
	a := s.Pending
	if a == nil {
		a = g.newAction(t, now, "stop", s.ReasonText)
		a.Result = ResultPending
		if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
			return false, err
		}
	}
	key := eventKey(t, "stop", strconv.Itoa(s.Stops+1))
	if t.SelfHost {
		if s.Failures > 0 {
			key += "/attempt-" + strconv.Itoa(s.Failures+1) // said again before each try
		}
		// Say it while costbot can: the push is out before the stop takes costbot down.
		data.Accepted = true
		if err := attachEvent(a, models.EventLightsailStop, key, data); err != nil {
			return false, err
		}
		if err := g.store.SaveLightsailAction(ctx, a); err != nil {
			return false, err
		}
		if err := g.flushBeforeSelfStop(ctx, a); err != nil {
			g.logger().Error("the stop of costbot's own host could not be pushed first; stopping anyway", "instance", t.Instance, "err", err)
		}
	}
	g.logger().Warn("stopping a Lightsail instance", "region", t.Region, "instance", t.Instance, "percent", t.Percent, "reason", s.ReasonText, "self", t.SelfHost)
	if err := g.ops.Stop(ctx, t.Region, t.Instance); err != nil {
		a.Result, a.Error, a.At = ResultFailed, err.Error(), now
		if t.SelfHost {
			// The early push stands on its row; the failure is pushed on a row of its own.
			if serr := g.store.SaveLightsailAction(ctx, a); serr != nil {
				return false, errors.Join(err, serr)
			}
			a = g.newAction(t, now, actionStopNotice, s.ReasonText)
			a.Result, a.Error = ResultFailed, err.Error()
			if serr := g.store.AddLightsailAction(ctx, g.multi.account, a); serr != nil {
				return false, errors.Join(err, serr)
			}
		}
		if failErr := g.failureNotice(a, t, s, s.Failures+1, now); failErr != nil {
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
	a.Result, a.Error = ResultOK, ""
	if t.SelfHost {
		return true, g.store.SaveLightsailAction(ctx, a)
	}
	data.Accepted = true
	if err := attachEvent(a, models.EventLightsailStop, key, data); err != nil {
		return false, err
	}
	if err := g.store.SaveLightsailAction(ctx, a); err != nil {
		return true, err
	}
	return true, g.notify(ctx, a)
}

// staticIP says in a stop's push which static IP keeps the instance's address, if any:
// without one the public IPv4 changes when it starts again.
func (g *Guard) staticIP(ctx context.Context, data *models.LightsailStop) {
	name, addr, err := g.ops.StaticIP(ctx, data.Traffic.Region, data.Traffic.Instance)
	if err != nil {
		g.logger().Warn("cannot tell whether a static IP is attached", "instance", data.Traffic.Instance, "err", err)
		return
	}
	data.StaticIPChecked, data.StaticIPName, data.StaticIP = true, name, addr
}

// stopFailed records a stop that could not even be tried (the state could not be read).
func (g *Guard) stopFailed(ctx context.Context, t models.LightsailTraffic, s stopStep, attempt int, now time.Time, cause error) error {
	a := g.newAction(t, now, "stop", s.ReasonText)
	a.Result, a.Error = ResultFailed, cause.Error()
	if err := g.failureNotice(a, t, s, attempt, now); err != nil {
		return err
	}
	if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
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
func (g *Guard) failureNotice(a *models.LightsailAction, t models.LightsailTraffic, s stopStep, attempt int, now time.Time) error {
	if attempt&(attempt-1) != 0 {
		return nil
	}
	return attachEvent(a, models.EventLightsailStopFailed, eventKey(t, "stop-failed", now.UTC().Format("20060102T150405Z")),
		models.LightsailStopFailed{Traffic: t, StopPercent: g.cfg.LightsailStopPercent, Reason: s.Reason, Error: a.Error,
			Attempt: attempt, Retry: now.Add(g.cfg.LightsailCheckInterval)})
}

func (g *Guard) newAction(t models.LightsailTraffic, now time.Time, action, reason string) *models.LightsailAction {
	return &models.LightsailAction{
		At: now, Cycle: t.Cycle, Region: t.Region, Instance: t.Instance, Action: action,
		Level: g.cfg.LightsailStopPercent, Actor: GuardActor, Reason: reason,
	}
}

// eventKey is a push's stable key: region/name/cycle/what/which, after the account when
// the instance is in one of several (two accounts' instances may share a name).
func eventKey(t models.LightsailTraffic, what, which string) string {
	key := strings.Join([]string{t.Region, t.Instance, t.Cycle, what, which}, "/")
	if t.AccountID != "" {
		key = t.AccountID + "/" + key
	}
	return key
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

// notify hands a stored action's push to the notifier and records the attempt.
func (g *Guard) notify(ctx context.Context, a *models.LightsailAction) error {
	n := g.notifierOf()
	if a.EventKind == "" {
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
	at := g.clock.Now()
	if merr := g.store.MarkLightsailNotice(context.WithoutCancel(ctx), a.ID, err == nil, at, drop); merr != nil {
		return errors.Join(err, merr)
	}
	// The row in hand says the same as the stored one, so saving it later keeps the mark.
	a.NotifyAttempts++
	a.NotifyDropped = a.NotifyDropped || drop
	if err == nil {
		at = at.UTC()
		a.NotifiedAt = &at
	}
	if err != nil {
		return fmt.Errorf("lightsail guard: push %s %s: %w", a.EventKind, a.EventKey, err)
	}
	return nil
}

// raisePending hands the notifier every push it has not taken yet, oldest first.
func (g *Guard) raisePending(ctx context.Context) error {
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

// autoStart carries out the plan's auto-start. A failed start is pushed and tried again
// at the next check; an instance found running already is recorded as skipped, so a
// later stop by a person is never undone.
func (g *Guard) autoStart(ctx context.Context, m *measurement, s startStep, now time.Time) (bool, error) {
	t := m.traffic
	if s.Skip != "" {
		a := g.newAction(t, now, "start", s.Skip)
		a.Result, a.Level = ResultSkipped, 0
		return false, g.store.AddLightsailAction(ctx, g.multi.account, a)
	}
	data := models.LightsailStart{Traffic: t, PreviousCycle: s.PreviousCycle, StoppedAt: s.StoppedAt}
	a := g.newAction(t, now, "start", "new cycle: the guard stopped it in "+s.PreviousCycle)
	a.Result, a.Level = ResultPending, 0
	if err := g.store.AddLightsailAction(ctx, g.multi.account, a); err != nil {
		return false, err
	}
	startErr := g.ops.Start(ctx, t.Region, t.Instance)
	attempt := s.Failures + 1
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
