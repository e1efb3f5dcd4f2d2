package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

func init() { register(newS3Collector()) }

// s3API is the part of S3 the collector uses.
type s3API interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
}

// s3Collector lists every bucket of the account once (bucket listing is global), places
// each in its own region, and reads its size per storage class from that region's daily
// S3 storage metrics. Buckets outside the scanned regions are kept: they are paid for.
type s3Collector struct {
	client  func(awssdk.Config) s3API
	metrics func(awssdk.Config) MetricsAPI
	now     func() time.Time
}

func newS3Collector() *s3Collector {
	return &s3Collector{
		client:  func(cfg awssdk.Config) s3API { return s3.NewFromConfig(cfg) },
		metrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:     time.Now,
	}
}

func (c *s3Collector) Name() string { return "s3" }
func (c *s3Collector) Global() bool { return true }

// s3StorageWindow is how far back the latest daily storage datapoint is looked for. S3
// publishes BucketSizeBytes and NumberOfObjects once a day, some hours late.
const s3StorageWindow = 3 * 24 * time.Hour

// bucketUsage is one bucket's storage: bytes per StorageType and its object count.
type bucketUsage struct {
	Bytes   map[string]float64
	Objects float64
}

func (c *s3Collector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.client(cfg)
	var buckets []s3types.Bucket
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{MaxBuckets: awssdk.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: list buckets: %w", err)
		}
		buckets = append(buckets, page.Buckets...)
	}

	regions, err := bucketRegions(ctx, api, buckets)
	if err != nil {
		return nil, err
	}

	// One CloudWatch client and one metric listing per region that holds buckets, the
	// regions at the same time.
	clients := map[string]MetricsAPI{}
	storageTypes := map[string]map[string][]string{}
	var mu sync.Mutex
	lg, lctx := errgroup.WithContext(ctx)
	lg.SetLimit(metricFetchLimit)
	for _, region := range slices.Sorted(maps.Keys(setOf(regions))) {
		rc := cfg.Copy()
		rc.Region = region
		client := c.metrics(rc)
		clients[region] = client
		lg.Go(func() error {
			types, err := s3StorageTypes(lctx, client)
			if err != nil {
				return fmt.Errorf("s3 %s: list storage metrics: %w", region, err)
			}
			mu.Lock()
			defer mu.Unlock()
			storageTypes[region] = types
			return nil
		})
	}
	if err := lg.Wait(); err != nil {
		return nil, err
	}

	// The window ends at the start of the hour: S3 stamps its daily datapoints at 00:00
	// UTC, so nothing is lost, and the same request is asked all hour long.
	end := c.now().UTC().Truncate(time.Hour)
	start := end.Add(-s3StorageWindow)
	usage := make([]bucketUsage, len(buckets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for region, client := range clients {
		g.Go(func() error {
			var idx []int
			for i := range buckets {
				if regions[i] == region {
					idx = append(idx, i)
				}
			}
			names := make([]string, len(idx))
			for j, i := range idx {
				names[j] = awssdk.ToString(buckets[i].Name)
			}
			got, err := bucketStorage(gctx, client, names, storageTypes[region], start, end)
			if err != nil {
				return fmt.Errorf("s3 %s: bucket storage: %w", region, err)
			}
			for j, i := range idx {
				usage[i] = got[j]
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return s3Buckets(buckets, regions, usage), nil
}

// bucketLocationLimit bounds the GetBucketLocation calls in flight. AWS's ListBuckets
// says each bucket's region, so these calls are only made where it does not (older
// S3-compatible endpoints, emulators).
const bucketLocationLimit = 16

// bucketRegions finds each bucket's region: from the listing when it says, otherwise
// from GetBucketLocation.
func bucketRegions(ctx context.Context, api s3API, buckets []s3types.Bucket) ([]string, error) {
	regions := make([]string, len(buckets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bucketLocationLimit)
	for i, b := range buckets {
		if r := awssdk.ToString(b.BucketRegion); r != "" {
			regions[i] = r
			continue
		}
		g.Go(func() error {
			out, err := api.GetBucketLocation(gctx, &s3.GetBucketLocationInput{Bucket: b.Name})
			if err != nil {
				return fmt.Errorf("s3: bucket %s: get bucket location: %w", awssdk.ToString(b.Name), err)
			}
			regions[i] = locationRegion(string(out.LocationConstraint))
			return nil
		})
	}
	return regions, g.Wait()
}

// locationRegion turns a bucket's LocationConstraint into its region: none means
// us-east-1 and the legacy "EU" means eu-west-1.
func locationRegion(constraint string) string {
	switch constraint {
	case "":
		return "us-east-1"
	case string(s3types.BucketLocationConstraintEu):
		return "eu-west-1"
	default:
		return constraint
	}
}

// s3StorageTypes lists, per bucket, the StorageType values BucketSizeBytes is published
// for in one region.
func s3StorageTypes(ctx context.Context, cw MetricsAPI) (map[string][]string, error) {
	var metrics []cwtypes.Metric
	p := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{
		Namespace:  awssdk.String("AWS/S3"),
		MetricName: awssdk.String("BucketSizeBytes"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		metrics = append(metrics, page.Metrics...)
	}
	return storageTypesByBucket(metrics), nil
}

// storageTypesByBucket reads bucket names and storage types off BucketSizeBytes metrics.
func storageTypesByBucket(metrics []cwtypes.Metric) map[string][]string {
	out := map[string][]string{}
	for _, m := range metrics {
		var bucket, storage string
		for _, d := range m.Dimensions {
			switch awssdk.ToString(d.Name) {
			case "BucketName":
				bucket = awssdk.ToString(d.Value)
			case "StorageType":
				storage = awssdk.ToString(d.Value)
			}
		}
		if bucket == "" || storage == "" || slices.Contains(out[bucket], storage) {
			continue
		}
		out[bucket] = append(out[bucket], storage)
	}
	for _, types := range out {
		slices.Sort(types)
	}
	return out
}

// bucketStorage reads the latest daily size of each storage type and the object count
// of buckets (all in one region, whose BucketSizeBytes storage types by bucket are
// storageTypes), all in one batch of reads.
func bucketStorage(ctx context.Context, cw MetricsAPI, buckets []string, storageTypes map[string][]string, start, end time.Time) ([]bucketUsage, error) {
	type slot struct {
		bucket  int
		storage string // "" for the object count
	}
	var queries []metricQuery
	var slots []slot
	query := func(bucket int, metric, storageType string) metricQuery {
		return metricQuery{
			Namespace:  "AWS/S3",
			Metric:     metric,
			Dimensions: map[string]string{"BucketName": buckets[bucket], "StorageType": storageType},
			Stat:       cwtypes.StatisticAverage,
		}
	}
	for i, name := range buckets {
		for _, st := range storageTypes[name] {
			queries = append(queries, query(i, "BucketSizeBytes", st))
			slots = append(slots, slot{i, st})
		}
		queries = append(queries, query(i, "NumberOfObjects", "AllStorageTypes"))
		slots = append(slots, slot{i, ""})
	}
	series, err := readMetrics(ctx, cw, queries, start, end, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	out := make([]bucketUsage, len(buckets))
	for i := range out {
		out[i].Bytes = map[string]float64{}
	}
	for k, s := range slots {
		v, ok := series[k].Latest()
		switch {
		case s.storage == "":
			out[s.bucket].Objects = v
		case ok:
			out[s.bucket].Bytes[s.storage] = v
		}
	}
	return out, nil
}

// s3Buckets turns buckets into resources, each in its own region (regions[i]) with its
// storage (usage[i]).
func s3Buckets(buckets []s3types.Bucket, regions []string, usage []bucketUsage) []models.Resource {
	out := make([]models.Resource, 0, len(buckets))
	for i, b := range buckets {
		name := awssdk.ToString(b.Name)
		u := map[string]float64{"objects": usage[i].Objects}
		for st, v := range usage[i].Bytes {
			u["bytes_"+st] = v
		}
		out = append(out, models.Resource{
			Service:   "s3",
			Region:    regions[i],
			ID:        name,
			Name:      name,
			Kind:      models.KindBucket,
			Type:      "bucket",
			CreatedAt: awssdk.ToTime(b.CreationDate).UTC(),
			Usage:     u,
		})
	}
	return out
}

// setOf returns the distinct values of xs.
func setOf(xs []string) map[string]bool {
	set := make(map[string]bool, len(xs))
	for _, x := range xs {
		set[x] = true
	}
	return set
}
