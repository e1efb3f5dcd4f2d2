package aws

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/internal/awstest"
	"costbot/models"
)

func TestNATGatewayBilled(t *testing.T) {
	for _, s := range ec2types.NatGatewayState("").Values() {
		want := s != ec2types.NatGatewayStateDeleted && s != ec2types.NatGatewayStateFailed
		if got := natGatewayBilled(s); got != want {
			t.Errorf("natGatewayBilled(%s) = %v, want %v", s, got, want)
		}
	}
}

// Every public address is listed once, from the interface that holds it or, for an idle
// Elastic IP, from the addresses; each says what holds it.
func TestPublicIPv4Resources(t *testing.T) {
	str := awssdk.String
	assoc := func(ip, alloc string) *ec2types.NetworkInterfaceAssociation {
		a := &ec2types.NetworkInterfaceAssociation{PublicIp: str(ip), IpOwnerId: str("amazon")}
		if alloc != "" {
			a.AllocationId, a.AssociationId, a.IpOwnerId = str(alloc), str("eipassoc-"+alloc), str("111122223333")
		}
		return a
	}
	enis := []ec2types.NetworkInterface{
		// An instance: an AWS-assigned address, and an Elastic IP on a secondary private address.
		{NetworkInterfaceId: str("eni-web"), Attachment: &ec2types.NetworkInterfaceAttachment{InstanceId: str("i-web")},
			TagSet: []ec2types.Tag{{Key: str("Name"), Value: str("web")}}, Association: assoc("3.0.0.1", ""),
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{
				{Association: assoc("3.0.0.1", "")}, // the primary again, as AWS repeats it
				{Association: assoc("3.0.0.9", "eipalloc-9")},
			}},
		// An internet-facing ALB's node, managed by ELB.
		{NetworkInterfaceId: str("eni-alb"), Description: str("ELB app/web-alb/50dc6c495c0c9188"), RequesterId: str("amazon-elb"),
			Association: assoc("3.0.0.2", "")},
		{NetworkInterfaceId: str("eni-nat"), Description: str("Interface for NAT Gateway nat-1"), InterfaceType: ec2types.NetworkInterfaceTypeNatGateway,
			Association: assoc("3.0.0.3", "eipalloc-3")},
		{NetworkInterfaceId: str("eni-rds"), Description: str("RDSNetworkInterface"), RequesterId: str("amazon-rds"), Association: assoc("3.0.0.4", "")},
		{NetworkInterfaceId: str("eni-ecs"), Description: str("arn:aws:ecs:us-east-1:111122223333:attachment/a1"), Association: assoc("3.0.0.5", "")},
		{NetworkInterfaceId: str("eni-private")}, // no public address
	}
	addrs := []ec2types.Address{
		{AllocationId: str("eipalloc-9"), PublicIp: str("3.0.0.9"), AssociationId: str("eipassoc-eipalloc-9"), InstanceId: str("i-web"), PublicIpv4Pool: str("amazon")},
		{AllocationId: str("eipalloc-3"), PublicIp: str("3.0.0.3"), AssociationId: str("eipassoc-eipalloc-3"), NetworkInterfaceId: str("eni-nat"), PublicIpv4Pool: str("amazon")},
		{AllocationId: str("eipalloc-idle"), PublicIp: str("3.0.0.7"), PublicIpv4Pool: str("amazon")},
		{AllocationId: str("eipalloc-byoip"), PublicIp: str("198.51.100.7"), PublicIpv4Pool: str("ipv4pool-ec2-1234")},
	}
	got := byID(t, publicIPv4Resources(enis, addrs, "us-east-1"))
	for _, tc := range []struct {
		id, kind, ip, holder, holderID string
		waste                          bool
		byoip                          string
	}{
		{"3.0.0.1", models.KindPublicIP, "3.0.0.1", "ec2", "i-web", false, ""},
		{"eipalloc-9", models.KindElasticIP, "3.0.0.9", "ec2", "i-web", false, ""},
		{"3.0.0.2", models.KindPublicIP, "3.0.0.2", "alb", "web-alb", false, ""},
		{"eipalloc-3", models.KindElasticIP, "3.0.0.3", "nat", "nat-1", false, ""},
		{"3.0.0.4", models.KindPublicIP, "3.0.0.4", "rds", "", false, ""},
		{"3.0.0.5", models.KindPublicIP, "3.0.0.5", "ecs", "arn:aws:ecs:us-east-1:111122223333:attachment/a1", false, ""},
		{"eipalloc-idle", models.KindElasticIP, "3.0.0.7", "", "", true, ""},
		{"eipalloc-byoip", models.KindElasticIP, "198.51.100.7", "", "", true, "true"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r := mustFind(t, got, tc.id)
			if r.Kind != tc.kind || r.Type != "public-ipv4" || r.Waste != tc.waste || (r.Waste && r.WasteReason == "") {
				t.Errorf("resource = %+v, want kind %s waste %v", r, tc.kind, tc.waste)
			}
			checkFacts(t, r, map[string]string{"public_ip": tc.ip, "holder": tc.holder, "holder_id": tc.holderID, "byoip": tc.byoip}, nil)
		})
	}
	if len(got) != 8 {
		t.Errorf("%d addresses listed, want each of the 8 once", len(got))
	}
	if r := got["3.0.0.1"]; r.Name != "web" {
		t.Errorf("instance address named %q, want the interface's Name tag", r.Name)
	}
	if r := got["3.0.0.2"]; r.Name != "alb web-alb" {
		t.Errorf("load balancer address named %q, want its holder", r.Name)
	}
}

func TestVPCReadsEveryPageAndTheLastHour(t *testing.T) {
	now := time.Date(2025, 6, 1, 10, 17, 0, 0, time.UTC)
	inWindow := awssdk.Time(time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC))
	nat := func(id, subnet string, state ec2types.NatGatewayState) ec2types.NatGateway {
		return ec2types.NatGateway{NatGatewayId: awssdk.String(id), SubnetId: awssdk.String(subnet), State: state, VpcId: awssdk.String("vpc-1")}
	}
	f := &fakeEC2{
		natPages: [][]ec2types.NatGateway{
			{nat("nat-1", "subnet-a", ec2types.NatGatewayStateAvailable), nat("nat-old", "subnet-a", ec2types.NatGatewayStateDeleted)},
			{nat("nat-2", "subnet-b", ec2types.NatGatewayStatePending), nat("nat-bad", "subnet-b", ec2types.NatGatewayStateFailed)},
		},
		subnets: []ec2types.Subnet{
			{SubnetId: awssdk.String("subnet-a"), AvailabilityZone: awssdk.String("ap-southeast-1a")},
			{SubnetId: awssdk.String("subnet-b"), AvailabilityZone: awssdk.String("ap-southeast-1b")},
		},
		eniPages: [][]ec2types.NetworkInterface{
			{{NetworkInterfaceId: awssdk.String("eni-1"), Association: &ec2types.NetworkInterfaceAssociation{PublicIp: awssdk.String("3.0.0.1")}}},
			{{NetworkInterfaceId: awssdk.String("eni-2"), Association: &ec2types.NetworkInterfaceAssociation{PublicIp: awssdk.String("3.0.0.2")}},
				{NetworkInterfaceId: awssdk.String("eni-3")}}, // no public address
		},
	}
	cw := &fakeMetrics{points: map[string][]cwtypes.Datapoint{
		metricKey("AWS/NATGateway", "BytesOutToDestination", map[string]string{"NatGatewayId": "nat-1"}): {{Timestamp: inWindow, Sum: awssdk.Float64(1000)}},
		metricKey("AWS/NATGateway", "BytesOutToSource", map[string]string{"NatGatewayId": "nat-1"}):      {{Timestamp: inWindow, Sum: awssdk.Float64(500)}},
		metricKey("AWS/NATGateway", "BytesInFromSource", map[string]string{"NatGatewayId": "nat-1"}):     {{Timestamp: inWindow, Sum: awssdk.Float64(7)}},
	}}
	c := &vpcCollector{
		client:  func(awssdk.Config) vpcAPI { return f },
		metrics: func(awssdk.Config) MetricsAPI { return cw },
		now:     func() time.Time { return now },
	}
	rs, err := c.Collect(t.Context(), awssdk.Config{Region: "ap-southeast-1"})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(t, rs)
	if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, []string{"3.0.0.1", "3.0.0.2", "nat-1", "nat-2"}) {
		t.Fatalf("resources = %v, want both NAT pages (not deleted/failed) and both interface pages", ids)
	}
	checkFacts(t, got["nat-1"], map[string]string{"zone": "ap-southeast-1a", "subnet_id": "subnet-a", "vpc_id": "vpc-1"},
		map[string]float64{"bytes_processed_hour": 1500})
	checkFacts(t, got["nat-2"], map[string]string{"zone": "ap-southeast-1b"}, map[string]float64{"bytes_processed_hour": 0})
	if !slices.Equal(f.natTokens, []string{"", "page-1"}) || !slices.Equal(f.eniTokens, []string{"", "page-1"}) {
		t.Errorf("NAT tokens = %q, interface tokens = %q", f.natTokens, f.eniTokens)
	}
	if cw.dataCalls != 1 || len(cw.stats) != 4 {
		t.Errorf("%d GetMetricData calls with %d queries, want both gateways' two metrics in one call", cw.dataCalls, len(cw.stats))
	}
	for _, in := range cw.stats {
		if !in.Start.Equal(now.Truncate(time.Hour).Add(-time.Hour)) || !in.End.Equal(now.Truncate(time.Hour)) ||
			in.Period != 3600 || in.Stat != "Sum" {
			t.Errorf("metric query %s: %v..%v period %d %v, want the last full hour's Sum", in.Metric, in.Start, in.End, in.Period, in.Stat)
		}
	}
}

// natGateway creates a VPC, a subnet in zone, an Elastic IP and a NAT gateway on them.
func natGateway(t *testing.T, ctx context.Context, api *ec2.Client, cidr, zone, name string) (gateway, subnet, vpc, allocation string) {
	t.Helper()
	v, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String(cidr + ".0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: awssdk.String(cidr + ".1.0/24"), AvailabilityZone: awssdk.String(zone)})
	if err != nil {
		t.Fatal(err)
	}
	eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	g, err := api.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: s.Subnet.SubnetId, AllocationId: eip.AllocationId,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeNatgateway,
			Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return *g.NatGateway.NatGatewayId, *s.Subnet.SubnetId, *v.Vpc.VpcId, *eip.AllocationId
}

func allocateAddress(t *testing.T, ctx context.Context, api *ec2.Client) *ec2.AllocateAddressOutput {
	t.Helper()
	eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	return eip
}

func TestVPCAgainstMoto(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	now := time.Now()
	start, end := lastHour(now)
	us := ec2.NewFromConfig(m.Config("us-east-1"))
	eu := ec2.NewFromConfig(m.Config("eu-west-1"))

	// us-east-1: an instance with an AWS-assigned public IP and an Elastic IP on a second
	// interface, a stopped instance, a spare Elastic IP and a NAT gateway with traffic.
	web := runInstance(t, ctx, us, ec2types.InstanceTypeT3Micro, "web", nil)
	webEIP, webEIPAddr := addPublicInterface(t, ctx, us, web)
	stopped := runInstance(t, ctx, us, ec2types.InstanceTypeT3Micro, "idle", nil)
	if _, err := us.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{*stopped.InstanceId}}); err != nil {
		t.Fatal(err)
	}
	usSpare := allocateAddress(t, ctx, us)
	usNAT, usSubnet, usVPC, usNATEIP := natGateway(t, ctx, us, "10.1", "us-east-1c", "nat-us")
	usCW := m.Config("us-east-1")
	bytes := func(cfg awssdk.Config, nat, metric string, at time.Time, v float64) {
		putMetric(t, ctx, cfg, "AWS/NATGateway", metric, map[string]string{"NatGatewayId": nat}, at, v, cwtypes.StandardUnitBytes)
	}
	bytes(usCW, usNAT, "BytesOutToDestination", start.Add(5*time.Minute), 1000)
	bytes(usCW, usNAT, "BytesOutToDestination", start.Add(50*time.Minute), 234)
	bytes(usCW, usNAT, "BytesOutToSource", start.Add(20*time.Minute), 500)
	bytes(usCW, usNAT, "BytesInFromSource", start.Add(20*time.Minute), 7777)                    // the same bytes, counted on arrival
	bytes(usCW, usNAT, "BytesOutToDestination", start.Add(-30*time.Minute), 99999)              // the hour before
	bytes(usCW, usNAT, "BytesOutToDestination", end.Add(time.Minute), 88888)                    // the current, unfinished hour
	bytes(m.Config("eu-west-1"), usNAT, "BytesOutToDestination", start.Add(time.Minute), 55555) // another region

	// eu-west-1: an instance, a spare Elastic IP and a NAT gateway.
	euInst := runInstance(t, ctx, eu, ec2types.InstanceTypeT3Micro, "eu", nil)
	euSpare := allocateAddress(t, ctx, eu)
	euNAT, _, _, euNATEIP := natGateway(t, ctx, eu, "10.2", "eu-west-1b", "nat-eu")
	bytes(m.Config("eu-west-1"), euNAT, "BytesOutToSource", start.Add(10*time.Minute), 42)

	c := newVPCCollector()
	c.now = func() time.Time { return now }
	usRes := byID(t, collectIn(t, ctx, c, m, "us-east-1"))
	euRes := byID(t, collectIn(t, ctx, c, m, "eu-west-1"))

	kinds := func(rs map[string]models.Resource) map[string][]string {
		out := map[string][]string{}
		for _, r := range rs {
			out[r.Kind] = append(out[r.Kind], r.ID)
		}
		for _, ids := range out {
			slices.Sort(ids)
		}
		return out
	}
	sorted := func(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }
	wantUS := map[string][]string{
		models.KindNATGateway: {usNAT},
		models.KindElasticIP:  sorted(webEIP, *usSpare.AllocationId, usNATEIP),
		models.KindPublicIP:   {*web.PublicIpAddress}, // not the Elastic IP, not the stopped instance's
	}
	wantEU := map[string][]string{
		models.KindNATGateway: {euNAT},
		models.KindElasticIP:  sorted(*euSpare.AllocationId, euNATEIP),
		models.KindPublicIP:   {*euInst.PublicIpAddress},
	}
	if got := kinds(usRes); !maps.EqualFunc(got, wantUS, slices.Equal) {
		t.Errorf("us-east-1 = %v, want %v", got, wantUS)
	}
	if got := kinds(euRes); !maps.EqualFunc(got, wantEU, slices.Equal) {
		t.Errorf("eu-west-1 = %v, want %v", got, wantEU)
	}

	t.Run("nat gateway", func(t *testing.T) {
		r := mustFind(t, usRes, usNAT)
		if r.Name != "nat-us" || r.Type != "nat-gateway" || r.State != "available" {
			t.Errorf("resource = %+v", r)
		}
		checkFacts(t, r, map[string]string{"zone": "us-east-1c", "subnet_id": usSubnet, "vpc_id": usVPC},
			map[string]float64{"bytes_processed_hour": 1000 + 234 + 500})
		checkFacts(t, mustFind(t, euRes, euNAT), map[string]string{"zone": "eu-west-1b"}, map[string]float64{"bytes_processed_hour": 42})
	})
	t.Run("elastic ips", func(t *testing.T) {
		for _, spare := range []models.Resource{mustFind(t, usRes, *usSpare.AllocationId), mustFind(t, euRes, *euSpare.AllocationId)} {
			if !spare.Waste || spare.WasteReason == "" || spare.Attr("association_id") != "" {
				t.Errorf("unassociated %+v, want waste with a reason", spare)
			}
		}
		for _, id := range []string{webEIP, usNATEIP} {
			r := mustFind(t, usRes, id)
			if r.Waste || r.Attr("association_id") == "" {
				t.Errorf("associated %+v, want in use", r)
			}
		}
		checkFacts(t, mustFind(t, usRes, webEIP), map[string]string{"public_ip": webEIPAddr}, nil)
	})
	t.Run("instance public ip", func(t *testing.T) {
		r := mustFind(t, usRes, *web.PublicIpAddress)
		if r.Waste || r.Name != "ec2 "+*web.InstanceId || r.Type != "public-ipv4" {
			t.Errorf("resource = %+v", r)
		}
		checkFacts(t, r, map[string]string{"public_ip": *web.PublicIpAddress, "instance_id": *web.InstanceId}, nil)
	})
}
