package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/jonboulle/clockwork"

	"costbot/aws"
	"costbot/internal/awstest"
	"costbot/models"
	"costbot/pricing"
)

// The charges that surprise a small account, scanned from moto, priced by the Pricing
// test server and collected by a costbot started on the 20th: an internet-facing ALB in
// two subnets (with a public address on each), a publicly accessible RDS instance on
// MySQL 5.7 (Extended Support, and its address), two EBS snapshots. Each is listed and
// priced at list price, and nothing costbot could not price is stored as a bare $0.
func TestSurprisingChargesScenario(t *testing.T) {
	m := awstest.StartMoto(t)
	m.Reset(t)
	ctx := awstest.Context(t)
	const region = "us-east-1"
	cfg := m.Config(region)
	api := ec2.NewFromConfig(cfg)

	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.7.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
			CidrBlock: awssdk.String([]string{"10.7.1.0/24", "10.7.2.0/24"}[i]), AvailabilityZone: awssdk.String(zone)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, *s.Subnet.SubnetId)
	}
	alb, err := elbv2.NewFromConfig(cfg).CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String("shop"),
		Subnets: subnets, Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing, Type: elbv2types.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatal(err)
	}
	albARN := *alb.LoadBalancers[0].LoadBalancerArn
	// AWS gives an internet-facing ALB a node with a public address in each subnet, and a
	// publicly accessible DB instance one: interfaces the services own.
	publicInterface := func(subnet, description string) string {
		t.Helper()
		eni, err := api.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &subnet, Description: &description})
		if err != nil {
			t.Fatal(err)
		}
		eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterface.NetworkInterfaceId}); err != nil {
			t.Fatal(err)
		}
		return *eip.AllocationId
	}
	albNode := "ELB app/shop/" + albARN[strings.LastIndex(albARN, "/")+1:]
	albIPs := []string{publicInterface(subnets[0], albNode), publicInterface(subnets[1], albNode)}
	rdsIP := publicInterface(subnets[0], "RDSNetworkInterface")

	if _, err := rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("shop-db"),
		DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"), EngineVersion: awssdk.String("5.7.44"),
		AllocatedStorage: awssdk.Int32(20), StorageType: awssdk.String("gp2"), PubliclyAccessible: awssdk.Bool(true),
		MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery")}); err != nil {
		t.Fatal(err)
	}
	vol, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String("us-east-1a"), Size: awssdk.Int32(40), VolumeType: ec2types.VolumeTypeGp3})
	if err != nil {
		t.Fatal(err)
	}
	var snaps []string
	for range 2 {
		s, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, *s.SnapshotId)
	}

	store := openStore(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 20, 10, 5, 0, 0, time.UTC))
	prices := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	scanner := &aws.Scanner{Base: cfg, Regions: []string{region}, Services: []string{"ebs", "vpc", "rds", "elb"},
		Concurrency: 4, TaskTimeout: time.Minute, Now: clock.Now}
	pricer := pricing.New(store, pricing.NewAPIClient(prices.Config()), pricing.Options{Now: clock.Now})
	c := NewCollector(store, scanner, pricer, &fakeNotifier{}, CollectorOptions{Clock: clock})
	sum, err := c.CollectNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) != 0 {
		t.Fatalf("scan errors: %v", sum.Errors)
	}

	rows := resourceRows(t, store)
	find := func(service, id string) models.ResourceRow {
		t.Helper()
		for _, r := range rows {
			if r.Service == service && r.ResourceID == id {
				return r
			}
		}
		t.Fatalf("%s %s not listed", service, id)
		return models.ResourceRow{}
	}
	for _, tc := range []struct {
		service, id string
		hourly      float64 // at list price
		warning     string
	}{
		// The ALB's hour (no capacity units used yet).
		{"elb", albARN, 0.0225, ""},
		// A public IPv4 address on each of its nodes, and the database's.
		{"vpc", albIPs[0], 0.005, ""},
		{"vpc", albIPs[1], 0.005, ""},
		{"vpc", rdsIP, 0.005, ""},
		// db.t3.micro 0.017, 20 GB gp2 at 0.115 a month, and MySQL 5.7's third year of
		// Extended Support in December 2026: 2 vCPUs x 0.200.
		{"rds", "shop-db", 0.017 + 20*0.115/730 + 0.4, "upgrade to stop paying $292.00 a month"},
		// Two snapshots of a 40 GB volume at 0.05 a GB-month, upper bounds.
		{"ebs", snaps[0], 40 * 0.05 / 730, "upper bound"},
		{"ebs", snaps[1], 40 * 0.05 / 730, "upper bound"},
	} {
		r := find(tc.service, tc.id)
		if !r.Priced || r.PriceSource == models.SourceFallback {
			t.Errorf("%s %s: priced %v from %q (%s), want a list price from the API", tc.service, tc.id, r.Priced, r.PriceSource, r.PriceNote)
		}
		approx(t, tc.service+" "+tc.id, r.HourlyUSD, tc.hourly)
		if !strings.Contains(r.PriceWarning, tc.warning) {
			t.Errorf("%s %s: warning %q, want %q", tc.service, tc.id, r.PriceWarning, tc.warning)
		}
	}
	for _, ip := range append(albIPs, rdsIP) {
		if r := find("vpc", ip); !strings.Contains(r.Name, "alb shop") && !strings.Contains(r.Name, "rds") {
			t.Errorf("address %s named %q, want what holds it", ip, r.Name)
		}
	}
	// Nothing is stored as a bare $0: an unpriced resource carries why.
	for _, r := range rows {
		if !r.Priced && strings.TrimSpace(r.PriceNote) == "" {
			t.Errorf("%s %s is unpriced without a reason", r.Service, r.ResourceID)
		}
	}
	if un, err := store.UnpricedActive(context.Background(), nil); err != nil || len(un) != 0 {
		t.Errorf("unpriced = %v (%v), want every charge priced", un, err)
	}
}
