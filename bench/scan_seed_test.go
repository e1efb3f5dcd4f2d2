package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"golang.org/x/sync/errgroup"

	"costbot/config"
	"costbot/internal/awstest"
)

// scanSeed is what seedScanAccount creates in each of the six default regions, and in
// the account as a whole.
type scanSeed struct {
	Instances, Volumes, EIPs, Functions, DBs, Alarms, LogGroups, Lightsail int // per region
	FileSystems, WebACLs                                                   int // per region
	LoadBalancers                                                          int // per region: ALBs with a target group, and one Classic
	Buckets, Distributions, GlobalWebACLs                                  int // in all
}

var defaultScanSeed = scanSeed{Instances: 100, Volumes: 20, EIPs: 10, Functions: 8, DBs: 2, Alarms: 10, LogGroups: 5, Lightsail: 5,
	FileSystems: 2, WebACLs: 2, Buckets: 30, Distributions: 3, GlobalWebACLs: 1, LoadBalancers: 2}

// largeScanSeed is about 10,000 resources (the memory target's account).
var largeScanSeed = scanSeed{Instances: 320, Volumes: 220, EIPs: 50, Functions: 20, DBs: 2, Alarms: 160, LogGroups: 160, Lightsail: 120,
	FileSystems: 2, WebACLs: 2, Buckets: 60, Distributions: 3, GlobalWebACLs: 1, LoadBalancers: 2}

// seedScanAccount creates seed's resources in moto and the fakes, the regions in
// parallel.
func seedScanAccount(b *testing.B, moto *awstest.Moto, ls *awstest.Lightsail, q *awstest.QBusiness, seed scanSeed) {
	ctx := context.Background()
	role := lambdaRole(b, moto)
	code := lambdaZip(b)
	g, ctx := errgroup.WithContext(ctx)
	for ri, region := range config.DefaultRegions {
		g.Go(func() error { return seedRegion(ctx, moto.Config(region), region, role, code, seed) })
		ls.AddBundle(region, awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})

		for i := range seed.Lightsail {
			ls.AddInstance(region, awstest.LightsailInstance{Name: fmt.Sprintf("ls-%d-%d", ri, i), Bundle: "small_3_0", AllowanceGB: 2048})
		}
	}
	g.Go(func() error { return seedGlobal(ctx, moto.Config("us-east-1"), seed) })
	q.AddApplication("us-east-1", awstest.QApplication{ID: "app-1", Name: "helpdesk"})
	q.AddSubscription("us-east-1", "app-1", awstest.QSubscription{User: "u1", Current: "Q_BUSINESS"})
	g.Go(func() error {
		for i := range seed.Buckets {
			region := config.DefaultRegions[i%len(config.DefaultRegions)]
			api := s3.NewFromConfig(moto.Config(region), func(o *s3.Options) { o.UsePathStyle = true })
			in := &s3.CreateBucketInput{Bucket: awssdk.String(fmt.Sprintf("costbot-bench-%03d", i))}
			if region != "us-east-1" {
				in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
			}
			if _, err := api.CreateBucket(ctx, in); err != nil {
				return fmt.Errorf("bucket %d: %w", i, err)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func seedRegion(ctx context.Context, cfg awssdk.Config, region, role string, code []byte, seed scanSeed) error {
	api := ec2.NewFromConfig(cfg)
	for left := seed.Instances; left > 0; left -= 50 {
		n := int32(min(left, 50))
		if _, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
			InstanceType: ec2types.InstanceTypeT3Micro, MinCount: awssdk.Int32(n), MaxCount: awssdk.Int32(n)}); err != nil {
			return fmt.Errorf("%s: run instances: %w", region, err)
		}
	}
	for i := range seed.Volumes {
		if _, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String(region + "a"),
			Size: awssdk.Int32(int32(10 + i)), VolumeType: ec2types.VolumeTypeGp3}); err != nil {
			return fmt.Errorf("%s: create volume: %w", region, err)
		}
	}
	for range seed.EIPs {
		if _, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}); err != nil {
			return fmt.Errorf("%s: allocate address: %w", region, err)
		}
	}
	fns := lambda.NewFromConfig(cfg)
	for i := range seed.Functions {
		if _, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String(fmt.Sprintf("fn-%d", i)),
			Role: awssdk.String(role), Runtime: lambdatypes.RuntimePython312, Handler: awssdk.String("handler.handler"),
			Code: &lambdatypes.FunctionCode{ZipFile: code}}); err != nil {
			return fmt.Errorf("%s: create function: %w", region, err)
		}
	}
	dbs := rds.NewFromConfig(cfg)
	for i := range seed.DBs {
		if _, err := dbs.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: awssdk.String(fmt.Sprintf("db-%d", i)), DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("mysql"),
			AllocatedStorage: awssdk.Int32(20), MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("correct-horse-battery"),
		}); err != nil {
			return fmt.Errorf("%s: create db: %w", region, err)
		}
	}
	cw := awstest.CloudWatch(cfg)
	for i := range seed.Alarms {
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: awssdk.String(fmt.Sprintf("alarm-%d", i)),
			Namespace: awssdk.String("Costbot/Bench"), MetricName: awssdk.String(fmt.Sprintf("m%d", i)),
			Statistic: cwtypes.StatisticAverage, Period: awssdk.Int32(300), EvaluationPeriods: awssdk.Int32(1),
			Threshold: awssdk.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
			return fmt.Errorf("%s: put alarm: %w", region, err)
		}
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	for i := range seed.LogGroups {
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: awssdk.String(fmt.Sprintf("/bench/%d", i))}); err != nil {
			return fmt.Errorf("%s: create log group: %w", region, err)
		}
	}
	for i := range seed.WebACLs {
		if err := createWebACL(ctx, cfg, wafv2types.ScopeRegional, fmt.Sprintf("acl-%s-%d", region, i)); err != nil {
			return err
		}
	}
	files := fsx.NewFromConfig(cfg)
	for range seed.FileSystems {
		if _, err := files.CreateFileSystem(ctx, &fsx.CreateFileSystemInput{FileSystemType: fsxtypes.FileSystemTypeWindows,
			StorageCapacity: awssdk.Int32(300), StorageType: fsxtypes.StorageTypeHdd, SubnetIds: []string{"subnet-1"},
			WindowsConfiguration: &fsxtypes.CreateFileSystemWindowsConfiguration{DeploymentType: fsxtypes.WindowsDeploymentTypeSingleAz2,
				ThroughputCapacity: awssdk.Int32(64)}}); err != nil {
			return fmt.Errorf("%s: create file system: %w", region, err)
		}
	}
	return seedLoadBalancers(ctx, cfg, region, seed.LoadBalancers)
}

// seedGlobal creates the CloudFront distributions and the CLOUDFRONT-scope web ACLs.
func seedGlobal(ctx context.Context, cfg awssdk.Config, seed scanSeed) error {
	cf := cloudfront.NewFromConfig(cfg)
	for i := range seed.Distributions {
		if _, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
			DistributionConfig: awstest.DistributionConfig(fmt.Sprintf("bench-%d", i), cftypes.PriceClassPriceClass100)}); err != nil {
			return fmt.Errorf("create distribution: %w", err)
		}
	}
	for i := range seed.GlobalWebACLs {
		if err := createWebACL(ctx, cfg, wafv2types.ScopeCloudfront, fmt.Sprintf("cdn-acl-%d", i)); err != nil {
			return err
		}
	}
	return nil
}

// createWebACL creates a web ACL of scope with two rules.
func createWebACL(ctx context.Context, cfg awssdk.Config, scope wafv2types.Scope, name string) error {
	var rules []wafv2types.Rule
	for i := range 2 {
		rule := fmt.Sprintf("%s-rule-%d", name, i)
		rules = append(rules, wafv2types.Rule{Name: awssdk.String(rule), Priority: int32(i),
			Statement: &wafv2types.Statement{RateBasedStatement: &wafv2types.RateBasedStatement{
				Limit: awssdk.Int64(1000), AggregateKeyType: wafv2types.RateBasedStatementAggregateKeyTypeIp}},
			Action:           &wafv2types.RuleAction{Block: &wafv2types.BlockAction{}},
			VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: awssdk.String(rule), CloudWatchMetricsEnabled: true}})
	}
	_, err := wafv2.NewFromConfig(cfg).CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: awssdk.String(name), Scope: scope, Rules: rules,
		DefaultAction:    &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
		VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: awssdk.String(name), CloudWatchMetricsEnabled: true}})
	if err != nil {
		return fmt.Errorf("%s: create web ACL %s: %w", cfg.Region, name, err)
	}
	return nil
}

// lambdaRole creates in moto the IAM role the functions are created with.
func lambdaRole(b *testing.B, m *awstest.Moto) string {
	const name = "costbot-bench-lambda"
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, _ := http.NewRequest(http.MethodPost, m.URL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("create role: %d %s", resp.StatusCode, body)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

func lambdaZip(b *testing.B) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("handler.py")
	if err != nil {
		b.Fatal(err)
	}
	io.WriteString(f, "def handler(event, context):\n    return event\n")
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
