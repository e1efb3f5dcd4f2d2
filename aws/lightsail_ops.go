package aws

import (
	"context"
	"fmt"
	"math"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
	"golang.org/x/sync/errgroup"
)

// LightsailInstance is what the traffic guard knows about an instance.
type LightsailInstance struct {
	Name        string
	Region      string
	Zone        string
	State       string // running, stopped, stopping, pending ...
	Bundle      string
	CreatedAt   time.Time
	AllowanceGB float64 // networking.monthlyTransfer.gbPerMonthAllocated, as the API says
	ARN         string
	SupportCode string
}

// lightsailMetricsAPI reads instance metrics.
type lightsailMetricsAPI interface {
	GetInstanceMetricData(ctx context.Context, in *lightsail.GetInstanceMetricDataInput, optFns ...func(*lightsail.Options)) (*lightsail.GetInstanceMetricDataOutput, error)
}

// lightsailInstanceAPI reads one instance.
type lightsailInstanceAPI interface {
	GetInstance(ctx context.Context, in *lightsail.GetInstanceInput, optFns ...func(*lightsail.Options)) (*lightsail.GetInstanceOutput, error)
}

// lightsailPowerAPI stops and starts instances.
type lightsailPowerAPI interface {
	StopInstance(ctx context.Context, in *lightsail.StopInstanceInput, optFns ...func(*lightsail.Options)) (*lightsail.StopInstanceOutput, error)
	StartInstance(ctx context.Context, in *lightsail.StartInstanceInput, optFns ...func(*lightsail.Options)) (*lightsail.StartInstanceOutput, error)
}

// ListLightsailInstances lists the instances of cfg.Region.
func ListLightsailInstances(ctx context.Context, cfg awssdk.Config) ([]LightsailInstance, error) {
	return listLightsailInstances(ctx, lightsail.NewFromConfig(cfg), cfg.Region)
}

func listLightsailInstances(ctx context.Context, api lightsailInstancesAPI, region string) ([]LightsailInstance, error) {
	instances, err := getLightsailInstances(ctx, api)
	if err != nil {
		return nil, fmt.Errorf("lightsail %s: get instances: %w", region, err)
	}
	out := make([]LightsailInstance, 0, len(instances))
	for _, in := range instances {
		out = append(out, toLightsailInstance(in, region))
	}
	return out, nil
}

// toLightsailInstance keeps what the guard needs of an instance; the region is the one the
// instance says it is in, else the one it was listed in.
func toLightsailInstance(in lstypes.Instance, region string) LightsailInstance {
	if in.Location != nil && in.Location.RegionName != "" {
		region = string(in.Location.RegionName)
	}
	li := LightsailInstance{
		Name:        awssdk.ToString(in.Name),
		Region:      region,
		Zone:        lightsailZone(in.Location),
		State:       lightsailStateName(in.State),
		Bundle:      awssdk.ToString(in.BundleId),
		AllowanceGB: transferAllowanceGB(in),
		ARN:         awssdk.ToString(in.Arn),
		SupportCode: awssdk.ToString(in.SupportCode),
	}
	if in.CreatedAt != nil {
		li.CreatedAt = in.CreatedAt.UTC()
	}
	return li
}

const (
	// lightsailMaxDatapoints is the most datapoints GetInstanceMetricData answers in one call.
	lightsailMaxDatapoints = 1440
	// lightsailTrafficPeriod is the period the guard asks traffic in. An hour sums the twelve
	// 5-minute native datapoints exactly, and 1440 hours is 60 days, so a whole month is one
	// call per metric (two per instance per check) where a 300 s period needs seven. A day
	// (86400 s) would fit too, but its buckets are whole UTC days with today as a partial
	// one, which is easy to misread and gives nothing finer than a day.
	lightsailTrafficPeriod = time.Hour
)

// LightsailNetworkBytes is the traffic of an instance between start and end: the sums of
// NetworkIn and NetworkOut (statistic Sum, unit Bytes; any other unit silently returns
// nothing). Long ranges are asked in chunks of at most 1440 datapoints each. Pass a start on
// a whole hour (the first of the month is) so every datapoint lies inside the range.
func LightsailNetworkBytes(ctx context.Context, cfg awssdk.Config, name string, start, end time.Time) (in, out float64, err error) {
	return lightsailNetworkBytes(ctx, lightsail.NewFromConfig(cfg), cfg.Region, name, start, end)
}

// lightsailNetworkBytes reads NetworkIn and NetworkOut at the same time.
func lightsailNetworkBytes(ctx context.Context, api lightsailMetricsAPI, region, name string, start, end time.Time) (in, out float64, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if in, err = lightsailMetricSum(gctx, api, name, lstypes.InstanceMetricNameNetworkIn, start, end); err != nil {
			return fmt.Errorf("lightsail %s: %s NetworkIn: %w", region, name, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if out, err = lightsailMetricSum(gctx, api, name, lstypes.InstanceMetricNameNetworkOut, start, end); err != nil {
			return fmt.Errorf("lightsail %s: %s NetworkOut: %w", region, name, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	return in, out, nil
}

func lightsailMetricSum(ctx context.Context, api lightsailMetricsAPI, name string, metric lstypes.InstanceMetricName, start, end time.Time) (float64, error) {
	points, err := lightsailMetricPoints(ctx, api, name, metric, start, end, lightsailTrafficPeriod)
	return sumDatapoints(points), err
}

// lightsailMetricPoints reads a metric's Sum datapoints over [start, end) at period, in
// as many requests as the 1440-datapoint limit needs.
func lightsailMetricPoints(ctx context.Context, api lightsailMetricsAPI, name string, metric lstypes.InstanceMetricName, start, end time.Time, period time.Duration) ([]lstypes.MetricDatapoint, error) {
	var points []lstypes.MetricDatapoint
	for _, w := range metricWindows(start, end, period, lightsailMaxDatapoints) {
		resp, err := api.GetInstanceMetricData(ctx, &lightsail.GetInstanceMetricDataInput{
			InstanceName: awssdk.String(name),
			MetricName:   metric,
			StartTime:    awssdk.Time(w.Start),
			EndTime:      awssdk.Time(w.End),
			Period:       awssdk.Int32(int32(period / time.Second)),
			Statistics:   []lstypes.MetricStatistic{lstypes.MetricStatisticSum},
			Unit:         lstypes.MetricUnitBytes,
		})
		if err != nil {
			return nil, fmt.Errorf("get instance metric data %s..%s: %w",
				w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), err)
		}
		points = append(points, resp.MetricData...)
	}
	return points, nil
}

// LightsailReading is an instance's traffic over a range and the newest datapoint seen.
type LightsailReading struct {
	In, Out float64
	// Latest is the start of the newest 5-minute datapoint of either metric in the last
	// hour or two (zero when there is none): how current the reading is.
	Latest time.Time
}

// LightsailResolution is the native resolution of instance metrics: a datapoint stamped
// t covers [t, t+5m).
const LightsailResolution = 5 * time.Minute

// lightsailTailPeriod is the period of the reading's tail: the native resolution, so
// the newest datapoint's time is known to five minutes.
const lightsailTailPeriod = LightsailResolution

// LightsailTrafficReading is LightsailNetworkBytes with the newest datapoint's time: the
// range up to the hour before the current one is read by the hour (one request per
// metric for a month), the rest at 5 minutes (one more). Pass a start on a whole hour.
func LightsailTrafficReading(ctx context.Context, cfg awssdk.Config, name string, start, end time.Time) (LightsailReading, error) {
	return lightsailTrafficReading(ctx, lightsail.NewFromConfig(cfg), cfg.Region, name, start, end)
}

func lightsailTrafficReading(ctx context.Context, api lightsailMetricsAPI, region, name string, start, end time.Time) (LightsailReading, error) {
	tail := end.Truncate(time.Hour).Add(-time.Hour)
	if tail.Before(start) {
		tail = start
	}
	// The four requests (each metric, by the hour and by 5 minutes) are independent.
	metrics := []lstypes.InstanceMetricName{lstypes.InstanceMetricNameNetworkIn, lstypes.InstanceMetricNameNetworkOut}
	var sums [2][2]float64
	var latest [2]time.Time
	g, gctx := errgroup.WithContext(ctx)
	for i, metric := range metrics {
		for j, part := range []struct {
			from, to time.Time
			period   time.Duration
		}{{start, tail, lightsailTrafficPeriod}, {tail, end, lightsailTailPeriod}} {
			g.Go(func() error {
				points, err := lightsailMetricPoints(gctx, api, name, metric, part.from, part.to, part.period)
				if err != nil {
					return fmt.Errorf("lightsail %s: %s %s: %w", region, name, metric, err)
				}
				sums[i][j] = sumDatapoints(points)
				if j == 1 {
					for _, p := range points {
						if p.Sum != nil && p.Timestamp != nil && p.Timestamp.After(latest[i]) {
							latest[i] = p.Timestamp.UTC()
						}
					}
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return LightsailReading{}, err
	}
	r := LightsailReading{In: sums[0][0] + sums[0][1], Out: sums[1][0] + sums[1][1], Latest: latest[0]}
	if latest[1].After(r.Latest) {
		r.Latest = latest[1]
	}
	return r, nil
}

// LightsailStaticIPOf is the static IP attached to an instance of cfg.Region: its name
// and address, or empty strings when none is (the public IPv4 then changes on start).
func LightsailStaticIPOf(ctx context.Context, cfg awssdk.Config, instance string) (name, address string, err error) {
	return lightsailStaticIPOf(ctx, lightsail.NewFromConfig(cfg), cfg.Region, instance)
}

type lightsailStaticIPsAPI interface {
	GetStaticIps(ctx context.Context, in *lightsail.GetStaticIpsInput, optFns ...func(*lightsail.Options)) (*lightsail.GetStaticIpsOutput, error)
}

func lightsailStaticIPOf(ctx context.Context, api lightsailStaticIPsAPI, region, instance string) (string, string, error) {
	ips, err := getAllPages(ctx, func(ctx context.Context, token *string) ([]lstypes.StaticIp, *string, error) {
		out, err := api.GetStaticIps(ctx, &lightsail.GetStaticIpsInput{PageToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.StaticIps, out.NextPageToken, nil
	})
	if err != nil {
		return "", "", fmt.Errorf("lightsail %s: get static IPs: %w", region, err)
	}
	for _, ip := range ips {
		if awssdk.ToBool(ip.IsAttached) && awssdk.ToString(ip.AttachedTo) == instance {
			return awssdk.ToString(ip.Name), awssdk.ToString(ip.IpAddress), nil
		}
	}
	return "", "", nil
}

// timeWindow is a half-open range [Start, End).
type timeWindow struct{ Start, End time.Time }

// metricWindows cuts [start, end) into consecutive windows of at most maxPoints periods,
// so that no metric request asks for more datapoints than allowed.
func metricWindows(start, end time.Time, period time.Duration, maxPoints int) []timeWindow {
	if !end.After(start) || period <= 0 || maxPoints < 1 {
		return nil
	}
	step := period * time.Duration(maxPoints)
	if step/time.Duration(maxPoints) != period {
		// The product overflowed (and may have turned negative, which would never end
		// the loop): no range a time.Duration can span needs more than one window.
		step = math.MaxInt64
	}
	var out []timeWindow
	for s := start; s.Before(end); s = s.Add(step) {
		e := s.Add(step)
		if e.After(end) {
			e = end
		}
		out = append(out, timeWindow{s, e})
	}
	return out
}

// sumDatapoints adds the Sum of every datapoint, in whatever order they come. A timestamp
// met twice (chunks meeting at a boundary) counts once; datapoints without a Sum add
// nothing.
func sumDatapoints(points []lstypes.MetricDatapoint) float64 {
	seen := make(map[int64]bool, len(points))
	total := 0.0
	for _, p := range points {
		if p.Sum == nil {
			continue
		}
		if p.Timestamp != nil {
			ts := p.Timestamp.UnixNano()
			if seen[ts] {
				continue
			}
			seen[ts] = true
		}
		total += *p.Sum
	}
	return total
}

// StopLightsailInstance stops an instance of cfg.Region.
func StopLightsailInstance(ctx context.Context, cfg awssdk.Config, name string) error {
	return stopLightsailInstance(ctx, lightsail.NewFromConfig(cfg), cfg.Region, name)
}

func stopLightsailInstance(ctx context.Context, api lightsailPowerAPI, region, name string) error {
	if _, err := api.StopInstance(ctx, &lightsail.StopInstanceInput{InstanceName: awssdk.String(name)}); err != nil {
		return fmt.Errorf("lightsail %s: stop instance %s: %w", region, name, err)
	}
	return nil
}

// StartLightsailInstance starts an instance of cfg.Region.
func StartLightsailInstance(ctx context.Context, cfg awssdk.Config, name string) error {
	return startLightsailInstance(ctx, lightsail.NewFromConfig(cfg), cfg.Region, name)
}

func startLightsailInstance(ctx context.Context, api lightsailPowerAPI, region, name string) error {
	if _, err := api.StartInstance(ctx, &lightsail.StartInstanceInput{InstanceName: awssdk.String(name)}); err != nil {
		return fmt.Errorf("lightsail %s: start instance %s: %w", region, name, err)
	}
	return nil
}

// GetLightsailInstanceState is the state name of an instance of cfg.Region (running,
// stopping, stopped ...).
func GetLightsailInstanceState(ctx context.Context, cfg awssdk.Config, name string) (string, error) {
	return getLightsailInstanceState(ctx, lightsail.NewFromConfig(cfg), cfg.Region, name)
}

func getLightsailInstanceState(ctx context.Context, api lightsailInstanceAPI, region, name string) (string, error) {
	out, err := api.GetInstance(ctx, &lightsail.GetInstanceInput{InstanceName: awssdk.String(name)})
	if err != nil {
		return "", fmt.Errorf("lightsail %s: get instance %s: %w", region, name, err)
	}
	if out.Instance == nil {
		return "", fmt.Errorf("lightsail %s: get instance %s: no instance in the answer", region, name)
	}
	return lightsailStateName(out.Instance.State), nil
}
