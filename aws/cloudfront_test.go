package aws

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestDistributionResourcesPure(t *testing.T) {
	rs := distributionResources([]cftypes.DistributionSummary{
		{Id: awssdk.String("E1"), DomainName: awssdk.String("d1.cloudfront.net"), PriceClass: cftypes.PriceClassPriceClass100,
			Enabled: awssdk.Bool(true), Aliases: &cftypes.Aliases{Items: []string{"cdn.example.com"}}},
		{Id: awssdk.String("E2"), DomainName: awssdk.String("d2.cloudfront.net"), PriceClass: cftypes.PriceClassPriceClassAll, Enabled: awssdk.Bool(false)},
	})
	e1, e2 := rs[0], rs[1]
	if e1.Region != models.GlobalRegion || e1.Kind != models.KindDistribution || e1.Type != "distribution" ||
		e1.Attr("domain") != "d1.cloudfront.net" || e1.Attr("price_class") != "PriceClass_100" || e1.Name != "cdn.example.com" || e1.State != "enabled" {
		t.Errorf("E1 = %+v", e1)
	}
	if e2.Name != "E2" || e2.State != "disabled" || e2.Attr("price_class") != "PriceClass_All" {
		t.Errorf("E2 = %+v", e2)
	}
}

func TestCloudFrontCollectorAgainstMoto(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, _ := lastHour(now)
	cf := cloudfront.NewFromConfig(m.Config("us-east-1"))
	cw := newCloudWatch(m.Config("us-east-1"))
	type seeded struct {
		priceClass cftypes.PriceClass
		bytes      []float64
		requests   []float64
	}
	seeds := []seeded{
		{cftypes.PriceClassPriceClass100, []float64{5e8, 2.5e8}, []float64{1200, 300}},
		{cftypes.PriceClassPriceClassAll, nil, nil}, // no traffic at all
	}
	type created struct {
		id, domain string
		seeded
	}
	var dists []created
	for i, s := range seeds {
		out, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
			DistributionConfig: awstest.DistributionConfig(time.Now().Format(time.RFC3339Nano), s.priceClass)})
		if err != nil {
			t.Fatalf("create distribution %d: %v", i, err)
		}
		d := created{awssdk.ToString(out.Distribution.Id), awssdk.ToString(out.Distribution.DomainName), s}
		dists = append(dists, d)
		put := func(metric string, ts time.Time, v float64) {
			t.Helper()
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: awssdk.String("AWS/CloudFront"), MetricData: []cwtypes.MetricDatum{{
				MetricName: awssdk.String(metric), Dimensions: dims("DistributionId", d.id, "Region", "Global"),
				Timestamp: awssdk.Time(ts), Value: awssdk.Float64(v), Unit: cwtypes.StandardUnitNone}}})
			if err != nil {
				t.Fatalf("put metric: %v", err)
			}
		}
		for j, v := range s.bytes {
			put("BytesDownloaded", start.Add(time.Duration(10+j)*time.Minute), v)
		}
		for j, v := range s.requests {
			put("Requests", start.Add(time.Duration(20+j)*time.Minute), v)
		}
		if len(s.bytes) > 0 {
			put("BytesDownloaded", start.Add(-2*time.Minute), 9e12) // the hour before
		}
	}

	c := &cloudfrontCollector{
		newAPI:     func(cfg awssdk.Config) cloudfrontAPI { return cloudfront.NewFromConfig(cfg) },
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:        func() time.Time { return now },
	}
	if !c.Global() || taskRegions(c, []string{"eu-west-1", "ap-east-1"})[0] != models.GlobalRegion {
		t.Fatal("CloudFront must run once, as a global task")
	}
	rs, err := c.Collect(ctx, m.Config("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(dists) {
		t.Fatalf("%d distributions, want %d", len(rs), len(dists))
	}
	sum := func(vs []float64) float64 {
		total := 0.0
		for _, v := range vs {
			total += v
		}
		return total
	}
	// moto lists each distribution with its configuration nested instead of the summary's
	// flat PriceClass and Enabled, so those two are checked by TestDistributionResourcesPure.
	for _, d := range dists {
		r := pickResource(t, rs, models.KindDistribution, d.id)
		if r.Region != models.GlobalRegion || r.Attr("domain") != d.domain ||
			r.Usage["bytes_out_hour"] != sum(d.bytes) || r.Usage["requests_hour"] != sum(d.requests) {
			t.Errorf("%s = %+v", d.id, r)
		}
	}
}

// pagedCloudFront answers ListDistributions one distribution per page.
type pagedCloudFront struct {
	ids   []string
	calls int
}

func (p *pagedCloudFront) ListDistributions(_ context.Context, in *cloudfront.ListDistributionsInput, _ ...func(*cloudfront.Options)) (*cloudfront.ListDistributionsOutput, error) {
	p.calls++
	i := pageOf(in.Marker)
	next := nextPage(i, len(p.ids))
	return &cloudfront.ListDistributionsOutput{DistributionList: &cftypes.DistributionList{
		Items: []cftypes.DistributionSummary{{Id: awssdk.String(p.ids[i])}}, IsTruncated: awssdk.Bool(next != nil), NextMarker: next,
	}}, nil
}

func TestCloudFrontCollectorReadsEveryPage(t *testing.T) {
	api := &pagedCloudFront{ids: []string{"E1", "E2", "E3"}}
	metrics := &pagedCloudWatch{calls: map[string]int{}}
	c := &cloudfrontCollector{
		newAPI:     func(awssdk.Config) cloudfrontAPI { return api },
		newMetrics: func(awssdk.Config) MetricsAPI { return metrics },
		now:        time.Now,
	}
	rs, err := c.Collect(context.Background(), awssdk.Config{Region: "us-east-1"})
	if err != nil || len(rs) != len(api.ids) || rs[2].ID != "E3" || api.calls != len(api.ids) {
		t.Fatalf("%d distributions after %d calls: %v", len(rs), api.calls, err)
	}
	if metrics.calls["GetMetricData"] != 1 || metrics.calls["metric queries"] != 2*len(api.ids) {
		t.Fatalf("metric calls = %v, want bytes and requests of every distribution in one read", metrics.calls)
	}
}
