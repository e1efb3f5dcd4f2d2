package aws

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestEC2Instances(t *testing.T) {
	launched := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	assoc := func(ip string) *ec2types.InstanceNetworkInterfaceAssociation {
		return &ec2types.InstanceNetworkInterfaceAssociation{PublicIp: awssdk.String(ip)}
	}
	tests := []struct {
		name      string
		inst      ec2types.Instance
		platform  string
		tenancy   string
		lifecycle string
		publicIPs float64
	}{
		{
			name: "platform details win over platform",
			inst: ec2types.Instance{PlatformDetails: awssdk.String("Red Hat Enterprise Linux"),
				Placement: &ec2types.Placement{Tenancy: ec2types.TenancyDedicated}},
			platform: "Red Hat Enterprise Linux", tenancy: "dedicated", lifecycle: "on-demand",
		},
		{
			name:     "windows without platform details",
			inst:     ec2types.Instance{Platform: ec2types.PlatformValuesWindows, InstanceLifecycle: ec2types.InstanceLifecycleTypeSpot},
			platform: "Windows", tenancy: "default", lifecycle: "spot",
		},
		{
			name: "every distinct public IP on every interface",
			inst: ec2types.Instance{
				PublicIpAddress: awssdk.String("3.0.0.1"),
				NetworkInterfaces: []ec2types.InstanceNetworkInterface{
					{Association: assoc("3.0.0.1"), PrivateIpAddresses: []ec2types.InstancePrivateIpAddress{
						{Association: assoc("3.0.0.1")}, {Association: assoc("3.0.0.2")}, {}}},
					{PrivateIpAddresses: []ec2types.InstancePrivateIpAddress{{Association: assoc("3.0.0.3")}}},
					{},
				},
			},
			platform: "Linux/UNIX", tenancy: "default", lifecycle: "on-demand", publicIPs: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.inst.InstanceId = awssdk.String("i-1")
			tt.inst.InstanceType = ec2types.InstanceTypeT3Micro
			tt.inst.LaunchTime = awssdk.Time(launched)
			tt.inst.State = &ec2types.InstanceState{Name: ec2types.InstanceStateNameStopped}
			tt.inst.Tags = []ec2types.Tag{{Key: awssdk.String("env"), Value: awssdk.String("x")}, {Key: awssdk.String("Name"), Value: awssdk.String("web")}}
			if tt.inst.Placement == nil {
				tt.inst.Placement = &ec2types.Placement{}
			}
			tt.inst.Placement.AvailabilityZone = awssdk.String("ap-east-1b")

			rs := ec2Instances([]ec2types.Instance{tt.inst}, "ap-east-1")
			if len(rs) != 1 {
				t.Fatalf("got %d resources", len(rs))
			}
			r := rs[0]
			if r.ID != "i-1" || r.Name != "web" || r.Type != "t3.micro" || r.Kind != "instance" || r.State != "stopped" ||
				r.Region != "ap-east-1" || r.Service != "ec2" || !r.CreatedAt.Equal(launched) {
				t.Errorf("resource = %+v", r)
			}
			checkFacts(t, r, map[string]string{
				"platform": tt.platform, "tenancy": tt.tenancy, "lifecycle": tt.lifecycle,
				"zone": "ap-east-1b", "launch_time": "2025-03-04T05:06:07Z",
			}, map[string]float64{"public_ipv4": tt.publicIPs})
		})
	}
}

// fakeEC2 pages instances, volumes and NAT gateways, and answers subnets and addresses.
// It is safe for concurrent use.
type fakeEC2 struct {
	instancePages [][]ec2types.Reservation
	volumePages   [][]ec2types.Volume
	natPages      [][]ec2types.NatGateway
	subnets       []ec2types.Subnet
	addresses     []ec2types.Address
	eniPages      [][]ec2types.NetworkInterface
	snapshotPages [][]ec2types.Snapshot

	mu            sync.Mutex
	instanceCalls []*ec2.DescribeInstancesInput
	volumeTokens  []string
	natTokens     []string
	eniTokens     []string
}

func (f *fakeEC2) DescribeNetworkInterfaces(_ context.Context, in *ec2.DescribeNetworkInterfacesInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.eniTokens = append(f.eniTokens, awssdk.ToString(in.NextToken))
	if len(f.eniPages) == 0 {
		return &ec2.DescribeNetworkInterfacesOutput{}, nil
	}
	p, next, err := page(f.eniPages, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: p, NextToken: next}, nil
}

func (f *fakeEC2) DescribeSnapshots(_ context.Context, in *ec2.DescribeSnapshotsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	if len(f.snapshotPages) == 0 {
		return &ec2.DescribeSnapshotsOutput{}, nil
	}
	p, next, err := page(f.snapshotPages, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeSnapshotsOutput{Snapshots: p, NextToken: next}, nil
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instanceCalls = append(f.instanceCalls, in)
	p, next, err := page(f.instancePages, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeInstancesOutput{Reservations: p, NextToken: next}, nil
}

func (f *fakeEC2) DescribeVolumes(_ context.Context, in *ec2.DescribeVolumesInput, _ ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.volumeTokens = append(f.volumeTokens, awssdk.ToString(in.NextToken))
	p, next, err := page(f.volumePages, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeVolumesOutput{Volumes: p, NextToken: next}, nil
}

func (f *fakeEC2) DescribeNatGateways(_ context.Context, in *ec2.DescribeNatGatewaysInput, _ ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.natTokens = append(f.natTokens, awssdk.ToString(in.NextToken))
	p, next, err := page(f.natPages, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeNatGatewaysOutput{NatGateways: p, NextToken: next}, nil
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	var out []ec2types.Subnet
	for _, s := range f.subnets {
		for _, flt := range in.Filters {
			if awssdk.ToString(flt.Name) == "subnet-id" && slices.Contains(flt.Values, awssdk.ToString(s.SubnetId)) {
				out = append(out, s)
			}
		}
	}
	return &ec2.DescribeSubnetsOutput{Subnets: out}, nil
}

func (f *fakeEC2) DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error) {
	return &ec2.DescribeAddressesOutput{Addresses: f.addresses}, nil
}

func fakeInstance(id string, state ec2types.InstanceStateName, publicIP string) ec2types.Instance {
	inst := ec2types.Instance{InstanceId: awssdk.String(id), State: &ec2types.InstanceState{Name: state}}
	if publicIP != "" {
		inst.PublicIpAddress = awssdk.String(publicIP)
	}
	return inst
}

func TestEC2ReadsEveryPageAndAsksForBillableStates(t *testing.T) {
	f := &fakeEC2{instancePages: [][]ec2types.Reservation{
		{{Instances: []ec2types.Instance{fakeInstance("i-1", ec2types.InstanceStateNameRunning, "")}}},
		{{Instances: []ec2types.Instance{
			fakeInstance("i-2", ec2types.InstanceStateNameStopped, ""),
			fakeInstance("i-gone", ec2types.InstanceStateNameTerminated, ""),
		}}},
	}}
	c := &ec2Collector{client: func(awssdk.Config) ec2InstancesAPI { return f }}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(byID(t, rs))); !slices.Equal(got, []string{"i-1", "i-2"}) {
		t.Errorf("instances = %v, want i-1 (page 1) and i-2 (page 2), not the terminated one", got)
	}
	var tokens []string
	for _, in := range f.instanceCalls {
		tokens = append(tokens, awssdk.ToString(in.NextToken))
	}
	if !slices.Equal(tokens, []string{"", "page-1"}) {
		t.Fatalf("tokens asked = %q", tokens)
	}
	filters := f.instanceCalls[0].Filters
	if len(filters) != 1 || awssdk.ToString(filters[0].Name) != "instance-state-name" ||
		!slices.Equal(slices.Sorted(slices.Values(filters[0].Values)), []string{"pending", "running", "stopped", "stopping"}) {
		t.Errorf("filters = %+v", filters)
	}
}

// runInstance starts one instance in moto and returns it as RunInstances described it.
func runInstance(t *testing.T, ctx context.Context, api *ec2.Client, typ ec2types.InstanceType, name string, opts func(*ec2.RunInstancesInput)) ec2types.Instance {
	t.Helper()
	in := &ec2.RunInstancesInput{
		ImageId: awssdk.String("ami-12c6146b"), InstanceType: typ,
		MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}},
	}
	if opts != nil {
		opts(in)
	}
	out, err := api.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("run instance %s: %v", name, err)
	}
	return out.Instances[0]
}

// addPublicInterface attaches a second network interface to inst with a new Elastic IP
// on it, and returns the Elastic IP's allocation ID and address.
func addPublicInterface(t *testing.T, ctx context.Context, api *ec2.Client, inst ec2types.Instance) (string, string) {
	t.Helper()
	eni, err := api.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: inst.SubnetId})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{
		NetworkInterfaceId: eni.NetworkInterface.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: awssdk.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AssociateAddress(ctx, &ec2.AssociateAddressInput{
		AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterface.NetworkInterfaceId}); err != nil {
		t.Fatal(err)
	}
	return awssdk.ToString(eip.AllocationId), awssdk.ToString(eip.PublicIp)
}

func TestEC2AgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	us := ec2.NewFromConfig(m.Config("us-east-1"))
	eu := ec2.NewFromConfig(m.Config("eu-west-1"))

	web := runInstance(t, ctx, us, ec2types.InstanceTypeT3Micro, "web", nil)
	if awssdk.ToString(web.PublicIpAddress) == "" {
		t.Fatal("precondition: moto gave the instance no public IP")
	}
	addPublicInterface(t, ctx, us, web) // one more public IPv4: 2 in all
	spot := runInstance(t, ctx, us, ec2types.InstanceTypeM5Large, "batch", func(in *ec2.RunInstancesInput) {
		in.InstanceMarketOptions = &ec2types.InstanceMarketOptionsRequest{MarketType: ec2types.MarketTypeSpot}
	})
	stopped := runInstance(t, ctx, us, ec2types.InstanceTypeT3Small, "idle", nil)
	if _, err := us.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{*stopped.InstanceId}}); err != nil {
		t.Fatal(err)
	}
	gone := runInstance(t, ctx, us, ec2types.InstanceTypeT3Micro, "gone", nil)
	if _, err := us.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*gone.InstanceId}}); err != nil {
		t.Fatal(err)
	}
	euInst := runInstance(t, ctx, eu, ec2types.InstanceTypeC5Xlarge, "eu-api", nil)
	if awssdk.ToString(euInst.PublicIpAddress) == "" {
		t.Fatal("precondition: moto gave the eu-west-1 instance no public IP")
	}

	c := newEC2Collector()
	usRes := byID(t, collectIn(t, ctx, c, m, "us-east-1"))
	euRes := byID(t, collectIn(t, ctx, c, m, "eu-west-1"))

	if got, want := slices.Sorted(maps.Keys(usRes)), slices.Sorted(slices.Values([]string{*web.InstanceId, *spot.InstanceId, *stopped.InstanceId})); !slices.Equal(got, want) {
		t.Errorf("us-east-1 instances = %v, want %v (not the terminated %s)", got, want, *gone.InstanceId)
	}
	if got := slices.Collect(maps.Keys(euRes)); !slices.Equal(got, []string{*euInst.InstanceId}) {
		t.Errorf("eu-west-1 instances = %v, want [%s]", got, *euInst.InstanceId)
	}

	tests := []struct {
		inst      ec2types.Instance
		res       map[string]models.Resource
		name      string
		state     string
		lifecycle string
		publicIPs float64
	}{
		{web, usRes, "web", "running", "on-demand", 2},
		{spot, usRes, "batch", "running", "spot", -1},
		{stopped, usRes, "idle", "stopped", "on-demand", -1},
		{euInst, euRes, "eu-api", "running", "on-demand", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustFind(t, tt.res, *tt.inst.InstanceId)
			if r.Name != tt.name || r.Type != string(tt.inst.InstanceType) || r.State != tt.state || r.Kind != "instance" {
				t.Errorf("resource = %+v", r)
			}
			checkFacts(t, r, map[string]string{
				"platform":    "Linux/UNIX", // moto leaves PlatformDetails out: the fallback
				"tenancy":     "default",
				"lifecycle":   tt.lifecycle,
				"zone":        awssdk.ToString(tt.inst.Placement.AvailabilityZone),
				"launch_time": awssdk.ToTime(tt.inst.LaunchTime).UTC().Format(time.RFC3339),
			}, nil)
			if tt.publicIPs >= 0 {
				checkFacts(t, r, nil, map[string]float64{"public_ipv4": tt.publicIPs})
			}
		})
	}
}
