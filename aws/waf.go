package aws

import (
	"context"
	"fmt"
	"slices"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

// wafAPI is the part of WAFv2 the collector reads.
type wafAPI interface {
	ListWebACLs(ctx context.Context, in *wafv2.ListWebACLsInput, optFns ...func(*wafv2.Options)) (*wafv2.ListWebACLsOutput, error)
	GetWebACL(ctx context.Context, in *wafv2.GetWebACLInput, optFns ...func(*wafv2.Options)) (*wafv2.GetWebACLOutput, error)
}

// wafCollector lists WAFv2 web ACLs with their rules and the requests they inspected in the
// last hour: REGIONAL ones in each configured region, CLOUDFRONT ones once, from us-east-1.
//
// A task cannot tell the global task from a regional us-east-1 one (both get us-east-1),
// so every us-east-1 task lists both scopes and labels each web ACL with its own region;
// the scan drops the duplicates.
type wafCollector struct {
	newAPI     func(cfg awssdk.Config) wafAPI
	newMetrics func(cfg awssdk.Config) MetricsAPI
	now        func() time.Time
}

func init() {
	register(&wafCollector{
		newAPI:     func(cfg awssdk.Config) wafAPI { return wafv2.NewFromConfig(cfg) },
		newMetrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:        time.Now,
	})
}

func (*wafCollector) Name() string { return "waf" }
func (*wafCollector) Global() bool { return false }

// Regions runs the collector in the configured regions and once more for CLOUDFRONT scope.
func (*wafCollector) Regions(configured []string) []string {
	out := slices.Clone(configured)
	if !slices.Contains(out, models.GlobalRegion) {
		out = append(out, models.GlobalRegion)
	}
	return out
}

// wafScopes says which scopes a task in region lists.
// wafScopes: the global task lists CLOUDFRONT-scope web ACLs (served from us-east-1),
// every regional task its own REGIONAL ones.
func wafScopes(taskRegion string) []waftypes.Scope {
	if taskRegion == models.GlobalRegion {
		return []waftypes.Scope{waftypes.ScopeCloudfront}
	}
	return []waftypes.Scope{waftypes.ScopeRegional}
}

// Collect lists the REGIONAL web ACLs of cfg.Region.
func (c *wafCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	return c.CollectTask(ctx, cfg, cfg.Region)
}

// CollectTask lists the web ACLs of the task: CLOUDFRONT scope for the global task,
// REGIONAL otherwise.
func (c *wafCollector) CollectTask(ctx context.Context, cfg awssdk.Config, taskRegion string) ([]models.Resource, error) {
	api := c.newAPI(cfg)
	var out []models.Resource
	var queries [][]metricQuery // per resource in out
	for _, scope := range wafScopes(taskRegion) {
		summaries, err := listWebACLs(ctx, api, scope)
		if err != nil {
			return nil, fmt.Errorf("waf %s: list %s web ACLs: %w", cfg.Region, scope, err)
		}
		// The web ACLs' details at the same time.
		acls := make([]*waftypes.WebACL, len(summaries))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(metricFetchLimit)
		for i, s := range summaries {
			g.Go(func() error {
				got, err := api.GetWebACL(gctx, &wafv2.GetWebACLInput{Id: s.Id, Name: s.Name, Scope: scope})
				if err != nil {
					return fmt.Errorf("waf %s: get web ACL %s: %w", cfg.Region, awssdk.ToString(s.Name), err)
				}
				acls[i] = got.WebACL
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, acl := range acls {
			if acl == nil {
				continue
			}
			out = append(out, webACLResource(*acl, scope, cfg.Region))
			queries = append(queries, webACLRequestQueries(*acl, scope, cfg.Region))
		}
	}
	// Every web ACL's request counts in one batch of reads.
	var flat []metricQuery
	for _, qs := range queries {
		flat = append(flat, qs...)
	}
	start, end := lastHour(c.now())
	series, err := readMetrics(ctx, c.newMetrics(cfg), flat, start, end, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("waf %s: web ACL requests: %w", cfg.Region, err)
	}
	k := 0
	for i, qs := range queries {
		requests := 0.0
		for range qs {
			requests += series[k].Sum()
			k++
		}
		out[i].Usage["requests_hour"] = requests
	}
	return out, nil
}

// listWebACLs pages through ListWebACLs (WAFv2 has no paginator). It stops at an empty
// marker, an empty page or a marker seen before, whichever comes first.
func listWebACLs(ctx context.Context, api wafAPI, scope waftypes.Scope) ([]waftypes.WebACLSummary, error) {
	var out []waftypes.WebACLSummary
	seen := map[string]bool{}
	in := &wafv2.ListWebACLsInput{Scope: scope, Limit: awssdk.Int32(100)}
	for {
		page, err := api.ListWebACLs(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.WebACLs...)
		next := awssdk.ToString(page.NextMarker)
		if next == "" || len(page.WebACLs) == 0 || seen[next] {
			return out, nil
		}
		seen[next] = true
		in = &wafv2.ListWebACLsInput{Scope: scope, Limit: in.Limit, NextMarker: awssdk.String(next)}
	}
}

// webACLResource turns a web ACL into a resource; its region is the task's for REGIONAL
// scope and models.GlobalRegion for CLOUDFRONT scope.
func webACLResource(acl waftypes.WebACL, scope waftypes.Scope, region string) models.Resource {
	if scope == waftypes.ScopeCloudfront {
		region = models.GlobalRegion
	}
	id := awssdk.ToString(acl.ARN)
	if id == "" {
		id = string(scope) + "/" + awssdk.ToString(acl.Id)
	}
	return models.Resource{
		Service: "waf",
		Region:  region,
		ID:      id,
		Name:    awssdk.ToString(acl.Name),
		Kind:    models.KindWebACL,
		Type:    string(scope),
		Usage: map[string]float64{
			"rules":         float64(len(acl.Rules)),
			"requests_hour": 0,
		},
	}
}

// webACLRequestQueries are the metrics whose sum is the requests a web ACL inspected:
// AllowedRequests and BlockedRequests for Rule=ALL. The WebACL dimension is the web ACL's
// metric name; REGIONAL web ACLs also carry their Region.
func webACLRequestQueries(acl waftypes.WebACL, scope waftypes.Scope, region string) []metricQuery {
	metricName := awssdk.ToString(acl.Name)
	if acl.VisibilityConfig != nil && awssdk.ToString(acl.VisibilityConfig.MetricName) != "" {
		metricName = awssdk.ToString(acl.VisibilityConfig.MetricName)
	}
	dims := map[string]string{"WebACL": metricName, "Rule": "ALL"}
	if scope == waftypes.ScopeRegional {
		dims["Region"] = region
	}
	var out []metricQuery
	for _, m := range []string{"AllowedRequests", "BlockedRequests"} {
		out = append(out, metricQuery{Namespace: "AWS/WAFV2", Metric: m, Dimensions: dims, Stat: cwtypes.StatisticSum})
	}
	return out
}
