package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/jobs"
	"costbot/models"
)

// BenchmarkGuardOvershoot measures how far past the stop threshold (95 % of a 1,000 GB
// allowance) a Lightsail instance sending data out at a constant rate has gone when the
// stop lands, for costbot's guard (burst gate, LIGHTSAIL_CHECK_INTERVAL 10m) and for the
// original Lambda guard's rule (the threshold only, every 10 minutes), in the same run.
// The Lightsail fake serves 5-minute datapoints with a 5-minute publication delay, as
// Lightsail does; both read it through the real SDK client on a simulated clock. Each
// rate runs at four phases of the burst's start against the 10-minute check grid (0, 2.5,
// 5 and 7.5 minutes in); the figures are the mean and the worst. A negative overshoot is
// a stop before the threshold.
//
//	go test ./bench -run '^$' -bench BenchmarkGuardOvershoot -benchtime 1x
func BenchmarkGuardOvershoot(b *testing.B) {
	rates := []struct {
		name string
		bps  float64 // bits per second
	}{{"100Mbit", 100e6}, {"1Gbit", 1e9}, {"5Gbit", 5e9}}
	phases := []time.Duration{0, 150 * time.Second, 5 * time.Minute, 450 * time.Second}
	type result struct{ mean, worst float64 }
	var lines []string
	for b.Loop() {
		lines = lines[:0]
		for _, r := range rates {
			var cb, orig result
			cb.worst, orig.worst = -1e18, -1e18
			for _, ph := range phases {
				c := overshootRun(b, r.bps, ph, true)
				o := overshootRun(b, r.bps, ph, false)
				cb.mean += c / float64(len(phases))
				orig.mean += o / float64(len(phases))
				cb.worst, orig.worst = max(cb.worst, c), max(orig.worst, o)
			}
			b.ReportMetric(cb.mean, "costbot_GB_"+r.name)
			b.ReportMetric(orig.mean, "original_GB_"+r.name)
			lines = append(lines, fmt.Sprintf("%s: costbot mean %+.1f GB (worst %+.1f, %.1f%% of the allowance at worst); original rule mean %+.1f GB (worst %+.1f, %.1f%%)",
				r.name, cb.mean, cb.worst, (950+cb.worst)/10, orig.mean, orig.worst, (950+orig.worst)/10))
		}
	}
	b.Log("overshoot past 950 GB when the stop lands:\n" + strings.Join(lines, "\n"))
}

// overshootRun is one burst: the GB sent past the stop threshold when the stop lands,
// with costbot's guard (guard true) or the original rule.
func overshootRun(b *testing.B, bitsPerSecond float64, phase time.Duration, guard bool) float64 {
	b.Helper()
	const (
		region      = "us-east-1"
		name        = "sim"
		allowanceGB = 1000
		stopGB      = 950
		interval    = 10 * time.Minute
	)
	monthStart := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	burst := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC).Add(phase) // the instance starts sending
	bytesPerSlot := bitsPerSecond / 8 * awstest.LightsailResolution.Seconds()
	sentBy := func(t time.Time) float64 { return max(0, t.Sub(burst).Seconds()) * bitsPerSecond / 8 }

	ls := awstest.StartLightsail(b)
	ls.SetPublicationDelay(5 * time.Minute)
	first := time.Date(2025, 3, 9, 22, 0, 0, 0, time.UTC) // checks from two hours before
	clock := clockwork.NewFakeClockAt(first)
	ls.SetClock(clock.Now)
	ls.AddInstance(region, awstest.LightsailInstance{Name: name, Bundle: "nano_3_0", AllowanceGB: allowanceGB,
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	ls.SetTraffic(region, name, "NetworkIn", awstest.ConstantTraffic(0))
	ls.SetTraffic(region, name, "NetworkOut", func(slot time.Time) float64 {
		// The slot's share of a burst that may begin inside it.
		end := slot.Add(awstest.LightsailResolution)
		if !end.After(burst) {
			return 0
		}
		from := slot
		if burst.After(from) {
			from = burst
		}
		return bytesPerSlot * end.Sub(from).Seconds() / awstest.LightsailResolution.Seconds()
	})

	var g *jobs.Guard
	if guard {
		g = newBenchGuard(b, map[string]string{"LIGHTSAIL_REGIONS": region}, ls.Config(region), clock)
	}
	ctx := context.Background()
	for now := first; now.Before(burst.Add(48 * time.Hour)); now = now.Add(interval) {
		clock.Advance(now.Sub(clock.Now()))
		if guard {
			if _, err := g.Check(ctx); err != nil {
				b.Fatalf("check at %v: %v", now, err)
			}
			if len(ls.Calls("StopInstance")) > 0 {
				return (sentBy(now) - stopGB*models.GB) / models.GB
			}
			continue
		}
		// The original rule: NetworkIn + NetworkOut since the 1st against the threshold.
		in, out, err := aws.LightsailNetworkBytes(ctx, ls.Config(region), name, monthStart, now)
		if err != nil {
			b.Fatal(err)
		}
		if in+out >= stopGB*models.GB {
			return (sentBy(now) - stopGB*models.GB) / models.GB
		}
	}
	b.Fatalf("no stop within two days at %.0f bit/s", bitsPerSecond)
	return 0
}
