package awstest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
	"github.com/aws/smithy-go"
)

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLightsailFakeListsAndPages(t *testing.T) {
	l := StartLightsail(t)
	created := time.Date(2025, 1, 2, 3, 4, 5, 678e6, time.UTC)
	for _, name := range []string{"a", "b", "c"} {
		l.AddInstance("eu-west-2", LightsailInstance{Name: name, Bundle: "nano_3_0", AllowanceGB: 1024, CreatedAt: created})
	}
	l.AddInstance("eu-west-3", LightsailInstance{Name: "paris", AllowanceGB: 512})
	ctx := Context(t)
	api := lightsail.NewFromConfig(l.Config("eu-west-2"))

	var names []string
	var token *string
	for pages := 1; ; pages++ {
		out, err := api.GetInstances(ctx, &lightsail.GetInstancesInput{PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Instances) > 2 {
			t.Fatalf("page of %d, want at most 2", len(out.Instances))
		}
		for _, in := range out.Instances {
			names = append(names, *in.Name)
			if !in.CreatedAt.Equal(created) || *in.Networking.MonthlyTransfer.GbPerMonthAllocated != 1024 ||
				*in.State.Name != "running" || in.Location.RegionName != "eu-west-2" {
				t.Errorf("instance %+v", in)
			}
		}
		if out.NextPageToken == nil {
			if pages != 2 {
				t.Errorf("%d pages, want 2", pages)
			}
			break
		}
		token = out.NextPageToken
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("names = %v", names)
	}
	calls := l.Calls("GetInstances")
	if len(calls) != 2 || calls[0].Region != "eu-west-2" || calls[1].Str("pageToken") == "" {
		t.Fatalf("calls = %+v", calls)
	}
	if _, err := api.GetInstances(ctx, &lightsail.GetInstancesInput{PageToken: awssdk.String("bogus")}); errorCode(err) != "InvalidInputException" {
		t.Fatalf("bad page token: %v", err)
	}
	if _, err := api.GetInstance(ctx, &lightsail.GetInstanceInput{InstanceName: awssdk.String("paris")}); errorCode(err) != "NotFoundException" {
		t.Fatalf("an instance of another region: %v", err)
	}
}

func TestLightsailFakeMetricData(t *testing.T) {
	l := StartLightsail(t)
	now := time.Date(2025, 7, 10, 6, 0, 0, 0, time.UTC)
	l.SetClock(func() time.Time { return now })
	created := time.Date(2025, 7, 10, 1, 30, 0, 0, time.UTC)
	l.AddInstance("us-west-2", LightsailInstance{Name: "web", AllowanceGB: 1024, CreatedAt: created})
	series := make([]float64, 24*12) // the whole day, from midnight
	for i := range series {
		series[i] = float64(i + 1)
	}
	midnight := now.Truncate(24 * time.Hour)
	l.SetTrafficSeries("us-west-2", "web", "NetworkIn", midnight, series)
	ctx := Context(t)
	api := lightsail.NewFromConfig(l.Config("us-west-2"))
	ask := func(unit lstypes.MetricUnit, start, end time.Time, period int32, stats ...lstypes.MetricStatistic) (*lightsail.GetInstanceMetricDataOutput, error) {
		return api.GetInstanceMetricData(ctx, &lightsail.GetInstanceMetricDataInput{
			InstanceName: awssdk.String("web"), MetricName: lstypes.InstanceMetricNameNetworkIn,
			StartTime: awssdk.Time(start), EndTime: awssdk.Time(end), Period: awssdk.Int32(period), Statistics: stats, Unit: unit,
		})
	}
	// What was seeded between creation (01:30) and the clock (06:00), slot by slot.
	want := func(from, to time.Time) (sum float64, n int) {
		for t := from; t.Before(to); t = t.Add(LightsailResolution) {
			if !t.Before(created) && t.Before(now) {
				sum += series[int(t.Sub(midnight)/LightsailResolution)]
				n++
			}
		}
		return sum, n
	}

	out, err := ask(lstypes.MetricUnitBytes, midnight, now.Add(time.Hour), 3600, lstypes.MetricStatisticSum, lstypes.MetricStatisticSampleCount, lstypes.MetricStatisticMaximum)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricData) != 5 { // 01:00 (from 01:30) to 05:00; nothing before creation or after the clock
		t.Fatalf("%d datapoints, want 5", len(out.MetricData))
	}
	inOrder, total := true, 0.0
	for i, dp := range out.MetricData {
		s, n := want(*dp.Timestamp, dp.Timestamp.Add(time.Hour))
		if *dp.Sum != s || *dp.SampleCount != float64(n) || dp.Unit != lstypes.MetricUnitBytes || dp.Average != nil || *dp.Maximum != series[int(dp.Timestamp.Add(time.Hour).Sub(midnight)/LightsailResolution)-1] {
			t.Errorf("datapoint %v = sum %v count %v max %v, want sum %v count %v", dp.Timestamp, *dp.Sum, *dp.SampleCount, *dp.Maximum, s, n)
		}
		if i > 0 && dp.Timestamp.Before(*out.MetricData[i-1].Timestamp) {
			inOrder = false
		}
		total += *dp.Sum
	}
	if s, _ := want(midnight, now); total != s || total != l.TrafficBetween("us-west-2", "web", "NetworkIn", midnight, now.Add(time.Hour)) {
		t.Errorf("total %v, want %v", total, s)
	}
	if inOrder {
		t.Error("datapoints came in time order")
	}

	if out, err := ask(lstypes.MetricUnitKilobytes, midnight, now, 3600, lstypes.MetricStatisticSum); err != nil || out.MetricData != nil {
		t.Errorf("wrong unit: %v datapoints, %v", len(out.MetricData), err)
	}
	if out, err := ask(lstypes.MetricUnitBytes, midnight, created.Add(-time.Hour), 300, lstypes.MetricStatisticSum); err != nil || out.MetricData != nil {
		t.Errorf("before creation: %v datapoints, %v", len(out.MetricData), err)
	}
	// 1440 datapoints are fine, 1441 are refused.
	if _, err := ask(lstypes.MetricUnitBytes, now.Add(-1440*5*time.Minute), now, 300, lstypes.MetricStatisticSum); err != nil {
		t.Errorf("1440 datapoints: %v", err)
	}
	_, err = ask(lstypes.MetricUnitBytes, now.Add(-1440*5*time.Minute-time.Second), now, 300, lstypes.MetricStatisticSum)
	if errorCode(err) != "InvalidInputException" || !strings.Contains(err.Error(), "1440") {
		t.Errorf("1441 datapoints: %v", err)
	}
	if _, err := ask(lstypes.MetricUnitBytes, midnight, now, 90, lstypes.MetricStatisticSum); errorCode(err) != "InvalidInputException" {
		t.Errorf("period 90: %v", err)
	}
	calls := l.Calls("GetInstanceMetricData")
	if c := calls[0]; c.Str("unit") != "Bytes" || !c.Time("startTime").Equal(midnight) || c.Num("period") != 3600 || c.Region != "us-west-2" {
		t.Errorf("recorded %+v", c)
	}
}

func TestLightsailFakePowerAndFaults(t *testing.T) {
	l := StartLightsail(t)
	l.AddInstance("ap-south-1", LightsailInstance{Name: "m", AllowanceGB: 1024})
	l.AddInstance("ap-southeast-2", LightsailInstance{Name: "s", AllowanceGB: 1024})
	ctx := Context(t)
	mumbai := lightsail.NewFromConfig(l.Config("ap-south-1"))
	sydney := lightsail.NewFromConfig(l.Config("ap-southeast-2"))

	if _, err := mumbai.StopInstance(ctx, &lightsail.StopInstanceInput{InstanceName: awssdk.String("m")}); err != nil {
		t.Fatal(err)
	}
	if l.State("ap-south-1", "m") != "stopped" || l.State("ap-southeast-2", "s") != "running" {
		t.Fatalf("states %q %q", l.State("ap-south-1", "m"), l.State("ap-southeast-2", "s"))
	}
	if _, err := mumbai.StartInstance(ctx, &lightsail.StartInstanceInput{InstanceName: awssdk.String("m")}); err != nil || l.State("ap-south-1", "m") != "running" {
		t.Fatalf("start: %v, %q", err, l.State("ap-south-1", "m"))
	}

	// A throttle beyond the SDK's attempts reaches the caller; the 400s are all recorded.
	l.Throttle("GetInstance", 10, http.StatusBadRequest)
	_, err := mumbai.GetInstance(ctx, &lightsail.GetInstanceInput{InstanceName: awssdk.String("m")})
	if errorCode(err) != "ThrottlingException" {
		t.Fatalf("throttled: %v", err)
	}
	if n := len(l.Calls("GetInstance")); n != 4 {
		t.Fatalf("%d attempts, want the SDK's 4", n)
	}
	l.ClearFaults()

	l.InjectFault(LightsailFault{Op: "StopInstance", Region: "ap-southeast-2", Times: 1, Code: "OperationFailureException", Message: "busy"})
	if _, err := mumbai.StopInstance(ctx, &lightsail.StopInstanceInput{InstanceName: awssdk.String("m")}); err != nil {
		t.Fatalf("a fault of another region: %v", err)
	}
	_, err = sydney.StopInstance(ctx, &lightsail.StopInstanceInput{InstanceName: awssdk.String("s")})
	if errorCode(err) != "OperationFailureException" || !strings.Contains(err.Error(), "busy") || l.State("ap-southeast-2", "s") != "running" {
		t.Fatalf("faulted stop: %v, %q", err, l.State("ap-southeast-2", "s"))
	}
	if _, err := sydney.StopInstance(ctx, &lightsail.StopInstanceInput{InstanceName: awssdk.String("s")}); err != nil || l.State("ap-southeast-2", "s") != "stopped" {
		t.Fatalf("a one-time fault must pass: %v", err)
	}
	stops := l.Calls("StopInstance")
	if len(stops) != 4 || stops[2].Status != http.StatusBadRequest || stops[3].Region != "ap-southeast-2" || stops[3].Str("instanceName") != "s" {
		t.Fatalf("stops = %+v", stops)
	}

	if _, err := mumbai.DeleteInstance(ctx, &lightsail.DeleteInstanceInput{InstanceName: awssdk.String("m")}); errorCode(err) != "UnknownOperationException" {
		t.Fatalf("an operation the fake does not serve: %v", err)
	}
}

func TestLightsailFakeBundlesAndFixtureShape(t *testing.T) {
	l := StartLightsail(t)
	l.AddBundle("us-east-1", LightsailBundle{ID: "micro_3_0", Price: 7, TransferGB: 2048})
	l.AddBundle("us-east-1", LightsailBundle{ID: "micro_2_0", Price: 5, TransferGB: 2048, Inactive: true})
	ctx := Context(t)
	api := lightsail.NewFromConfig(l.Config("us-east-1"))
	active, err := api.GetBundles(ctx, &lightsail.GetBundlesInput{})
	if err != nil || len(active.Bundles) != 1 || *active.Bundles[0].Price != 7 {
		t.Fatalf("active bundles: %+v, %v", active, err)
	}
	all, err := api.GetBundles(ctx, &lightsail.GetBundlesInput{IncludeInactive: awssdk.Bool(true)})
	if err != nil || len(all.Bundles) != 2 || *all.Bundles[1].TransferPerMonthInGb != 2048 {
		t.Fatalf("all bundles: %+v, %v", all, err)
	}
	if err := l.AddInstancesJSON("us-east-1", []byte(`{"instances":[{"name":"x","createdAt":1571332358.665,"state":{"code":16,"name":"running"}}]}`)); err != nil {
		t.Fatal(err)
	}
	out, err := api.GetInstance(ctx, &lightsail.GetInstanceInput{InstanceName: awssdk.String("x")})
	if err != nil || out.Instance.CreatedAt.UnixMilli() != 1571332358665 {
		t.Fatalf("instance from JSON: %+v, %v", out, err)
	}
}

func TestLightsailFakePublicationDelayAndGaps(t *testing.T) {
	now := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	l := StartLightsail(t)
	l.SetClock(func() time.Time { return now })
	l.AddInstance("us-east-1", LightsailInstance{Name: "web", AllowanceGB: 1024})
	gapFrom := now.Add(-30 * time.Minute)
	l.SetTraffic("us-east-1", "web", "NetworkOut", func(slot time.Time) float64 {
		if !slot.Before(gapFrom) && slot.Before(gapFrom.Add(10*time.Minute)) {
			return NoDatapoint
		}
		return 1
	})
	api := lightsail.NewFromConfig(l.Config("us-east-1"))
	count := func() int {
		t.Helper()
		out, err := api.GetInstanceMetricData(Context(t), &lightsail.GetInstanceMetricDataInput{
			InstanceName: awssdk.String("web"), MetricName: lstypes.InstanceMetricNameNetworkOut,
			StartTime: awssdk.Time(now.Add(-time.Hour)), EndTime: awssdk.Time(now), Period: awssdk.Int32(300),
			Statistics: []lstypes.MetricStatistic{lstypes.MetricStatisticSum}, Unit: lstypes.MetricUnitBytes,
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.MetricData)
	}
	tests := []struct {
		name  string
		delay time.Duration
		want  int
	}{
		// Twelve slots in the hour, two of them without a datapoint.
		{"no delay: every slot begun, gaps left out", 0, 10},
		// 11:55 ends at 12:00: not published before 12:05. 11:50 appears at 12:00 sharp.
		{"five minutes' delay: the last slot not published yet", 5 * time.Minute, 9},
		{"ten minutes' delay: the last two slots not published yet", 10 * time.Minute, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.SetPublicationDelay(tt.delay)
			if got := count(); got != tt.want {
				t.Errorf("%d datapoints, want %d", got, tt.want)
			}
		})
	}
}
