package aws

import (
	"context"
	"fmt"
	"slices"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/models"
)

func init() { register(newEC2Collector()) }

// ec2InstancesAPI is the part of EC2 the instance collector uses.
type ec2InstancesAPI interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// ec2Collector lists the instances that cost money: every state but terminated and
// shutting-down (a stopped instance still holds its volumes and Elastic IPs).
type ec2Collector struct {
	client func(awssdk.Config) ec2InstancesAPI
}

func newEC2Collector() *ec2Collector {
	return &ec2Collector{client: func(cfg awssdk.Config) ec2InstancesAPI { return ec2.NewFromConfig(cfg) }}
}

func (c *ec2Collector) Name() string { return "ec2" }
func (c *ec2Collector) Global() bool { return false }

func (c *ec2Collector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	instances, err := describeInstances(ctx, c.client(cfg), billableInstanceStates)
	if err != nil {
		return nil, fmt.Errorf("ec2 %s: describe instances: %w", cfg.Region, err)
	}
	return ec2Instances(instances, cfg.Region), nil
}

// billableInstanceStates are the instance states an account pays something for.
var billableInstanceStates = []ec2types.InstanceStateName{
	ec2types.InstanceStateNamePending,
	ec2types.InstanceStateNameRunning,
	ec2types.InstanceStateNameStopping,
	ec2types.InstanceStateNameStopped,
}

// describeInstances reads every page of instances in the given states.
func describeInstances(ctx context.Context, api ec2InstancesAPI, states []ec2types.InstanceStateName) ([]ec2types.Instance, error) {
	values := make([]string, len(states))
	for i, s := range states {
		values[i] = string(s)
	}
	p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{
		Filters:    []ec2types.Filter{{Name: awssdk.String("instance-state-name"), Values: values}},
		MaxResults: awssdk.Int32(1000),
	})
	var out []ec2types.Instance
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				if inst.State != nil && slices.Contains(states, inst.State.Name) {
					out = append(out, inst)
				}
			}
		}
	}
	return out, nil
}

// ec2Instances turns instances into resources of region.
func ec2Instances(instances []ec2types.Instance, region string) []models.Resource {
	out := make([]models.Resource, 0, len(instances))
	for _, inst := range instances {
		launched := awssdk.ToTime(inst.LaunchTime).UTC()
		r := models.Resource{
			Service:   "ec2",
			Region:    region,
			ID:        awssdk.ToString(inst.InstanceId),
			Name:      ec2Tag(inst.Tags, "Name"),
			Kind:      models.KindInstance,
			Type:      string(inst.InstanceType),
			CreatedAt: launched,
			Attrs: map[string]string{
				"platform":  instancePlatform(inst),
				"tenancy":   "default",
				"lifecycle": "on-demand",
				"zone":      "",
			},
			Usage: map[string]float64{"public_ipv4": float64(len(instancePublicIPs(inst)))},
		}
		if inst.State != nil {
			r.State = string(inst.State.Name)
		}
		if inst.Placement != nil {
			r.Attrs["zone"] = awssdk.ToString(inst.Placement.AvailabilityZone)
			if inst.Placement.Tenancy != "" {
				r.Attrs["tenancy"] = string(inst.Placement.Tenancy)
			}
		}
		if inst.InstanceLifecycle != "" {
			r.Attrs["lifecycle"] = string(inst.InstanceLifecycle)
		}
		if !launched.IsZero() {
			r.Attrs["launch_time"] = launched.Format(time.RFC3339)
		}
		out = append(out, r)
	}
	return out
}

// instancePlatform is the billing platform ("Linux/UNIX", "Windows", "Red Hat Enterprise
// Linux" ...). PlatformDetails says it exactly; where it is missing, Platform only tells
// Windows from everything else.
func instancePlatform(inst ec2types.Instance) string {
	if p := awssdk.ToString(inst.PlatformDetails); p != "" {
		return p
	}
	if inst.Platform == ec2types.PlatformValuesWindows {
		return "Windows"
	}
	return "Linux/UNIX"
}

// instancePublicIPs lists the distinct public IPv4 addresses of an instance: its primary
// public IP and every public IP associated with any private IP of any of its network
// interfaces, Elastic IPs included.
func instancePublicIPs(inst ec2types.Instance) []string {
	var ips []string
	add := func(ip *string) {
		if s := awssdk.ToString(ip); s != "" && !slices.Contains(ips, s) {
			ips = append(ips, s)
		}
	}
	add(inst.PublicIpAddress)
	for _, ni := range inst.NetworkInterfaces {
		if ni.Association != nil {
			add(ni.Association.PublicIp)
		}
		for _, pip := range ni.PrivateIpAddresses {
			if pip.Association != nil {
				add(pip.Association.PublicIp)
			}
		}
	}
	slices.Sort(ips)
	return ips
}

// ec2Tag returns the value of the tag key, or "".
func ec2Tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if awssdk.ToString(t.Key) == key {
			return awssdk.ToString(t.Value)
		}
	}
	return ""
}
