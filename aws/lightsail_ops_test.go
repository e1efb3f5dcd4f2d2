package aws

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
	"github.com/aws/smithy-go"

	"costbot/internal/awstest"
)

func TestMetricWindows(t *testing.T) {
	start := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		end    time.Time
		period time.Duration
		max    int
		want   int
	}{
		{"empty range", start, time.Hour, 1440, 0},
		{"a month at an hour", start.AddDate(0, 1, 0), time.Hour, 1440, 1},
		{"exactly 1440 periods", start.Add(1440 * time.Hour), time.Hour, 1440, 1},
		{"one period more", start.Add(1441 * time.Hour), time.Hour, 1440, 2},
		{"a month at five minutes", start.AddDate(0, 1, 0), 5 * time.Minute, 1440, 7},
		{"a partial last period", start.Add(90 * time.Minute), time.Hour, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := metricWindows(start, tt.end, tt.period, tt.max)
			if len(ws) != tt.want {
				t.Fatalf("%d windows, want %d: %v", len(ws), tt.want, ws)
			}
			next := start
			for _, w := range ws {
				if !w.Start.Equal(next) || !w.End.After(w.Start) {
					t.Fatalf("windows not contiguous: %v", ws)
				}
				if points := math.Ceil(float64(w.End.Sub(w.Start)) / float64(tt.period)); int(points) > tt.max {
					t.Fatalf("window %v asks %v datapoints", w, points)
				}
				next = w.End
			}
			if len(ws) > 0 && !next.Equal(tt.end) {
				t.Fatalf("windows end at %v, want %v", next, tt.end)
			}
		})
	}
}

func TestSumDatapoints(t *testing.T) {
	at := func(h int) *time.Time { ts := time.Date(2025, 5, 1, h, 0, 0, 0, time.UTC); return &ts }
	tests := []struct {
		name   string
		points []lstypes.MetricDatapoint
		want   float64
	}{
		{"none", nil, 0},
		{"out of order", []lstypes.MetricDatapoint{
			{Timestamp: at(5), Sum: awssdk.Float64(5e9)},
			{Timestamp: at(1), Sum: awssdk.Float64(1e9)},
			{Timestamp: at(3), Sum: awssdk.Float64(3e9)},
		}, 9e9},
		{"a boundary datapoint met twice counts once", []lstypes.MetricDatapoint{
			{Timestamp: at(2), Sum: awssdk.Float64(7)},
			{Timestamp: at(2), Sum: awssdk.Float64(7)},
			{Timestamp: at(4), Sum: awssdk.Float64(1)},
		}, 8},
		{"no sum", []lstypes.MetricDatapoint{{Timestamp: at(1), Average: awssdk.Float64(4)}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sumDatapoints(tt.points); got != tt.want {
				t.Fatalf("sum = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSumDatapointsOfRecordedAnswer reads the recorded GetInstanceMetricData answer through
// the real SDK client (float epoch timestamps, datapoints out of time order).
func TestSumDatapointsOfRecordedAnswer(t *testing.T) {
	raw := readFixture(t, "lightsail-getinstancemetricdata-networkout.json")
	var doc struct {
		MetricData []struct {
			Timestamp float64 `json:"timestamp"`
			Sum       float64 `json:"sum"`
		} `json:"metricData"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for _, dp := range doc.MetricData {
		want += dp.Sum
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(raw)
	}))
	defer srv.Close()
	api := lightsail.NewFromConfig(awstest.Config(srv.URL, "us-west-2"))
	out, err := api.GetInstanceMetricData(awstest.Context(t), &lightsail.GetInstanceMetricDataInput{
		InstanceName: awssdk.String("x"), MetricName: lstypes.InstanceMetricNameNetworkOut,
		StartTime: awssdk.Time(time.Unix(1554000000, 0)), EndTime: awssdk.Time(time.Unix(1557000000, 0)),
		Period: awssdk.Int32(86400), Statistics: []lstypes.MetricStatistic{lstypes.MetricStatisticSum}, Unit: lstypes.MetricUnitBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricData) != len(doc.MetricData) || !out.MetricData[0].Timestamp.After(*out.MetricData[1].Timestamp) {
		t.Fatalf("the recorded answer should hold datapoints out of time order: %+v", out.MetricData)
	}
	if got := sumDatapoints(out.MetricData); got != want || got == 0 {
		t.Fatalf("sum = %v, want %v", got, want)
	}
}

func TestListLightsailInstancesAgainstFake(t *testing.T) {
	fake := awstest.StartLightsail(t)
	fake.SetPageSize(1)
	raw, fixture := fixtureInstances(t)
	if err := fake.AddInstancesJSON("us-west-2", raw); err != nil {
		t.Fatal(err)
	}
	tokyo := awstest.LightsailInstance{Name: "tokyo-1", Bundle: "micro_3_0", AllowanceGB: 2048,
		CreatedAt: time.Date(2025, 6, 3, 8, 9, 10, 0, time.UTC), State: "stopped"}
	fake.AddInstance("ap-northeast-1", tokyo)
	ctx := awstest.Context(t)

	got, err := ListLightsailInstances(ctx, fake.Config("us-west-2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fixture) {
		t.Fatalf("%d instances, want %d (the second page must be read)", len(got), len(fixture))
	}
	for i, f := range fixture {
		g := got[i]
		if g.Name != f.Name || g.Region != f.Location.RegionName || g.Zone != f.Location.AvailabilityZone ||
			g.State != f.State.Name || g.Bundle != f.BundleID || g.ARN != f.Arn || g.SupportCode != f.SupportCode ||
			g.AllowanceGB != f.Networking.MonthlyTransfer.GbPerMonthAllocated || !g.CreatedAt.Equal(epochTime(f.CreatedAt)) {
			t.Errorf("instance %d = %+v, fixture %+v", i, g, f)
		}
	}

	got, err = ListLightsailInstances(ctx, fake.Config("ap-northeast-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != tokyo.Name || got[0].Region != "ap-northeast-1" || got[0].State != tokyo.State ||
		got[0].AllowanceGB != float64(tokyo.AllowanceGB) || !got[0].CreatedAt.Equal(tokyo.CreatedAt) || got[0].ARN == "" {
		t.Fatalf("tokyo = %+v", got)
	}
}

// slotSum is the traffic a test seeded, added up independently of the fake: one value per
// 5-minute slot stamped in [start, end), from the instance's creation.
func slotSum(f func(time.Time) float64, created, start, end time.Time) float64 {
	total := 0.0
	for t := start; t.Before(end); t = t.Add(5 * time.Minute) {
		if !t.Before(created) {
			total += f(t)
		}
	}
	return total
}

func TestLightsailNetworkBytesAgainstFake(t *testing.T) {
	fake := awstest.StartLightsail(t)
	now := time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return now })
	const region = "eu-west-1"
	created := now.AddDate(0, 0, -100)
	fake.AddInstance(region, awstest.LightsailInstance{Name: "web", Bundle: "small_3_0", AllowanceGB: 3072, CreatedAt: created})
	trafficIn := func(slot time.Time) float64 { return float64(1_000_000 + slot.Unix()%7919) }
	trafficOut := func(slot time.Time) float64 { return float64(3_000_000 + slot.Unix()%104729) }
	fake.SetTraffic(region, "web", "NetworkIn", trafficIn)
	fake.SetTraffic(region, "web", "NetworkOut", trafficOut)
	ctx := awstest.Context(t)
	monthStart := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name       string
		start, end time.Time
	}{
		{"month to date", monthStart, now},
		{"70 days, more than 1440 hours", now.AddDate(0, 0, -70), now},
		{"from before creation", created.AddDate(0, 0, -30), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.ResetCalls()
			in, out, err := LightsailNetworkBytes(ctx, fake.Config(region), "web", tt.start, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			wantIn := slotSum(trafficIn, created, tt.start, tt.end)
			wantOut := slotSum(trafficOut, created, tt.start, tt.end)
			if in != wantIn || out != wantOut {
				t.Fatalf("in, out = %v, %v; want %v, %v", in, out, wantIn, wantOut)
			}
			calls := fake.Calls("GetInstanceMetricData")
			chunks := int(math.Ceil(tt.end.Sub(tt.start).Hours() / 1440))
			if len(calls) != 2*chunks {
				t.Fatalf("%d calls, want %d chunks per metric", len(calls), chunks)
			}
			next := map[string]time.Time{"NetworkIn": tt.start, "NetworkOut": tt.start}
			for _, c := range calls {
				period := time.Duration(c.Num("period")) * time.Second
				points := math.Ceil(float64(c.Time("endTime").Sub(c.Time("startTime"))) / float64(period))
				if c.Status != http.StatusOK || points > 1440 || c.Str("unit") != "Bytes" || c.Region != region ||
					c.Str("instanceName") != "web" {
					t.Errorf("call %+v asks %v datapoints", c, points)
				}
				if stats, _ := c.Body["statistics"].([]any); len(stats) != 1 || stats[0] != "Sum" {
					t.Errorf("statistics = %v, want [Sum]", c.Body["statistics"])
				}
				metric := c.Str("metricName")
				if !c.Time("startTime").Equal(next[metric]) {
					t.Errorf("%s chunk starts %v, want %v", metric, c.Time("startTime"), next[metric])
				}
				next[metric] = c.Time("endTime")
			}
			for metric, end := range next {
				if !end.Equal(tt.end) {
					t.Errorf("%s chunks end at %v, want %v", metric, end, tt.end)
				}
			}
		})
	}
}

func TestLightsailMetricPitfalls(t *testing.T) {
	fake := awstest.StartLightsail(t)
	now := time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return now })
	const region = "ap-southeast-1"
	fake.AddInstance(region, awstest.LightsailInstance{Name: "busy", AllowanceGB: 1024, CreatedAt: now.AddDate(0, -2, 0)})
	fake.AddInstance(region, awstest.LightsailInstance{Name: "idle", AllowanceGB: 1024, CreatedAt: now.AddDate(0, -2, 0)})
	const perSlot = 2_500_000
	fake.SetTraffic(region, "busy", "NetworkOut", awstest.ConstantTraffic(perSlot))
	ctx := awstest.Context(t)
	api := lightsail.NewFromConfig(fake.Config(region))
	dayStart := now.Truncate(24 * time.Hour)
	ask := func(name string, unit lstypes.MetricUnit, start time.Time, period int32) (*lightsail.GetInstanceMetricDataOutput, error) {
		return api.GetInstanceMetricData(ctx, &lightsail.GetInstanceMetricDataInput{
			InstanceName: awssdk.String(name), MetricName: lstypes.InstanceMetricNameNetworkOut,
			StartTime: awssdk.Time(start), EndTime: awssdk.Time(now), Period: awssdk.Int32(period),
			Statistics: []lstypes.MetricStatistic{lstypes.MetricStatisticSum}, Unit: unit,
		})
	}

	t.Run("a wrong unit silently returns nothing", func(t *testing.T) {
		wrong, err := ask("busy", lstypes.MetricUnitMegabytes, dayStart, 3600)
		if err != nil || len(wrong.MetricData) != 0 {
			t.Fatalf("unit Megabytes: %v datapoints, %v", len(wrong.MetricData), err)
		}
		right, err := ask("busy", lstypes.MetricUnitBytes, dayStart, 3600)
		if err != nil || sumDatapoints(right.MetricData) != slotSum(awstest.ConstantTraffic(perSlot), time.Time{}, dayStart, now) {
			t.Fatalf("unit Bytes: %+v, %v", right, err)
		}
		_, out, err := LightsailNetworkBytes(ctx, fake.Config(region), "busy", dayStart, now)
		if err != nil || out != sumDatapoints(right.MetricData) {
			t.Fatalf("LightsailNetworkBytes out = %v, %v", out, err)
		}
	})

	t.Run("datapoints come out of order", func(t *testing.T) {
		resp, err := ask("busy", lstypes.MetricUnitBytes, dayStart, 3600)
		if err != nil {
			t.Fatal(err)
		}
		sorted := true
		for i := 1; i < len(resp.MetricData); i++ {
			sorted = sorted && resp.MetricData[i-1].Timestamp.Before(*resp.MetricData[i].Timestamp)
		}
		if sorted || len(resp.MetricData) < 2 {
			t.Fatalf("the fake must shuffle datapoints: %d in order", len(resp.MetricData))
		}
	})

	t.Run("no traffic means no metricData and zero", func(t *testing.T) {
		resp, err := ask("idle", lstypes.MetricUnitBytes, dayStart, 3600)
		if err != nil || resp.MetricData != nil {
			t.Fatalf("idle: %+v, %v", resp.MetricData, err)
		}
		in, out, err := LightsailNetworkBytes(ctx, fake.Config(region), "idle", dayStart.AddDate(0, 0, -40), now)
		if err != nil || in != 0 || out != 0 {
			t.Fatalf("idle traffic = %v, %v, %v", in, out, err)
		}
	})

	t.Run("more than 1440 datapoints is refused", func(t *testing.T) {
		fake.ResetCalls()
		_, err := ask("busy", lstypes.MetricUnitBytes, now.AddDate(0, 0, -6), 300)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidInputException" {
			t.Fatalf("6 days at 300 s: %v", err)
		}
		if n := len(fake.Calls("GetInstanceMetricData")); n != 1 {
			t.Fatalf("%d calls: a refused request must not be retried", n)
		}
	})

	t.Run("a day period ends with today as a partial bucket", func(t *testing.T) {
		resp, err := ask("busy", lstypes.MetricUnitBytes, dayStart.AddDate(0, 0, -2), 86400)
		if err != nil || len(resp.MetricData) != 3 {
			t.Fatalf("%d datapoints, %v", len(resp.MetricData), err)
		}
		for _, dp := range resp.MetricData {
			bucketEnd := dp.Timestamp.Add(24 * time.Hour)
			if bucketEnd.After(now) {
				bucketEnd = now
			}
			want := slotSum(awstest.ConstantTraffic(perSlot), time.Time{}, *dp.Timestamp, bucketEnd)
			if *dp.Sum != want {
				t.Errorf("bucket %v = %v, want %v", dp.Timestamp, *dp.Sum, want)
			}
		}
	})
}

func TestLightsailPowerAgainstFake(t *testing.T) {
	fake := awstest.StartLightsail(t)
	const region = "us-east-2"
	fake.AddInstance(region, awstest.LightsailInstance{Name: "ohio", AllowanceGB: 1024})
	fake.AddInstance("eu-north-1", awstest.LightsailInstance{Name: "ohio", AllowanceGB: 1024}) // same name elsewhere
	ctx := awstest.Context(t)
	cfg := fake.Config(region)

	if err := StopLightsailInstance(ctx, cfg, "ohio"); err != nil {
		t.Fatal(err)
	}
	if s, err := GetLightsailInstanceState(ctx, cfg, "ohio"); err != nil || s != "stopped" {
		t.Fatalf("after stop: %q, %v", s, err)
	}
	if s := fake.State("eu-north-1", "ohio"); s != "running" {
		t.Fatalf("the instance of another region changed: %q", s)
	}
	stops := fake.Calls("StopInstance")
	if len(stops) != 1 || stops[0].Region != region || stops[0].Str("instanceName") != "ohio" {
		t.Fatalf("stop calls = %+v", stops)
	}

	// Throttled twice (429), the start still goes through on the SDK's retries.
	fake.Throttle("StartInstance", 2, http.StatusTooManyRequests)
	if err := StartLightsailInstance(ctx, cfg, "ohio"); err != nil {
		t.Fatal(err)
	}
	starts := fake.Calls("StartInstance")
	if len(starts) != 3 || starts[0].Status != http.StatusTooManyRequests || starts[2].Status != http.StatusOK {
		t.Fatalf("start calls = %+v", starts)
	}
	if s, _ := GetLightsailInstanceState(ctx, cfg, "ohio"); s != "running" {
		t.Fatalf("after start: %q", s)
	}

	fake.Fail("StopInstance", "AccessDeniedException", "not allowed to stop")
	err := StopLightsailInstance(ctx, cfg, "ohio")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("stop with a failing API: %v", err)
	}
	if s := fake.State(region, "ohio"); s != "running" {
		t.Fatalf("a failed stop changed the state to %q", s)
	}
	fake.ClearFaults()

	if _, err := GetLightsailInstanceState(ctx, cfg, "missing"); !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" {
		t.Fatalf("state of a missing instance: %v", err)
	}
}

func TestLightsailNetworkBytesSurvivesThrottling(t *testing.T) {
	fake := awstest.StartLightsail(t)
	now := time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return now })
	fake.AddInstance("us-east-1", awstest.LightsailInstance{Name: "a", AllowanceGB: 1024, CreatedAt: now.AddDate(0, -1, 0)})
	fake.SetTraffic("us-east-1", "a", "NetworkIn", awstest.ConstantTraffic(10))
	fake.Throttle("GetInstanceMetricData", 2, http.StatusBadRequest)
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	in, _, err := LightsailNetworkBytes(awstest.Context(t), fake.Config("us-east-1"), "a", start, now)
	if err != nil || in != fake.TrafficBetween("us-east-1", "a", "NetworkIn", start, now) || in == 0 {
		t.Fatalf("in = %v, %v", in, err)
	}
	calls := fake.Calls("GetInstanceMetricData")
	if len(calls) != 4 || calls[0].Status != http.StatusBadRequest || calls[1].Status != http.StatusBadRequest {
		t.Fatalf("calls = %+v", calls)
	}
}
