package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"costbot/aws"
	"costbot/models"
)

// Reading usage: each watched instance's traffic since the 1st, the allowance pool it
// shares with deleted instances, the estimates from the stored checks, and whether the
// guard can see it at all.

const (
	// minRateSpan is the shortest stretch of stored checks a rate is taken over: the
	// metrics come in 5-minute datapoints, so two reads a moment apart can differ by a
	// whole datapoint and fake a burst.
	minRateSpan = 30 * time.Minute
	// estimateWindow and burstWindow are the windows of the stop estimate and the
	// burst gate.
	estimateWindow = 24 * time.Hour
	burstWindow    = time.Hour
)

// measurement is one instance's traffic at a check, and what the stored history says
// about its rate.
type measurement struct {
	inst    aws.LightsailInstance
	traffic models.LightsailTraffic
	ownID   string
	reading aws.LightsailReading
	burst   *models.BurstProjection
	row     models.LightsailUsage // what is stored of this check
	// prevBlind: the previous check found it blind too (the spell was pushed already).
	prevBlind bool
	err       error // the traffic could not be read: no decision on this instance
}

// instanceID tells apart instances that had the same name: the ARN, else the creation.
func instanceID(in aws.LightsailInstance) string {
	if in.ARN != "" {
		return in.ARN
	}
	return in.CreatedAt.UTC().Format(time.RFC3339)
}

// measureRegion lists the region and reads each watched instance's traffic this cycle.
// An instance whose traffic cannot be read is returned with its error and its last good
// figures.
func (g *Guard) measureRegion(ctx context.Context, region string, now time.Time) ([]measurement, error) {
	insts, err := g.ops.Instances(ctx, region)
	if err != nil {
		return nil, err
	}
	start, end := models.MonthBounds(now)
	cycle := CycleOf(now)
	var out []measurement
	for _, in := range insts {
		if in.Region == "" || in.Region != region {
			in.Region = region
		}
		if !g.cfg.Watches(in.Name) {
			continue // never measured, never stopped
		}
		m := measurement{inst: in, ownID: instanceID(in)}
		m.traffic = models.LightsailTraffic{
			AccountID: g.multi.account, Region: region, Instance: in.Name, Cycle: cycle, State: in.State, CheckedAt: now, CreatedAt: in.CreatedAt,
			Bundle:             in.Bundle,
			FullAllowanceBytes: in.AllowanceGB * models.GB,
			AllowanceBytes:     ProratedAllowance(in.AllowanceGB*models.GB, in.CreatedAt, start, end),
			Estimate:           models.StopEstimate{Status: models.EstimateUnknown},
			TZ:                 g.cfg.ReportTZ.String(),
			SelfHost:           g.isSelf(ctx, in),
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
			m.reading, m.err = g.ops.Traffic(ctx, region, m.inst.Name, start, now)
		})
	}
	wg.Wait()

	var history []models.LightsailUsage
	if g.store != nil {
		if history, err = g.store.LightsailCycleInstances(ctx, g.multi.account, region, cycle); err != nil {
			return nil, err
		}
	}
	carries := poolCarries(poolMembers(insts, out, history))
	for i := range out {
		m := &out[i]
		m.applyPool(carries[m.ownID], start, end)
		if g.store != nil {
			if err := g.addHistory(ctx, m, now, end); err != nil && m.err == nil {
				m.err = err
			}
		}
		if m.traffic.AllowanceBytes > 0 {
			m.traffic.Percent = m.traffic.UsedBytes / m.traffic.AllowanceBytes * 100
		}
		m.row = m.usageRow()
	}
	return out, nil
}

// poolMembers are the region's instances as the pool rule sees them: every listed one
// (watched or not: an unwatched instance can be the next of a bundle too) with what was
// read of it now, and every instance stored this cycle that is no longer listed.
func poolMembers(listed []aws.LightsailInstance, ms []measurement, history []models.LightsailUsage) []poolMember {
	read := map[string]*measurement{}
	for i := range ms {
		read[ms[i].ownID] = &ms[i]
	}
	live := map[string]bool{}
	var out []poolMember
	for _, in := range listed {
		id := instanceID(in)
		live[id] = true
		p := poolMember{ID: id, Name: in.Name, Bundle: in.Bundle, Created: in.CreatedAt}
		if m := read[id]; m != nil && m.err == nil {
			p.Bytes, p.OutBytes = m.reading.In+m.reading.Out, m.reading.Out
		}
		out = append(out, p)
	}
	for _, h := range history {
		if live[h.InstanceID] {
			continue
		}
		out = append(out, poolMember{ID: h.InstanceID, Name: h.Instance, Bundle: h.Bundle, Created: h.InstanceCreatedAt.UTC(),
			LastSeen: h.CheckedAt.UTC(), Gone: true, Bytes: h.OwnBytes, OutBytes: h.OwnOutBytes})
	}
	return out
}

// applyPool sets the instance's usage and allowance as the pool rule counts them.
func (m *measurement) applyPool(c poolCarry, start, end time.Time) {
	t := &m.traffic
	t.CarriedBytes, t.CarriedFrom = c.Bytes, c.From
	t.UsedBytes, t.OutBytes, t.AllowanceBytes = poolFigures(m.reading.In+m.reading.Out, m.reading.Out, t.FullAllowanceBytes, m.inst.CreatedAt, c, start, end)
	m.row.CarriedOutBytes = c.OutBytes
}

// addHistory adds what the stored checks say: the stop estimate, the burst projection,
// and whether the instance is blind (a failed read keeps the last good figures).
func (g *Guard) addHistory(ctx context.Context, m *measurement, now, cycleEnd time.Time) error {
	t := &m.traffic
	prev, err := g.store.LastLightsailRowOf(ctx, g.multi.account, t.Region, m.ownID)
	if err != nil {
		return err
	}
	b := blindness(t.State, now, m.reading.Latest, prev, m.err != nil)
	m.prevBlind = prev != nil && prev.Blind
	m.row.DataAt, t.Blind = timePtr(b.DataAt), b.Blind
	if !b.LastGoodAt.IsZero() {
		t.LastGoodAt = b.LastGoodAt
		m.row.LastGoodAt = timePtr(b.LastGoodAt)
	}
	if m.err != nil {
		return g.keepLastGood(ctx, m)
	}
	history, err := g.store.LightsailHistory(ctx, g.multi.account, t.Region, t.Instance, t.Cycle, now.Add(-estimateWindow))
	if err != nil {
		return err
	}
	history = onlyInstance(history, m.ownID)
	stop := t.AllowanceBytes * g.cfg.LightsailStopPercent / 100
	t.Estimate = EstimateStop(history, now, t.UsedBytes, stop, cycleEnd)
	var lastHour []models.LightsailUsage
	for _, h := range history {
		if !h.CheckedAt.Before(now.Add(-burstWindow)) {
			lastHour = append(lastHour, h)
		}
	}
	m.burst = BurstGate(lastHour, now, t.UsedBytes, t.AllowanceBytes, stop, g.cfg.LightsailCheckInterval, dataLag(now, m.reading.Latest))
	return nil
}

// dataLag is how far behind now the newest datapoint's end is: the part of the traffic
// already sent that the metrics do not show yet. Zero when no datapoint was seen.
func dataLag(now, latest time.Time) time.Duration {
	if latest.IsZero() {
		return 0
	}
	return max(0, now.Sub(latest.Add(aws.LightsailResolution)))
}

// keepLastGood puts the last good figures of the same instance this cycle into a
// measurement whose read failed: a failed read is never 0 GB.
func (g *Guard) keepLastGood(ctx context.Context, m *measurement) error {
	t := &m.traffic
	last, err := g.store.LastLightsailCheck(ctx, g.multi.account, t.Region, t.Instance, t.Cycle)
	if err != nil || last == nil || last.InstanceID != m.ownID {
		return err
	}
	t.UsedBytes, t.CarriedBytes, t.OutBytes = last.UsedBytes, last.CarriedBytes, last.OwnOutBytes+last.CarriedOutBytes
	m.reading.In, m.reading.Out = last.OwnBytes-last.OwnOutBytes, last.OwnOutBytes
	t.Estimate = models.StopEstimate{Status: last.EstimateStatus, RateBytesPerHour: last.RateBytesPerHour}
	if last.EstimateAt != nil {
		t.Estimate.At = last.EstimateAt.UTC()
	}
	return nil
}

func onlyInstance(rows []models.LightsailUsage, id string) []models.LightsailUsage {
	out := rows[:0:0]
	for _, r := range rows {
		if r.InstanceID == id {
			out = append(out, r)
		}
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// usageRow is the stored form of a measurement.
func (m *measurement) usageRow() models.LightsailUsage {
	t := m.traffic
	row := m.row
	row.Instance, row.State, row.InstanceID, row.InstanceCreatedAt = t.Instance, t.State, m.ownID, t.CreatedAt
	row.UsedBytes, row.AllowanceBytes, row.Percent = t.UsedBytes, t.AllowanceBytes, t.Percent
	row.OwnBytes, row.OwnOutBytes = m.reading.In+m.reading.Out, m.reading.Out
	row.CarriedBytes, row.FullAllowanceBytes = t.CarriedBytes, t.FullAllowanceBytes
	row.EstimateStatus, row.RateBytesPerHour = t.Estimate.Status, t.Estimate.RateBytesPerHour
	row.Bundle, row.Blind, row.SelfHost = t.Bundle, t.Blind, t.SelfHost
	if len(t.CarriedFrom) > 0 {
		raw, _ := json.Marshal(t.CarriedFrom) // plain values: cannot fail
		row.CarriedFrom = string(raw)
	}
	if t.Estimate.Status == models.EstimateAt {
		at := t.Estimate.At
		row.EstimateAt = &at
	}
	if m.err != nil {
		row.Error = m.err.Error()
	}
	return row
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

// rateSince is the growth per hour from the oldest stored check of history to used now,
// when that check is at least minRateSpan old.
func rateSince(history []models.LightsailUsage, now time.Time, used float64) (float64, bool) {
	if len(history) == 0 {
		return 0, false
	}
	span := now.Sub(history[0].CheckedAt)
	if span < minRateSpan {
		return 0, false
	}
	return (used - history[0].UsedBytes) / span.Hours(), true
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
// when it is reached already (the threshold rule applies then). lag is how far the
// metrics are behind now: traffic already sent that used does not show yet, which
// counts at the same rate.
func BurstGate(lastHour []models.LightsailUsage, now time.Time, used, allowance, stop float64, interval, lag time.Duration) *models.BurstProjection {
	rate, ok := rateSince(lastHour, now, used)
	if !ok || rate <= 0 || used >= stop || allowance <= 0 {
		return nil
	}
	projected := used + rate*(interval+lag).Hours()
	if projected < stop {
		return nil
	}
	return &models.BurstProjection{RateBytesPerHour: rate, NextCheck: now.Add(interval), ProjectedPercent: projected / allowance * 100}
}
