package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"costbot/models"
)

// cloudfrontAPI is the part of CloudFront the collector reads.
type cloudfrontAPI interface {
	ListDistributions(ctx context.Context, in *cloudfront.ListDistributionsInput, optFns ...func(*cloudfront.Options)) (*cloudfront.ListDistributionsOutput, error)
}

// cloudfrontCollector lists CloudFront distributions with the bytes they served and the
// requests they answered in the last hour. CloudFront is global; its metrics live in
// us-east-1 with the dimension Region=Global.
type cloudfrontCollector struct {
	newAPI     func(cfg awssdk.Config) cloudfrontAPI
	newMetrics func(cfg awssdk.Config) MetricsAPI
	now        func() time.Time
}

func init() {
	register(&cloudfrontCollector{
		newAPI:     func(cfg awssdk.Config) cloudfrontAPI { return cloudfront.NewFromConfig(cfg) },
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:        time.Now,
	})
}

func (*cloudfrontCollector) Name() string { return "cloudfront" }
func (*cloudfrontCollector) Global() bool { return true }

func (c *cloudfrontCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	var out []models.Resource
	p := cloudfront.NewListDistributionsPaginator(c.newAPI(cfg), &cloudfront.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudfront: list distributions: %w", err)
		}
		if page.DistributionList != nil {
			out = append(out, distributionResources(page.DistributionList.Items)...)
		}
	}
	metricsCfg := cfg.Copy()
	metricsCfg.Region = globalTaskRegion
	cw := c.newMetrics(metricsCfg)
	start, end := lastHour(c.now())
	keys := []struct{ metric, key string }{{"BytesDownloaded", "bytes_out_hour"}, {"Requests", "requests_hour"}}
	var queries []metricQuery
	for _, r := range out {
		for _, m := range keys {
			queries = append(queries, metricQuery{Namespace: "AWS/CloudFront", Metric: m.metric, Stat: cwtypes.StatisticSum,
				Dimensions: map[string]string{"DistributionId": r.ID, "Region": "Global"}})
		}
	}
	series, err := readMetrics(ctx, cw, queries, start, end, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("cloudfront: distribution metrics: %w", err)
	}
	for i := range out {
		for j, m := range keys {
			out[i].Usage[m.key] = series[i*len(keys)+j].Sum()
		}
	}
	return out, nil
}

// distributionResources turns distribution summaries into resources in models.GlobalRegion.
func distributionResources(items []cftypes.DistributionSummary) []models.Resource {
	out := make([]models.Resource, 0, len(items))
	for _, d := range items {
		state := "disabled"
		if awssdk.ToBool(d.Enabled) {
			state = "enabled"
		}
		id := awssdk.ToString(d.Id)
		name := id
		if d.Aliases != nil && len(d.Aliases.Items) > 0 {
			name = d.Aliases.Items[0]
		}
		out = append(out, models.Resource{
			Service: "cloudfront",
			Region:  models.GlobalRegion,
			ID:      id,
			Name:    name,
			Kind:    models.KindDistribution,
			Type:    "distribution",
			State:   state,
			Attrs: map[string]string{
				"domain":      awssdk.ToString(d.DomainName),
				"price_class": string(d.PriceClass),
			},
			Usage: map[string]float64{"bytes_out_hour": 0, "requests_hour": 0},
		})
	}
	return out
}
