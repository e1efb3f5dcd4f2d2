package aws

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"costbot/internal/awstest"
	"costbot/models"
)

// myServices are the collectors this file's scans run.
var myServices = []string{"ec2", "ebs", "vpc", "rds", "lambda", "s3"}

// seedAccount creates in region, directly in moto, one of each kind of resource the
// regional collectors list, and a bucket when withBucket, and returns their keys
// ("service/region/id").
func seedAccount(t *testing.T, ctx context.Context, m *awstest.Moto, region, role string, code []byte, withBucket bool) []string {
	t.Helper()
	cfg := m.Config(region)
	api := ec2.NewFromConfig(cfg)
	key := func(service, id string) string { return service + "/" + region + "/" + id }
	var keys []string

	inst := runInstance(t, ctx, api, ec2types.InstanceTypeT3Micro, "app-"+region, nil)
	keys = append(keys, key("ec2", *inst.InstanceId), key("vpc", *inst.PublicIpAddress))
	vol := createVolume(t, ctx, api, &ec2.CreateVolumeInput{AvailabilityZone: inst.Placement.AvailabilityZone,
		Size: awssdk.Int32(30), VolumeType: ec2types.VolumeTypeGp3}, "spare-"+region)
	keys = append(keys, key("ebs", *vol.VolumeId))
	eip := allocateAddress(t, ctx, api)
	nat, _, _, natEIP := natGateway(t, ctx, api, "10.9", region+"a", "nat-"+region)
	keys = append(keys, key("vpc", *eip.AllocationId), key("vpc", nat), key("vpc", natEIP))

	db := "db-" + region
	if _, err := rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: awssdk.String(db), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
		AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery"),
	}); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, key("rds", db))

	fn := "fn-" + region
	if _, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String(fn),
		Role: awssdk.String(role), Runtime: lambdatypes.RuntimePython312, Handler: awssdk.String("handler.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: code}}); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, key("lambda", fn))
	if !withBucket {
		return keys
	}

	bucket := "costbot-scan-" + region
	in := &s3.CreateBucketInput{Bucket: awssdk.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := s3.NewFromConfig(cfg).CreateBucket(ctx, in); err != nil {
		t.Fatal(err)
	}
	return append(keys, key("s3", bucket))
}

// resourceKeys returns "service/region/id" of every resource in regions.
func resourceKeys(rs []models.Resource, regions ...string) []string {
	var keys []string
	for _, r := range rs {
		if slices.Contains(regions, r.Region) {
			keys = append(keys, r.Service+"/"+r.Region+"/"+r.ID)
		}
	}
	slices.Sort(keys)
	return keys
}

func TestScanThroughFaults(t *testing.T) {
	m := freshMoto(t)
	ctx := awstest.Context(t)
	account, err := AccountID(ctx, m.Config("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	role, code := lambdaRole(t, ctx, m, account), lambdaZip(t)
	const (
		healthy    = "us-east-1"
		throttled  = "eu-west-1"
		denied     = "us-west-2"
		notEnabled = "ap-east-1"
	)
	// No bucket in the denied region: its size could not be read, and the s3 task, which
	// lists every bucket of the account, would fail as a whole.
	var seeded []string
	for _, region := range []string{healthy, throttled, denied} {
		seeded = append(seeded, seedAccount(t, ctx, m, region, role, code, region != denied)...)
	}
	collectors := Collectors(myServices)
	if len(collectors) != len(myServices) {
		t.Fatalf("registered collectors %v, want %v", registered(), myServices)
	}

	// What a scan without faults finds: everything seeded in the two good regions.
	clean, err := (&Scanner{Base: m.Config("us-east-1"), Regions: []string{healthy, throttled}, Collectors: collectors, Concurrency: 4}).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(clean.Errors) > 0 {
		t.Fatalf("clean scan errors: %+v", clean.Errors)
	}
	want := resourceKeys(clean.Resources, healthy, throttled)
	for _, k := range seeded {
		if !strings.Contains(k, "/"+denied+"/") && !slices.Contains(want, k) {
			t.Errorf("clean scan misses seeded %s", k)
		}
	}

	proxy := awstest.NewFaultProxy(t, m.URL)
	proxy.Denied, proxy.NotEnabled, proxy.Throttled, proxy.Throttles = denied, notEnabled, throttled, 2
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	scanner := &Scanner{
		Base:        awstest.Config(srv.URL, "us-east-1"), // retries quickly
		Regions:     []string{healthy, throttled, denied, notEnabled},
		Collectors:  collectors,
		Concurrency: 4,
		TaskTimeout: time.Minute,
	}
	res, err := scanner.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("throttled region is complete", func(t *testing.T) {
		for _, service := range []string{"ec2", "rds", "lambda", "monitoring"} {
			if n := proxy.Count(throttled, service, awstest.ThrottleFault(service).Code); n != 2 {
				t.Errorf("%s in %s throttled %d times, want 2 (each retried)", service, throttled, n)
			}
		}
		if got := resourceKeys(res.Resources, healthy, throttled); !slices.Equal(got, want) {
			t.Errorf("resources in %s and %s:\n got %v\nwant %v", healthy, throttled, got, want)
		}
	})
	t.Run("failing regions list nothing", func(t *testing.T) {
		if got := resourceKeys(res.Resources, denied, notEnabled); len(got) > 0 {
			t.Errorf("resources from failing regions: %v", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		byRegion := map[string][]TaskError{}
		for _, e := range res.Errors {
			byRegion[e.Region] = append(byRegion[e.Region], e)
		}
		if regions := slices.Sorted(maps.Keys(byRegion)); !slices.Equal(regions, []string{notEnabled, denied}) {
			t.Fatalf("errors in regions %v, want only %s and %s: %+v", regions, notEnabled, denied, res.Errors)
		}
		var deniedServices []string
		for _, e := range byRegion[denied] {
			deniedServices = append(deniedServices, e.Service)
			if !strings.Contains(e.Error, "access denied") || !strings.Contains(e.Error, awstest.DeniedMessage) {
				t.Errorf("%s %s: error %q, want access denied with AWS's message", e.Service, e.Region, e.Error)
			}
		}
		regional := slices.DeleteFunc(slices.Clone(myServices), func(s string) bool { return s == "s3" })
		if slices.Sort(deniedServices); !slices.Equal(deniedServices, slices.Sorted(slices.Values(regional))) {
			t.Errorf("denied services = %v, want each regional one: %v", deniedServices, regional)
		}
		optIn := byRegion[notEnabled]
		if len(optIn) != 1 || optIn[0].Service != "*" || !strings.Contains(optIn[0].Error, "not enabled") || !strings.Contains(optIn[0].Error, notEnabled) {
			t.Errorf("%s errors = %+v, want one saying the region is not enabled", notEnabled, optIn)
		}
		for _, service := range []string{"ec2", "rds", "lambda"} {
			if proxy.Count(notEnabled, service, awstest.NotEnabledFault(service).Code) == 0 {
				t.Errorf("%s in %s never asked", service, notEnabled)
			}
		}
	})
	t.Run("account", func(t *testing.T) {
		if res.Account != account {
			t.Errorf("account = %q, want %q", res.Account, account)
		}
		for _, r := range res.Resources {
			if r.AccountID != account {
				t.Errorf("%s has account %q, want %q", r.Key(), r.AccountID, account)
			}
		}
		if len(res.Resources) == 0 {
			t.Error("no resources")
		}
	})
}

// orderCollector records when its tasks start.
type orderCollector struct {
	name   string
	global bool
	mu     *sync.Mutex
	starts *[]string
}

func (c orderCollector) Name() string { return c.name }
func (c orderCollector) Global() bool { return c.global }
func (c orderCollector) Collect(_ context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	region := cfg.Region
	if c.global {
		region = models.GlobalRegion
	}
	*c.starts = append(*c.starts, c.name+"/"+region)
	return []models.Resource{{ID: c.name + "-" + region}}, nil
}

// Global tasks, the longest chains of calls, are started before the regional ones, and
// every task runs once; a failed account lookup fails the scan.
func TestScanStartsGlobalTasksFirst(t *testing.T) {
	m := freshMoto(t)
	var mu sync.Mutex
	var starts []string
	collectors := []Collector{
		orderCollector{name: "ec2", mu: &mu, starts: &starts},
		orderCollector{name: "cloudfront", global: true, mu: &mu, starts: &starts},
		orderCollector{name: "rds", mu: &mu, starts: &starts},
		orderCollector{name: "s3", global: true, mu: &mu, starts: &starts},
	}
	res, err := (&Scanner{Base: m.Config("us-east-1"), Regions: []string{"us-east-1", "eu-west-1"}, Collectors: collectors, Concurrency: 1}).Scan(awstest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cloudfront/global", "s3/global", "ec2/us-east-1", "ec2/eu-west-1", "rds/us-east-1", "rds/eu-west-1"}
	if !slices.Equal(starts, want) {
		t.Fatalf("tasks started in order %v, want %v", starts, want)
	}
	if len(res.Resources) != len(want) || len(res.Tasks) != len(want) {
		t.Fatalf("%d resources from %d tasks, want %d of each", len(res.Resources), len(res.Tasks), len(want))
	}

	broken := awstest.Config("http://127.0.0.1:1", "us-east-1") // nothing listens there
	broken.RetryMaxAttempts = 1
	if _, err := (&Scanner{Base: broken, Regions: []string{"us-east-1"}, Collectors: collectors, Concurrency: 2}).Scan(awstest.Context(t)); err == nil {
		t.Fatal("scan with an unreachable STS succeeded")
	}
}
