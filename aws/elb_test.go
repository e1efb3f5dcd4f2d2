package aws

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestELBWaste(t *testing.T) {
	now := time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC)
	old, young := now.Add(-30*24*time.Hour), now.Add(-2*24*time.Hour)
	for _, tc := range []struct {
		name                string
		created             time.Time
		registered, healthy int
		traffic             float64
		want                bool
	}{
		{"serving", old, 2, 1, 100, false},
		{"no targets", old, 0, 0, 100, true},
		{"no healthy targets", old, 2, 0, 100, true},
		{"a week without traffic", old, 2, 2, 0, true},
		{"young and quiet", young, 2, 2, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := models.Resource{CreatedAt: tc.created, Usage: map[string]float64{"traffic_7d": tc.traffic}}
			got, reason := elbWaste(r, tc.registered, tc.healthy, now)
			if got != tc.want || (got && reason == "") {
				t.Errorf("elbWaste = %v %q, want %v with a reason", got, reason, tc.want)
			}
		})
	}
}

// seededLoadBalancers are what seedLoadBalancers made.
type seededLoadBalancers struct {
	vpc, alb, nlb, classic string
	backend                ec2types.Instance
}

// seedLoadBalancers creates, in a new VPC with two subnets, an internet-facing ALB in
// both subnets forwarding to an instance, a Network Load Balancer with no target, and a
// Classic load balancer ("legacy") with the instance registered.
func seedLoadBalancers(t *testing.T, ctx context.Context, cfg awssdk.Config, region, cidr string) seededLoadBalancers {
	t.Helper()
	ec2api := ec2.NewFromConfig(cfg)
	v2 := elbv2.NewFromConfig(cfg)
	vpc, subnets := elbVPC(t, ctx, ec2api, region, cidr)
	inst := runInstance(t, ctx, ec2api, ec2types.InstanceTypeT3Micro, "backend", func(in *ec2.RunInstancesInput) { in.SubnetId = &subnets[0] })
	alb, err := v2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String("web"), Subnets: subnets,
		Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing, Type: elbv2types.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatal(err)
	}
	albARN := *alb.LoadBalancers[0].LoadBalancerArn
	tg, err := v2.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: awssdk.String("web"), Protocol: elbv2types.ProtocolEnumHttp,
		Port: awssdk.Int32(80), VpcId: &vpc, TargetType: elbv2types.TargetTypeEnumInstance})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := tg.TargetGroups[0].TargetGroupArn
	if _, err := v2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN,
		Targets: []elbv2types.TargetDescription{{Id: inst.InstanceId, Port: awssdk.Int32(80)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: &albARN, Protocol: elbv2types.ProtocolEnumHttp,
		Port: awssdk.Int32(80), DefaultActions: []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, TargetGroupArn: tgARN}}}); err != nil {
		t.Fatal(err)
	}
	nlb, err := v2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String("spare"), Subnets: subnets[:1],
		Type: elbv2types.LoadBalancerTypeEnumNetwork})
	if err != nil {
		t.Fatal(err)
	}
	classic := elb.NewFromConfig(cfg)
	if _, err := classic.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{LoadBalancerName: awssdk.String("legacy"),
		Subnets: subnets, Listeners: []elbtypes.Listener{{Protocol: awssdk.String("HTTP"), LoadBalancerPort: 80, InstancePort: awssdk.Int32(80)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := classic.RegisterInstancesWithLoadBalancer(ctx, &elb.RegisterInstancesWithLoadBalancerInput{
		LoadBalancerName: awssdk.String("legacy"), Instances: []elbtypes.Instance{{InstanceId: inst.InstanceId}}}); err != nil {
		t.Fatal(err)
	}
	return seededLoadBalancers{vpc: vpc, alb: albARN, nlb: *nlb.LoadBalancers[0].LoadBalancerArn, classic: "legacy", backend: inst}
}

// elbVPC creates a VPC with a subnet in each of two zones of region.
func elbVPC(t *testing.T, ctx context.Context, api *ec2.Client, region, cidr string) (vpc string, subnets []string) {
	t.Helper()
	v, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String(cidr + ".0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	for i, zone := range []string{"a", "b"} {
		s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId,
			CidrBlock: awssdk.String(cidr + "." + string(rune('1'+i)) + ".0/24"), AvailabilityZone: awssdk.String(region + zone)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, *s.Subnet.SubnetId)
	}
	return *v.Vpc.VpcId, subnets
}

// Against moto: an internet-facing ALB in two subnets with a healthy target and traffic,
// a Network Load Balancer with nothing behind it, and a Classic one with an instance, in
// two regions; the last hour's capacity units and bytes come from CloudWatch.
func TestELBAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, _ := lastHour(now)
	c := newELBCollector()
	c.now = func() time.Time { return now }

	for i, region := range twoRegions {
		t.Run(region, func(t *testing.T) {
			cfg := m.Config(region)
			lbs := seedLoadBalancers(t, ctx, cfg, region, "10."+string(rune('5'+i)))
			albARN, nlbARN, vpc := lbs.alb, lbs.nlb, lbs.vpc
			albDim := map[string]string{"LoadBalancer": albARN[len("arn:aws:elasticloadbalancing:"+region+":123456789012:loadbalancer/"):]}
			put := func(ns, metric string, dims map[string]string, at time.Time, v float64, unit cwtypes.StandardUnit) {
				putMetric(t, ctx, cfg, ns, metric, dims, at, v, unit)
			}
			put("AWS/ApplicationELB", "ConsumedLCUs", albDim, start.Add(10*time.Minute), 2.5, cwtypes.StandardUnitCount)
			put("AWS/ApplicationELB", "ConsumedLCUs", albDim, start.Add(-2*time.Hour), 40, cwtypes.StandardUnitCount) // an earlier hour
			put("AWS/ApplicationELB", "RequestCount", albDim, start.Add(-3*24*time.Hour), 1200, cwtypes.StandardUnitCount)
			put("AWS/ELB", "EstimatedProcessedBytes", map[string]string{"LoadBalancerName": "legacy"}, start.Add(5*time.Minute), 3<<30, cwtypes.StandardUnitBytes)
			put("AWS/ELB", "RequestCount", map[string]string{"LoadBalancerName": "legacy"}, start.Add(5*time.Minute), 10, cwtypes.StandardUnitCount)

			got := byID(t, collectIn(t, ctx, c, m, region))
			if len(got) != 3 {
				t.Fatalf("got %d load balancers, want 3: %v", len(got), got)
			}
			a := mustFind(t, got, albARN)
			if a.Kind != models.KindLoadBalancer || a.Type != "application" || a.Name != "web" || a.Waste {
				t.Errorf("ALB = %+v, want a serving application load balancer", a)
			}
			checkFacts(t, a, map[string]string{"scheme": "internet-facing", "vpc_id": vpc},
				map[string]float64{"lcu_hour": 2.5, "traffic_7d": 1200, "targets_registered": 1})
			n := mustFind(t, got, nlbARN)
			if n.Type != "network" || !n.Waste || n.WasteReason != "load balancer has no registered targets" {
				t.Errorf("NLB = %+v, want waste: no registered targets", n)
			}
			l := mustFind(t, got, "legacy")
			if l.Type != "classic" || l.Waste {
				t.Errorf("classic = %+v, want a serving classic load balancer", l)
			}
			checkFacts(t, l, nil, map[string]float64{"bytes_processed_hour": 3 << 30, "targets_registered": 1, "targets_healthy": 1})
		})
	}
}
