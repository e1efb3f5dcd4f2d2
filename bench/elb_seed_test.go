package bench

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// seedLoadBalancers creates, in a VPC of its own with two subnets, n internet-facing
// ALBs with a target group each, and one Classic load balancer, so the elb scan makes
// every call it makes in an account: both listings, the target groups and their health.
func seedLoadBalancers(ctx context.Context, cfg awssdk.Config, region string, n int) error {
	if n == 0 {
		return nil
	}
	api := ec2.NewFromConfig(cfg)
	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.90.0.0/16")})
	if err != nil {
		return fmt.Errorf("%s: create vpc: %w", region, err)
	}
	var subnets []string
	for i, zone := range []string{"a", "c"} { // every default region has a and c
		s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
			CidrBlock: awssdk.String(fmt.Sprintf("10.90.%d.0/24", i+1)), AvailabilityZone: awssdk.String(region + zone)})
		if err != nil {
			return fmt.Errorf("%s: create subnet: %w", region, err)
		}
		subnets = append(subnets, *s.Subnet.SubnetId)
	}
	v2 := elbv2.NewFromConfig(cfg)
	for i := range n {
		lb, err := v2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String(fmt.Sprintf("alb-%d", i)), Subnets: subnets,
			Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing, Type: elbv2types.LoadBalancerTypeEnumApplication})
		if err != nil {
			return fmt.Errorf("%s: create load balancer: %w", region, err)
		}
		tg, err := v2.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: awssdk.String(fmt.Sprintf("tg-%d", i)),
			Protocol: elbv2types.ProtocolEnumHttp, Port: awssdk.Int32(80), VpcId: vpc.Vpc.VpcId})
		if err != nil {
			return fmt.Errorf("%s: create target group: %w", region, err)
		}
		if _, err := v2.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
			Protocol: elbv2types.ProtocolEnumHttp, Port: awssdk.Int32(80),
			DefaultActions: []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}); err != nil {
			return fmt.Errorf("%s: create listener: %w", region, err)
		}
	}
	if _, err := elb.NewFromConfig(cfg).CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{LoadBalancerName: awssdk.String("classic"),
		Subnets: subnets, Listeners: []elbtypes.Listener{{Protocol: awssdk.String("HTTP"), LoadBalancerPort: 80, InstancePort: awssdk.Int32(80)}}}); err != nil {
		return fmt.Errorf("%s: create classic load balancer: %w", region, err)
	}
	return nil
}
