package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

func init() { register(newVPCCollector()) }

// vpcAPI is the part of EC2 the VPC collector uses.
type vpcAPI interface {
	DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeNatGateways(ctx context.Context, in *ec2.DescribeNatGatewaysInput, optFns ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeAddresses(ctx context.Context, in *ec2.DescribeAddressesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
}

// vpcCollector lists NAT gateways with the bytes they processed, and every public IPv4
// address, each of which is billed hourly in use or not: those on any network interface
// (instances, load balancers, NAT gateways, RDS, ECS tasks), and idle Elastic IPs.
type vpcCollector struct {
	client  func(awssdk.Config) vpcAPI
	metrics func(awssdk.Config) MetricsAPI
	now     func() time.Time
}

func newVPCCollector() *vpcCollector {
	return &vpcCollector{
		client:  func(cfg awssdk.Config) vpcAPI { return ec2.NewFromConfig(cfg) },
		metrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:     time.Now,
	}
}

func (c *vpcCollector) Name() string { return "vpc" }
func (c *vpcCollector) Global() bool { return false }

func (c *vpcCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.client(cfg)
	// NAT gateways, addresses and network interfaces are independent listings: read them
	// at the same time.
	var (
		nats  []models.Resource
		addrs []ec2types.Address
		enis  []ec2types.NetworkInterface
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		nats, err = c.natGateways(gctx, api, c.metrics(cfg), cfg.Region)
		return err
	})
	g.Go(func() error {
		out, err := api.DescribeAddresses(gctx, &ec2.DescribeAddressesInput{})
		if err != nil {
			return fmt.Errorf("vpc %s: describe addresses: %w", cfg.Region, err)
		}
		addrs = out.Addresses
		return nil
	})
	g.Go(func() error {
		p := ec2.NewDescribeNetworkInterfacesPaginator(api, &ec2.DescribeNetworkInterfacesInput{MaxResults: awssdk.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("vpc %s: describe network interfaces: %w", cfg.Region, err)
			}
			enis = append(enis, page.NetworkInterfaces...)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return append(nats, publicIPv4Resources(enis, addrs, cfg.Region)...), nil
}

// natGateways lists the NAT gateways still billed, with their zone and last hour's bytes.
func (c *vpcCollector) natGateways(ctx context.Context, api vpcAPI, cw MetricsAPI, region string) ([]models.Resource, error) {
	var gateways []ec2types.NatGateway
	p := ec2.NewDescribeNatGatewaysPaginator(api, &ec2.DescribeNatGatewaysInput{MaxResults: awssdk.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("vpc %s: describe nat gateways: %w", region, err)
		}
		for _, g := range page.NatGateways {
			if natGatewayBilled(g.State) {
				gateways = append(gateways, g)
			}
		}
	}
	if len(gateways) == 0 {
		return nil, nil
	}
	// The subnets' zones and the gateways' bytes do not depend on each other.
	var zones map[string]string
	var bytes []float64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if zones, err = subnetZones(gctx, api, gateways); err != nil {
			return fmt.Errorf("vpc %s: describe subnets: %w", region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		start, end := lastHour(c.now())
		if bytes, err = natBytesProcessed(gctx, cw, gateways, start, end); err != nil {
			return fmt.Errorf("vpc %s: nat gateway bytes: %w", region, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return natGatewayResources(gateways, zones, bytes, region), nil
}

// natGatewayBilled says whether a NAT gateway in state s is still billed by the hour.
func natGatewayBilled(s ec2types.NatGatewayState) bool {
	return s != ec2types.NatGatewayStateDeleted && s != ec2types.NatGatewayStateFailed
}

// subnetZones maps the gateways' subnets to their availability zones (DescribeNatGateways
// does not say the zone). A regional NAT gateway has no subnet.
func subnetZones(ctx context.Context, api vpcAPI, gateways []ec2types.NatGateway) (map[string]string, error) {
	var ids []string
	for _, g := range gateways {
		if id := awssdk.ToString(g.SubnetId); id != "" {
			ids = append(ids, id)
		}
	}
	zones := map[string]string{}
	if len(ids) == 0 {
		return zones, nil
	}
	p := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{
		Filters:    []ec2types.Filter{{Name: awssdk.String("subnet-id"), Values: ids}},
		MaxResults: awssdk.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subnets {
			zones[awssdk.ToString(s.SubnetId)] = awssdk.ToString(s.AvailabilityZone)
		}
	}
	return zones, nil
}

// natBytesProcessed is what each NAT gateway is charged data processing for between
// start and end. Every byte through a gateway is counted once on its way out of it: to
// the destination (traffic from the VPC) or back to the source (responses into the VPC),
// so BytesOutToDestination + BytesOutToSource is the processed total. The BytesInFrom*
// metrics count the same bytes as they arrive and would count them twice.
func natBytesProcessed(ctx context.Context, cw MetricsAPI, gateways []ec2types.NatGateway, start, end time.Time) ([]float64, error) {
	metrics := []string{"BytesOutToDestination", "BytesOutToSource"}
	queries := make([]metricQuery, 0, len(metrics)*len(gateways))
	for _, g := range gateways {
		for _, metric := range metrics {
			queries = append(queries, metricQuery{
				Namespace:  "AWS/NATGateway",
				Metric:     metric,
				Dimensions: map[string]string{"NatGatewayId": awssdk.ToString(g.NatGatewayId)},
				Stat:       cwtypes.StatisticSum,
			})
		}
	}
	series, err := readMetrics(ctx, cw, queries, start, end, end.Sub(start))
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(gateways))
	for i := range gateways {
		for j := range metrics {
			out[i] += series[i*len(metrics)+j].Sum()
		}
	}
	return out, nil
}

// natGatewayResources turns gateways into resources of region; bytes[i] is gateway i's
// bytes processed in the last hour.
func natGatewayResources(gateways []ec2types.NatGateway, zones map[string]string, bytes []float64, region string) []models.Resource {
	out := make([]models.Resource, 0, len(gateways))
	for i, g := range gateways {
		subnet := awssdk.ToString(g.SubnetId)
		out = append(out, models.Resource{
			Service:   "vpc",
			Region:    region,
			ID:        awssdk.ToString(g.NatGatewayId),
			Name:      ec2Tag(g.Tags, "Name"),
			Kind:      models.KindNATGateway,
			Type:      "nat-gateway",
			State:     string(g.State),
			CreatedAt: awssdk.ToTime(g.CreateTime).UTC(),
			Attrs: map[string]string{
				"zone":      zones[subnet],
				"subnet_id": subnet,
				"vpc_id":    awssdk.ToString(g.VpcId),
			},
			Usage: map[string]float64{"bytes_processed_hour": bytes[i]},
		})
	}
	return out
}
