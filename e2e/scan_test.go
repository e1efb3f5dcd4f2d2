package e2e

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"costbot/internal/awstest"
)

// seededAccount is what the end-to-end scan test creates: in moto, an account in two
// regions; a Lightsail server; an Amazon Q Business server; a Pricing API server with
// public list prices; and a region (eu-west-1) that answers access denied.
type seededAccount struct {
	env     []string
	pricing *awstest.PricingServer
	ids     map[string]string // what the test looks for, by name
}

func seedScanAccount(t *testing.T) *seededAccount {
	t.Helper()
	moto := awstest.StartMoto(t)
	moto.Reset(t)
	ctx := awstest.Context(t)
	ids := map[string]string{}

	runInstance := func(region, instanceType, name string) string {
		out, err := ec2.NewFromConfig(moto.Config(region)).RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: awssdk.String("ami-12c6146b"), InstanceType: ec2types.InstanceType(instanceType),
			MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
				Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}}},
		})
		if err != nil {
			t.Fatalf("run %s in %s: %v", instanceType, region, err)
		}
		return awssdk.ToString(out.Instances[0].InstanceId)
	}
	ids["web"] = runInstance("us-east-1", "t3.micro", "web")
	ids["tokyo"] = runInstance("ap-northeast-1", "m5.large", "tokyo")

	east := ec2.NewFromConfig(moto.Config("us-east-1"))
	vol, err := east.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String("us-east-1a"),
		Size: awssdk.Int32(100), VolumeType: ec2types.VolumeTypeGp3})
	if err != nil {
		t.Fatal(err)
	}
	ids["gp3"] = awssdk.ToString(vol.VolumeId)
	vpc, err := east.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.9.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := east.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: awssdk.String("10.9.1.0/24"), AvailabilityZone: awssdk.String("us-east-1a")})
	if err != nil {
		t.Fatal(err)
	}
	natEIP, err := east.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	nat, err := east.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: subnet.Subnet.SubnetId, AllocationId: natEIP.AllocationId})
	if err != nil {
		t.Fatal(err)
	}
	ids["nat"] = awssdk.ToString(nat.NatGateway.NatGatewayId)
	idle, err := east.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	ids["idle-ip"] = awssdk.ToString(idle.AllocationId)
	if _, err := rds.NewFromConfig(moto.Config("us-east-1")).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: awssdk.String("orders"), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
		AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("secret-password"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewFromConfig(moto.Config("us-east-1"), func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx,
		&s3.CreateBucketInput{Bucket: awssdk.String("costbot-e2e-logs")}); err != nil {
		t.Fatal(err)
	}

	lightsail := awstest.StartLightsail(t)
	lightsail.AddBundle("us-east-1", awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})
	lightsail.AddInstance("us-east-1", awstest.LightsailInstance{Name: "blog_1", Bundle: "small_3_0", AllowanceGB: 2048})
	q := awstest.StartQBusiness(t)
	q.AddApplication("us-east-1", awstest.QApplication{ID: "app-1", Name: "helpdesk"})
	q.AddSubscription("us-east-1", "app-1", awstest.QSubscription{User: "u1", Current: "Q_BUSINESS"})
	q.AddSubscription("us-east-1", "app-1", awstest.QSubscription{User: "u2", Current: "Q_LITE"})

	pricing := awstest.NewPricingServer(t, awstest.DefaultPricingCatalogue())
	proxy := awstest.NewFaultProxy(t, moto.URL)
	proxy.Denied = "eu-west-1"
	dir := t.TempDir()
	return &seededAccount{
		pricing: pricing,
		ids:     ids,
		env: cleanEnv(
			"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL="+proxy.Start(t),
			"AWS_ENDPOINT_URL_LIGHTSAIL="+lightsail.URL,
			"AWS_ENDPOINT_URL_QBUSINESS="+q.URL,
			"AWS_ENDPOINT_URL_PRICING="+pricing.URL,
			"AWS_MAX_ATTEMPTS=2",
			"COST_REGIONS=us-east-1,ap-northeast-1,eu-west-1",
			"DB_PATH="+filepath.Join(dir, "cost.db"),
		),
	}
}

type scannedResource struct {
	Account     string             `json:"account"`
	AccountName string             `json:"account_name"`
	Service     string             `json:"service"`
	Region      string             `json:"region"`
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Type        string             `json:"type"`
	State       string             `json:"state"`
	Waste       bool               `json:"waste"`
	Usage       map[string]float64 `json:"usage"`
	HourlyUSD   *float64           `json:"hourly_usd"`
	MonthlyUSD  *float64           `json:"monthly_usd"`
	PriceSource string             `json:"price_source"`
}

type scanOutput struct {
	Account   string                                    `json:"account"`
	Resources []scannedResource                         `json:"resources"`
	Errors    []struct{ Service, Region, Error string } `json:"errors"`
	Totals    struct {
		HourlyUSD  float64 `json:"hourly_usd"`
		MonthlyUSD float64 `json:"monthly_usd"`
		ByService  map[string]struct {
			Count      int     `json:"count"`
			HourlyUSD  float64 `json:"hourly_usd"`
			MonthlyUSD float64 `json:"monthly_usd"`
		} `json:"by_service"`
	} `json:"totals"`
}

func scanJSON(t *testing.T, env []string) scanOutput {
	t.Helper()
	out, errOut, code := runBinary(t, t.TempDir(), env, "scan", "--json")
	if code != 0 {
		t.Fatalf("scan exit %d: %s", code, errOut)
	}
	var doc scanOutput
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("scan output is not JSON: %v\n%s", err, out)
	}
	return doc
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestScanEndToEnd is issues 3 and 4's done-when: every seeded resource once with its
// facts and its list price from the API, the refused region in "errors", a second scan
// within the cache TTL making no Pricing call, and the Pricing API unreachable still
// pricing everything with fallback labels.
func TestScanEndToEnd(t *testing.T) {
	acct := seedScanAccount(t)
	doc := scanJSON(t, acct.env)
	if doc.Account != "123456789012" {
		t.Errorf("account = %q", doc.Account)
	}
	count := map[string]int{}
	for _, r := range doc.Resources {
		count[r.Service+"/"+r.ID]++
		if r.Account != "123456789012" {
			t.Errorf("%s %s carries account %q, want 123456789012", r.Service, r.ID, r.Account)
		}
	}
	for key, n := range count {
		if n != 1 {
			t.Errorf("%s listed %d times", key, n)
		}
	}
	find := func(doc scanOutput, service, id string) scannedResource {
		t.Helper()
		for _, r := range doc.Resources {
			if r.Service == service && r.ID == id {
				return r
			}
		}
		t.Fatalf("%s %s not in the scan", service, id)
		return scannedResource{}
	}
	hourly := func(service, id string, want float64, source string) {
		t.Helper()
		r := find(doc, service, id)
		if r.HourlyUSD == nil || !near(*r.HourlyUSD, want) || r.PriceSource != source {
			t.Errorf("%s %s: %+v, want $%v/h from %q", service, id, r, want, source)
		}
	}
	hourly("ec2", acct.ids["web"], 0.0104, "api")
	hourly("ec2", acct.ids["tokyo"], 0.124, "api")
	if r := find(doc, "ebs", acct.ids["gp3"]); r.MonthlyUSD == nil || math.Abs(*r.MonthlyUSD-8.00) > 0.005 || !r.Waste || r.Usage["size_gb"] != 100 {
		t.Errorf("100 GB gp3 volume = %+v, want $8.00/month, marked waste", r)
	}
	hourly("vpc", acct.ids["nat"], 0.045, "api")
	hourly("vpc", acct.ids["idle-ip"], 0.005, "api")
	// db.t3.micro MySQL Single-AZ $0.017/h plus 20 GB of gp2 storage at $0.115 per GB-month.
	hourly("rds", "orders", 0.017+20*0.115/730, "api")
	if r := find(doc, "lightsail", "blog_1"); r.HourlyUSD == nil || !near(*r.HourlyUSD, 10.0/730) {
		t.Errorf("lightsail blog_1 = %+v, want $10/month plan", r)
	}
	if r := find(doc, "q", "app-1"); r.Usage["users_pro"] != 1 || r.Usage["users_lite"] != 1 || r.MonthlyUSD == nil || math.Abs(*r.MonthlyUSD-23) > 0.005 {
		t.Errorf("q app = %+v, want 1 Pro + 1 Lite = $23/month", r)
	}
	find(doc, "s3", "costbot-e2e-logs")

	refused := 0
	for _, e := range doc.Errors {
		if e.Region == "eu-west-1" && strings.Contains(e.Error, "access denied") {
			refused++
		}
		if e.Region != "eu-west-1" {
			t.Errorf("unexpected error: %+v", e)
		}
	}
	if refused == 0 {
		t.Errorf("the refused region is not in errors: %+v", doc.Errors)
	}
	sum := 0.0
	for _, r := range doc.Resources {
		if r.HourlyUSD != nil {
			sum += *r.HourlyUSD
		}
	}
	if !near(sum, doc.Totals.HourlyUSD) || !near(doc.Totals.MonthlyUSD, doc.Totals.HourlyUSD*730) {
		t.Errorf("totals %v/%v, resources add up to %v", doc.Totals.HourlyUSD, doc.Totals.MonthlyUSD, sum)
	}

	t.Run("warm cache makes no Pricing call", func(t *testing.T) {
		before := acct.pricing.Calls("GetProducts")
		again := scanJSON(t, acct.env)
		if after := acct.pricing.Calls("GetProducts"); after != before {
			t.Errorf("second scan made %d Pricing calls, want 0: %+v", after-before, acct.pricing.Requests()[before:])
		}
		for _, r := range again.Resources {
			// Lightsail plan prices come from Lightsail's own API (GetBundles), not Pricing.
			if r.PriceSource == "api" && r.Service != "lightsail" && costs(r) {
				t.Errorf("%s %s labelled api on a warm cache", r.Service, r.ID)
			}
		}
	})
	t.Run("Pricing API unreachable falls back", func(t *testing.T) {
		env := append([]string(nil), acct.env...)
		env = append(env, "AWS_ENDPOINT_URL_PRICING=http://127.0.0.1:1", "DB_PATH="+filepath.Join(t.TempDir(), "fresh.db"))
		down := scanJSON(t, env)
		for _, r := range down.Resources {
			if costs(r) && r.Service != "lightsail" && r.PriceSource != "fallback" {
				t.Errorf("%s %s priced from %q with the API down", r.Service, r.ID, r.PriceSource)
			}
		}
		for service, id := range map[string]string{"ec2": acct.ids["web"], "vpc": acct.ids["nat"], "rds": "orders"} {
			if r := find(down, service, id); r.HourlyUSD == nil {
				t.Errorf("%s %s unpriced", service, id)
			}
		}
	})
}

// costs reports whether a resource has a price above zero (an empty bucket needs none).
func costs(r scannedResource) bool { return r.HourlyUSD != nil && *r.HourlyUSD > 0 }
