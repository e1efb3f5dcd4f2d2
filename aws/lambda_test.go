package aws

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestLambdaFunctions(t *testing.T) {
	rs := lambdaFunctions([]lambdatypes.FunctionConfiguration{
		{FunctionName: awssdk.String("arm"), Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64},
			Runtime: lambdatypes.RuntimePython312, MemorySize: awssdk.Int32(1769), State: lambdatypes.StateActive},
		// A container image function has no runtime, and an old one no architectures.
		{FunctionName: awssdk.String("image"), PackageType: lambdatypes.PackageTypeImage, MemorySize: awssdk.Int32(128)},
	}, []lambdaUsage{{Invocations: 12, DurationMs: 3400.5}, {}}, "us-west-2")
	got := byID(t, rs)
	arm := mustFind(t, got, "arm")
	if arm.Type != "arm64" || arm.Kind != models.KindFunction || arm.Name != "arm" || arm.State != "Active" || arm.Region != "us-west-2" {
		t.Errorf("resource = %+v", arm)
	}
	checkFacts(t, arm, map[string]string{"runtime": "python3.12"},
		map[string]float64{"memory_mb": 1769, "invocations_hour": 12, "duration_ms_hour": 3400.5})
	image := mustFind(t, got, "image")
	if image.Type != "x86_64" {
		t.Errorf("architecture = %q, want x86_64 by default", image.Type)
	}
	checkFacts(t, image, map[string]string{"runtime": ""},
		map[string]float64{"memory_mb": 128, "invocations_hour": 0, "duration_ms_hour": 0})
}

type fakeLambda struct {
	pages   [][]lambdatypes.FunctionConfiguration
	markers []string
}

func (f *fakeLambda) ListFunctions(_ context.Context, in *lambda.ListFunctionsInput, _ ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	f.markers = append(f.markers, awssdk.ToString(in.Marker))
	p, next, err := page(f.pages, in.Marker)
	if err != nil {
		return nil, err
	}
	return &lambda.ListFunctionsOutput{Functions: p, NextMarker: next}, nil
}

func TestLambdaReadsEveryPageAndTheLastHour(t *testing.T) {
	now := time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC)
	at := awssdk.Time(time.Date(2025, 1, 31, 22, 10, 0, 0, time.UTC))
	f := &fakeLambda{pages: [][]lambdatypes.FunctionConfiguration{
		{{FunctionName: awssdk.String("one")}},
		{{FunctionName: awssdk.String("two")}},
	}}
	fn := func(name string) map[string]string { return map[string]string{"FunctionName": name} }
	cw := &fakeMetrics{points: map[string][]cwtypes.Datapoint{
		metricKey("AWS/Lambda", "Invocations", fn("two")): {{Timestamp: at, Sum: awssdk.Float64(4)}, {Timestamp: at, Sum: awssdk.Float64(5)}},
		metricKey("AWS/Lambda", "Duration", fn("two")):    {{Timestamp: at, Sum: awssdk.Float64(250)}},
		metricKey("AWS/Lambda", "Invocations", fn("one")): {{Timestamp: awssdk.Time(now), Sum: awssdk.Float64(99)}}, // this hour, unfinished
	}}
	c := &lambdaCollector{
		client:  func(awssdk.Config) lambdaAPI { return f },
		metrics: func(awssdk.Config) MetricsAPI { return cw },
		now:     func() time.Time { return now },
	}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(t, rs)
	if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, []string{"one", "two"}) {
		t.Fatalf("functions = %v", ids)
	}
	if !slices.Equal(f.markers, []string{"", "page-1"}) {
		t.Errorf("markers = %q", f.markers)
	}
	checkFacts(t, got["two"], nil, map[string]float64{"invocations_hour": 9, "duration_ms_hour": 250})
	checkFacts(t, got["one"], nil, map[string]float64{"invocations_hour": 0, "duration_ms_hour": 0})
	if len(cw.stats) != 4 || cw.dataCalls != 1 {
		t.Errorf("%d metric queries in %d calls, want 4 in one", len(cw.stats), cw.dataCalls)
	}
	for _, in := range cw.stats {
		if !in.Start.Equal(time.Date(2025, 1, 31, 22, 0, 0, 0, time.UTC)) ||
			!in.End.Equal(time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC)) || in.Period != 3600 || in.Stat != "Sum" {
			t.Errorf("%s window %v..%v period %d %s", in.Metric, in.Start, in.End, in.Period, in.Stat)
		}
	}
}

func TestLambdaAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, end := lastHour(now)
	account, err := AccountID(ctx, m.Config("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	role := lambdaRole(t, ctx, m, account)
	code := lambdaZip(t)

	type fn struct {
		region string
		name   string
		arch   lambdatypes.Architecture // "" = the default
		mem    int32
		rt     lambdatypes.Runtime
	}
	fns := []fn{
		{"us-east-1", "resize", "", 128, lambdatypes.RuntimePython312},
		{"us-east-1", "thumbs", lambdatypes.ArchitectureArm64, 1024, lambdatypes.RuntimeNodejs20x},
		{"eu-west-1", "report", lambdatypes.ArchitectureX8664, 256, lambdatypes.RuntimePython312},
	}
	for _, f := range fns {
		in := &lambda.CreateFunctionInput{FunctionName: awssdk.String(f.name), Role: awssdk.String(role), Runtime: f.rt,
			Handler: awssdk.String("handler.handler"), MemorySize: awssdk.Int32(f.mem), Code: &lambdatypes.FunctionCode{ZipFile: code}}
		if f.arch != "" {
			in.Architectures = []lambdatypes.Architecture{f.arch}
		}
		if _, err := lambda.NewFromConfig(m.Config(f.region)).CreateFunction(ctx, in); err != nil {
			t.Fatalf("create function %s: %v", f.name, err)
		}
	}
	put := func(region, name, metric string, at time.Time, v float64, unit cwtypes.StandardUnit) {
		putMetric(t, ctx, m.Config(region), "AWS/Lambda", metric, map[string]string{"FunctionName": name}, at, v, unit)
	}
	put("us-east-1", "resize", "Invocations", start.Add(time.Minute), 10, cwtypes.StandardUnitCount)
	put("us-east-1", "resize", "Invocations", start.Add(40*time.Minute), 15, cwtypes.StandardUnitCount)
	put("us-east-1", "resize", "Invocations", start.Add(-10*time.Minute), 1000, cwtypes.StandardUnitCount) // the hour before
	put("us-east-1", "resize", "Duration", start.Add(time.Minute), 1200.5, cwtypes.StandardUnitMilliseconds)
	put("us-east-1", "resize", "Duration", start.Add(40*time.Minute), 800, cwtypes.StandardUnitMilliseconds)
	put("us-east-1", "resize", "Duration", end.Add(time.Second), 5000, cwtypes.StandardUnitMilliseconds) // this hour
	put("eu-west-1", "report", "Invocations", start.Add(30*time.Minute), 3, cwtypes.StandardUnitCount)
	put("eu-west-1", "report", "Duration", start.Add(30*time.Minute), 90, cwtypes.StandardUnitMilliseconds)
	put("eu-west-1", "resize", "Invocations", start.Add(30*time.Minute), 777, cwtypes.StandardUnitCount) // another region's

	c := newLambdaCollector()
	c.now = func() time.Time { return now }
	got := map[string]map[string]models.Resource{}
	for _, region := range twoRegions {
		got[region] = byID(t, collectIn(t, ctx, c, m, region))
	}
	if ids := slices.Sorted(maps.Keys(got["us-east-1"])); !slices.Equal(ids, []string{"resize", "thumbs"}) {
		t.Errorf("us-east-1 = %v", ids)
	}
	if ids := slices.Sorted(maps.Keys(got["eu-west-1"])); !slices.Equal(ids, []string{"report"}) {
		t.Errorf("eu-west-1 = %v", ids)
	}
	usage := map[string][2]float64{"resize": {25, 2000.5}, "thumbs": {0, 0}, "report": {3, 90}}
	for _, f := range fns {
		t.Run(f.name, func(t *testing.T) {
			r := mustFind(t, got[f.region], f.name)
			arch := string(f.arch)
			if arch == "" {
				arch = "x86_64"
			}
			if r.Type != arch || r.Kind != models.KindFunction {
				t.Errorf("resource = %+v, want architecture %s", r, arch)
			}
			checkFacts(t, r, map[string]string{"runtime": string(f.rt)}, map[string]float64{
				"memory_mb": float64(f.mem), "invocations_hour": usage[f.name][0], "duration_ms_hour": usage[f.name][1]})
		})
	}
}
