package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

func init() { register(newELBCollector()) }

// elbv2API is the part of Elastic Load Balancing v2 (Application, Network and Gateway
// Load Balancers) the collector reads.
type elbv2API interface {
	DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

// elbClassicAPI is the part of the Classic Load Balancer API the collector reads.
type elbClassicAPI interface {
	DescribeLoadBalancers(ctx context.Context, in *elb.DescribeLoadBalancersInput, optFns ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	DescribeInstanceHealth(ctx context.Context, in *elb.DescribeInstanceHealthInput, optFns ...func(*elb.Options)) (*elb.DescribeInstanceHealthOutput, error)
}

// elbCollector lists load balancers, each billed per hour plus the capacity units it
// used (LCU, NLCU, GLCU) or, for a Classic one, the bytes it processed. It reads the
// last hour's capacity units and a week of traffic in one GetMetricData batch, and the
// targets each balancer sends to, to mark the ones that serve nothing.
type elbCollector struct {
	v2      func(awssdk.Config) elbv2API
	classic func(awssdk.Config) elbClassicAPI
	metrics func(awssdk.Config) MetricsAPI
	now     func() time.Time
}

func newELBCollector() *elbCollector {
	return &elbCollector{
		v2:      func(cfg awssdk.Config) elbv2API { return elbv2.NewFromConfig(cfg) },
		classic: func(cfg awssdk.Config) elbClassicAPI { return elb.NewFromConfig(cfg) },
		metrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:     time.Now,
	}
}

func (c *elbCollector) Name() string { return "elb" }
func (c *elbCollector) Global() bool { return false }

// idleWindow is how long a load balancer must have carried no traffic to be marked waste.
const idleWindow = 7 * 24 * time.Hour

// loadBalancer is what the collector knows of one balancer before reading its metrics.
type loadBalancer struct {
	res        models.Resource
	namespace  string            // AWS/ApplicationELB, AWS/NetworkELB, AWS/GatewayELB, AWS/ELB
	dimensions map[string]string // the balancer's CloudWatch dimension
	registered int               // targets (instances, IPs, functions) registered
	healthy    int               // of which healthy (InService)
}

func (c *elbCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	var v2, classic []loadBalancer
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		v2, err = c.listV2(gctx, c.v2(cfg), cfg.Region)
		return err
	})
	g.Go(func() (err error) {
		classic, err = c.listClassic(gctx, c.classic(cfg), cfg.Region)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	lbs := append(v2, classic...)
	if len(lbs) == 0 {
		return nil, nil
	}
	_, end := lastHour(c.now())
	series, err := readMetrics(ctx, c.metrics(cfg), elbQueries(lbs), end.Add(-idleWindow), end, time.Hour)
	if err != nil {
		return nil, fmt.Errorf("elb %s: %w", cfg.Region, err)
	}
	return elbResources(lbs, series, end), nil
}

// listV2 reads every Application, Network and Gateway Load Balancer with its targets.
func (c *elbCollector) listV2(ctx context.Context, api elbv2API, region string) ([]loadBalancer, error) {
	var lbs []elbv2types.LoadBalancer
	p := elbv2.NewDescribeLoadBalancersPaginator(api, &elbv2.DescribeLoadBalancersInput{PageSize: awssdk.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("elb %s: describe load balancers (v2): %w", region, err)
		}
		lbs = append(lbs, page.LoadBalancers...)
	}
	out := make([]loadBalancer, len(lbs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for i, lb := range lbs {
		out[i] = v2LoadBalancer(lb, region)
		g.Go(func() error {
			reg, healthy, err := v2Targets(gctx, api, awssdk.ToString(lb.LoadBalancerArn))
			if err != nil {
				return fmt.Errorf("elb %s: targets of %s: %w", region, awssdk.ToString(lb.LoadBalancerName), err)
			}
			out[i].registered, out[i].healthy = reg, healthy
			return nil
		})
	}
	return out, g.Wait()
}

// v2Targets counts the targets registered with a balancer's target groups, and the
// healthy ones.
func v2Targets(ctx context.Context, api elbv2API, arn string) (registered, healthy int, err error) {
	p := elbv2.NewDescribeTargetGroupsPaginator(api, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: awssdk.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var notFound *elbv2types.TargetGroupNotFoundException
		if errors.As(err, &notFound) {
			// Some endpoints answer so for a balancer without target groups.
			return registered, healthy, nil
		}
		if err != nil {
			return 0, 0, fmt.Errorf("describe target groups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			h, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if errors.As(err, &notFound) {
				continue // deleted since it was listed
			}
			if err != nil {
				return 0, 0, fmt.Errorf("describe target health: %w", err)
			}
			for _, d := range h.TargetHealthDescriptions {
				registered++
				if d.TargetHealth != nil && d.TargetHealth.State == elbv2types.TargetHealthStateEnumHealthy {
					healthy++
				}
			}
		}
	}
	return registered, healthy, nil
}

// elbv2Namespaces are the CloudWatch namespaces of the v2 balancer types.
var elbv2Namespaces = map[elbv2types.LoadBalancerTypeEnum]string{
	elbv2types.LoadBalancerTypeEnumApplication: "AWS/ApplicationELB",
	elbv2types.LoadBalancerTypeEnumNetwork:     "AWS/NetworkELB",
	elbv2types.LoadBalancerTypeEnumGateway:     "AWS/GatewayELB",
}

// v2LoadBalancer describes one v2 balancer. Its CloudWatch dimension LoadBalancer is
// the ARN's tail after "loadbalancer/" (app/name/id, net/name/id, gwy/name/id).
func v2LoadBalancer(lb elbv2types.LoadBalancer, region string) loadBalancer {
	arn := awssdk.ToString(lb.LoadBalancerArn)
	_, dim, _ := strings.Cut(arn, ":loadbalancer/")
	var zones []string
	for _, z := range lb.AvailabilityZones {
		zones = append(zones, awssdk.ToString(z.ZoneName))
	}
	state := ""
	if lb.State != nil {
		state = string(lb.State.Code)
	}
	return loadBalancer{
		res: models.Resource{
			Service:   "elb",
			Region:    region,
			ID:        arn,
			Name:      awssdk.ToString(lb.LoadBalancerName),
			Kind:      models.KindLoadBalancer,
			Type:      string(lb.Type),
			State:     state,
			CreatedAt: awssdk.ToTime(lb.CreatedTime).UTC(),
			Attrs: map[string]string{
				"scheme":   string(lb.Scheme),
				"dns_name": awssdk.ToString(lb.DNSName),
				"vpc_id":   awssdk.ToString(lb.VpcId),
				"zones":    strings.Join(zones, ","),
			},
			Usage: map[string]float64{},
		},
		namespace:  elbv2Namespaces[lb.Type],
		dimensions: map[string]string{"LoadBalancer": dim},
	}
}

// listClassic reads every Classic Load Balancer with the health of its instances.
func (c *elbCollector) listClassic(ctx context.Context, api elbClassicAPI, region string) ([]loadBalancer, error) {
	var lbs []elbtypes.LoadBalancerDescription
	p := elb.NewDescribeLoadBalancersPaginator(api, &elb.DescribeLoadBalancersInput{PageSize: awssdk.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("elb %s: describe load balancers (classic): %w", region, err)
		}
		lbs = append(lbs, page.LoadBalancerDescriptions...)
	}
	out := make([]loadBalancer, len(lbs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for i, lb := range lbs {
		out[i] = classicLoadBalancer(lb, region)
		if len(lb.Instances) == 0 {
			continue
		}
		g.Go(func() error {
			h, err := api.DescribeInstanceHealth(gctx, &elb.DescribeInstanceHealthInput{LoadBalancerName: lb.LoadBalancerName})
			if err != nil {
				return fmt.Errorf("elb %s: instance health of %s: %w", region, awssdk.ToString(lb.LoadBalancerName), err)
			}
			for _, s := range h.InstanceStates {
				if awssdk.ToString(s.State) == "InService" {
					out[i].healthy++
				}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// classicLoadBalancer describes one Classic balancer; its ID is its name, unique in a
// region.
func classicLoadBalancer(lb elbtypes.LoadBalancerDescription, region string) loadBalancer {
	name := awssdk.ToString(lb.LoadBalancerName)
	return loadBalancer{
		res: models.Resource{
			Service:   "elb",
			Region:    region,
			ID:        name,
			Name:      name,
			Kind:      models.KindLoadBalancer,
			Type:      "classic",
			State:     "active",
			CreatedAt: awssdk.ToTime(lb.CreatedTime).UTC(),
			Attrs: map[string]string{
				"scheme":   awssdk.ToString(lb.Scheme),
				"dns_name": awssdk.ToString(lb.DNSName),
				"vpc_id":   awssdk.ToString(lb.VPCId),
				"zones":    strings.Join(lb.AvailabilityZones, ","),
			},
			Usage: map[string]float64{},
		},
		namespace:  "AWS/ELB",
		dimensions: map[string]string{"LoadBalancerName": name},
		registered: len(lb.Instances),
	}
}

// elbMeterMetric is what a balancer is billed by beyond its hours: capacity units used
// (the hour's Average of ConsumedLCUs is its LCU-hours), or for a Classic balancer the
// bytes it processed.
func elbMeterMetric(lb loadBalancer) (metric string, stat cwtypes.Statistic) {
	if lb.res.Type == "classic" {
		return "EstimatedProcessedBytes", cwtypes.StatisticSum
	}
	return "ConsumedLCUs", cwtypes.StatisticAverage
}

// elbTrafficMetric counts what a balancer carried: requests (Application, Classic) or
// new flows (Network, Gateway).
func elbTrafficMetric(lb loadBalancer) string {
	switch lb.res.Type {
	case string(elbv2types.LoadBalancerTypeEnumApplication), "classic":
		return "RequestCount"
	}
	return "NewFlowCount"
}

// elbQueries are two queries per balancer: its meter, then its traffic.
func elbQueries(lbs []loadBalancer) []metricQuery {
	out := make([]metricQuery, 0, 2*len(lbs))
	for _, lb := range lbs {
		metric, stat := elbMeterMetric(lb)
		out = append(out,
			metricQuery{Namespace: lb.namespace, Metric: metric, Dimensions: lb.dimensions, Stat: stat},
			metricQuery{Namespace: lb.namespace, Metric: elbTrafficMetric(lb), Dimensions: lb.dimensions, Stat: cwtypes.StatisticSum})
	}
	return out
}

// sumSince adds the values at or after from.
func (s metricSeries) sumSince(from time.Time) float64 {
	total := 0.0
	for i, ts := range s.Timestamps {
		if i < len(s.Values) && !ts.Before(from) {
			total += s.Values[i]
		}
	}
	return total
}

// elbResources turns balancers and a week of hourly metrics ending at end into
// resources: the last hour's capacity units (or bytes), the week's traffic, and the
// waste flag.
func elbResources(lbs []loadBalancer, series []metricSeries, end time.Time) []models.Resource {
	out := make([]models.Resource, 0, len(lbs))
	lastHourStart := end.Add(-time.Hour)
	for i, lb := range lbs {
		r := lb.res
		meter, traffic := series[2*i], series[2*i+1]
		if r.Type == "classic" {
			r.Usage["bytes_processed_hour"] = meter.sumSince(lastHourStart)
		} else {
			r.Usage["lcu_hour"] = meter.sumSince(lastHourStart)
		}
		r.Usage["traffic_7d"] = traffic.Sum()
		r.Usage["targets_registered"] = float64(lb.registered)
		r.Usage["targets_healthy"] = float64(lb.healthy)
		r.Waste, r.WasteReason = elbWaste(r, lb.registered, lb.healthy, end)
		out = append(out, r)
	}
	return out
}

// elbWaste says whether a balancer is paid for and serves nothing: no target registered,
// none healthy, or no traffic for a week (for one at least a week old).
func elbWaste(r models.Resource, registered, healthy int, now time.Time) (bool, string) {
	switch {
	case registered == 0:
		return true, "load balancer has no registered targets"
	case healthy == 0:
		return true, "load balancer has no healthy targets"
	case r.Usage["traffic_7d"] == 0 && !r.CreatedAt.IsZero() && now.Sub(r.CreatedAt) >= idleWindow:
		return true, "load balancer carried no traffic for 7 days"
	}
	return false, ""
}
