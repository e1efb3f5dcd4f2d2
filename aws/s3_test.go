package aws

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestLocationRegion(t *testing.T) {
	tests := []struct{ constraint, want string }{
		{"", "us-east-1"},
		{"EU", "eu-west-1"},
		{"eu-west-1", "eu-west-1"},
		{"ap-east-1", "ap-east-1"},
	}
	for _, tt := range tests {
		if got := locationRegion(tt.constraint); got != tt.want {
			t.Errorf("locationRegion(%q) = %q, want %q", tt.constraint, got, tt.want)
		}
	}
}

func TestStorageTypesByBucket(t *testing.T) {
	size := func(bucket, storage string) cwtypes.Metric {
		return cwMetric("AWS/S3", "BucketSizeBytes", map[string]string{"BucketName": bucket, "StorageType": storage})
	}
	got := storageTypesByBucket([]cwtypes.Metric{
		size("a", "StandardStorage"), size("b", "GlacierStorage"), size("a", "StandardIAStorage"), size("a", "StandardStorage"),
		cwMetric("AWS/S3", "BucketSizeBytes", map[string]string{"BucketName": "c"}), // no storage type: not a size
	})
	want := map[string][]string{"a": {"StandardIAStorage", "StandardStorage"}, "b": {"GlacierStorage"}}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("storageTypesByBucket = %v, want %v", got, want)
	}
}

func TestS3Buckets(t *testing.T) {
	created := time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC)
	rs := s3Buckets([]s3types.Bucket{{Name: awssdk.String("logs"), CreationDate: awssdk.Time(created)}},
		[]string{"eu-west-1"}, []bucketUsage{{Bytes: map[string]float64{"StandardStorage": 10, "GlacierStorage": 20}, Objects: 3}})
	if len(rs) != 1 {
		t.Fatalf("got %d resources", len(rs))
	}
	r := rs[0]
	if r.ID != "logs" || r.Name != "logs" || r.Region != "eu-west-1" || r.Kind != models.KindBucket || r.Type != "bucket" || !r.CreatedAt.Equal(created) {
		t.Errorf("resource = %+v", r)
	}
	want := map[string]float64{"bytes_StandardStorage": 10, "bytes_GlacierStorage": 20, "objects": 3}
	if !maps.Equal(r.Usage, want) {
		t.Errorf("usage = %v, want %v", r.Usage, want)
	}
}

type fakeS3 struct {
	pages       [][]s3types.Bucket
	constraints map[string]s3types.BucketLocationConstraint

	mu     sync.Mutex
	tokens []string
	asked  []string // buckets whose location was asked
}

func (f *fakeS3) ListBuckets(_ context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	f.tokens = append(f.tokens, awssdk.ToString(in.ContinuationToken))
	p, next, err := page(f.pages, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	return &s3.ListBucketsOutput{Buckets: p, ContinuationToken: next}, nil
}

func (f *fakeS3) GetBucketLocation(_ context.Context, in *s3.GetBucketLocationInput, _ ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, awssdk.ToString(in.Bucket))
	return &s3.GetBucketLocationOutput{LocationConstraint: f.constraints[awssdk.ToString(in.Bucket)]}, nil
}

func TestS3ReadsEveryPageInEachBucketsRegion(t *testing.T) {
	now := time.Date(2025, 5, 20, 15, 0, 0, 0, time.UTC)
	day := func(d int) *time.Time { return awssdk.Time(time.Date(2025, 5, 20+d, 0, 0, 0, 0, time.UTC)) }
	dims := func(bucket, storage string) map[string]string {
		return map[string]string{"BucketName": bucket, "StorageType": storage}
	}
	avg := func(ts *time.Time, v float64) cwtypes.Datapoint {
		return cwtypes.Datapoint{Timestamp: ts, Average: awssdk.Float64(v)}
	}
	f := &fakeS3{
		pages: [][]s3types.Bucket{
			{{Name: awssdk.String("us-site")}, {Name: awssdk.String("listed-region"), BucketRegion: awssdk.String("ap-southeast-1")}},
			{{Name: awssdk.String("eu-logs")}},
		},
		constraints: map[string]s3types.BucketLocationConstraint{"eu-logs": s3types.BucketLocationConstraintEu},
	}
	regional := map[string]*fakeMetrics{
		"us-east-1": {
			metricPages: [][]cwtypes.Metric{{cwMetric("AWS/S3", "BucketSizeBytes", dims("us-site", "StandardStorage"))}},
			points: map[string][]cwtypes.Datapoint{
				metricKey("AWS/S3", "BucketSizeBytes", dims("us-site", "StandardStorage")): {avg(day(-1), 500), avg(day(0), 600), avg(day(-2), 400)},
				metricKey("AWS/S3", "NumberOfObjects", dims("us-site", "AllStorageTypes")): {avg(day(0), 6)},
			},
		},
		"eu-west-1": {
			metricPages: [][]cwtypes.Metric{
				{cwMetric("AWS/S3", "BucketSizeBytes", dims("eu-logs", "StandardStorage"))},
				{cwMetric("AWS/S3", "BucketSizeBytes", dims("eu-logs", "GlacierStorage"))},
			},
			points: map[string][]cwtypes.Datapoint{
				metricKey("AWS/S3", "BucketSizeBytes", dims("eu-logs", "StandardStorage")): {avg(day(-1), 70)},
				metricKey("AWS/S3", "BucketSizeBytes", dims("eu-logs", "GlacierStorage")):  {avg(day(-4), 1e12), avg(day(-2), 9e9)},
			},
		},
		"ap-southeast-1": {},
	}
	var mu sync.Mutex
	var regionsAsked []string
	c := &s3Collector{
		client: func(awssdk.Config) s3API { return f },
		metrics: func(cfg awssdk.Config) MetricsAPI {
			mu.Lock()
			defer mu.Unlock()
			regionsAsked = append(regionsAsked, cfg.Region)
			return regional[cfg.Region]
		},
		now: func() time.Time { return now },
	}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(t, rs)
	if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, []string{"eu-logs", "listed-region", "us-site"}) {
		t.Fatalf("buckets = %v, want both pages", ids)
	}
	if !slices.Equal(f.tokens, []string{"", "page-1"}) {
		t.Errorf("list tokens = %q", f.tokens)
	}
	if asked := slices.Sorted(slices.Values(f.asked)); !slices.Equal(asked, []string{"eu-logs", "us-site"}) {
		t.Errorf("locations asked for %v, want only the buckets the listing gave no region", asked)
	}
	if !slices.Equal(regional["eu-west-1"].listTokens, []string{"", "page-1"}) {
		t.Errorf("eu-west-1 ListMetrics tokens = %q", regional["eu-west-1"].listTokens)
	}
	if slices.Sort(regionsAsked); !slices.Equal(regionsAsked, []string{"ap-southeast-1", "eu-west-1", "us-east-1"}) {
		t.Errorf("CloudWatch clients for %v, want one per bucket region", regionsAsked)
	}
	for id, want := range map[string]struct {
		region string
		usage  map[string]float64
	}{
		"us-site":       {"us-east-1", map[string]float64{"bytes_StandardStorage": 600, "objects": 6}},
		"eu-logs":       {"eu-west-1", map[string]float64{"bytes_StandardStorage": 70, "bytes_GlacierStorage": 9e9, "objects": 0}},
		"listed-region": {"ap-southeast-1", map[string]float64{"objects": 0}},
	} {
		r := got[id]
		if r.Region != want.region || !maps.Equal(r.Usage, want.usage) {
			t.Errorf("%s: region %s usage %v, want %s %v", id, r.Region, r.Usage, want.region, want.usage)
		}
	}
	for region, cw := range regional {
		if cw.dataCalls > 1 {
			t.Errorf("%s: %d GetMetricData calls, want every bucket's metrics in one", region, cw.dataCalls)
		}
		for _, in := range cw.stats {
			if !in.Start.Equal(now.Add(-72*time.Hour)) || !in.End.Equal(now) || in.Period != 86400 || in.Stat != "Average" {
				t.Errorf("%s %s: %v..%v period %d %v, want the last 3 days by day", region, in.Metric, in.Start, in.End, in.Period, in.Stat)
			}
		}
	}
}

func TestS3AgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	now := time.Now()
	today := now.UTC().Truncate(24 * time.Hour)

	type object struct {
		key  string
		size int
	}
	buckets := []struct {
		name, region string
		objects      []object
	}{
		{"costbot-us-assets", "us-east-1", []object{{"a.css", 100}, {"b.js", 200}, {"img/c.png", 300}}},
		{"costbot-eu-logs", "eu-west-1", []object{{"2025/01.log", 1000}, {"2025/02.log", 24}}},
		{"costbot-eu-empty", "eu-west-1", nil},
	}
	for _, b := range buckets {
		api := s3.NewFromConfig(m.Config(b.region))
		in := &s3.CreateBucketInput{Bucket: awssdk.String(b.name)}
		if b.region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(b.region)}
		}
		if _, err := api.CreateBucket(ctx, in); err != nil {
			t.Fatalf("create bucket %s: %v", b.name, err)
		}
		for _, o := range b.objects {
			if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: awssdk.String(b.name), Key: awssdk.String(o.key),
				Body: strings.NewReader(strings.Repeat("x", o.size))}); err != nil {
				t.Fatalf("put %s/%s: %v", b.name, o.key, err)
			}
		}
	}
	// moto publishes its own StandardStorage size (not the objects' bytes) and object count
	// dated today for every bucket in every region; the storage classes below are ours
	// alone, and the object counts agree with moto's.
	put := func(region, bucket, metric, storage string, at time.Time, v float64) {
		putMetric(t, ctx, m.Config(region), "AWS/S3", metric, map[string]string{"BucketName": bucket, "StorageType": storage}, at, v, "")
	}
	put("us-east-1", "costbot-us-assets", "BucketSizeBytes", "StandardIAStorage", today.Add(-48*time.Hour), 1e9)
	put("us-east-1", "costbot-us-assets", "BucketSizeBytes", "StandardIAStorage", today.Add(-24*time.Hour), 5e9) // the latest
	put("us-east-1", "costbot-us-assets", "NumberOfObjects", "AllStorageTypes", today.Add(-24*time.Hour), 3)
	put("eu-west-1", "costbot-eu-logs", "BucketSizeBytes", "GlacierStorage", today.Add(-24*time.Hour), 7e10)
	put("eu-west-1", "costbot-eu-logs", "NumberOfObjects", "AllStorageTypes", today.Add(-24*time.Hour), 2)
	put("us-east-1", "costbot-eu-logs", "BucketSizeBytes", "DeepArchiveStorage", today.Add(-24*time.Hour), 1) // not the bucket's region

	c := newS3Collector()
	if !c.Global() {
		t.Fatal("s3 must be global: buckets are listed once for the account")
	}
	c.now = func() time.Time { return now }
	got := byID(t, collectIn(t, ctx, c, m, "us-east-1"))
	if ids, want := slices.Sorted(maps.Keys(got)), []string{"costbot-eu-empty", "costbot-eu-logs", "costbot-us-assets"}; !slices.Equal(ids, want) {
		t.Fatalf("buckets = %v, want %v, each once", ids, want)
	}
	for _, b := range buckets {
		r := got[b.name]
		if r.Region != b.region || r.Kind != models.KindBucket || r.Type != "bucket" {
			t.Errorf("%s: %+v, want region %s", b.name, r, b.region)
		}
		if r.Usage["objects"] != float64(len(b.objects)) {
			t.Errorf("%s: objects = %v, want %d", b.name, r.Usage["objects"], len(b.objects))
		}
	}
	checkFacts(t, got["costbot-us-assets"], nil, map[string]float64{"bytes_StandardIAStorage": 5e9})
	checkFacts(t, got["costbot-eu-logs"], nil, map[string]float64{"bytes_GlacierStorage": 7e10})
	if _, ok := got["costbot-eu-logs"].Usage["bytes_DeepArchiveStorage"]; ok {
		t.Error("costbot-eu-logs read a metric from us-east-1, not its own region")
	}
	for _, id := range []string{"costbot-us-assets", "costbot-eu-empty"} {
		for k := range got[id].Usage {
			if k == "bytes_GlacierStorage" {
				t.Errorf("%s has costbot-eu-logs's %s", id, k)
			}
		}
	}
}
