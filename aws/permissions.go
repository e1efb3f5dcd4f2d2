package aws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/qbusiness"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"costbot/models"
)

// The parts of costbot that are not collectors, as they appear in Permissions.
const (
	PartAccount        = "account"         // who the credentials are (every scan)
	PartLightsailGuard = "lightsail-guard" // the traffic guard's reads
	PartPricing        = "pricing"         // the Pricing API
	PartCostExplorer   = "cost-explorer"   // what AWS billed (COST_EXPLORER_INTERVAL)
	PartAccounts       = "accounts"        // AWS_ACCOUNTS: the organization's members, their roles
)

// Permission is what one part of costbot (a collector, by its COST_SERVICES name, or one
// of the Part names) needs from IAM: every read action its calls need, and one cheap read
// call AWS refuses when they are not granted, which needs Actions[0] and nothing else. deploy/iam-policy.json's read-only
// statement is exactly the union of Actions (aws/iam_policy_test.go), and each part's
// calls need no action outside its own list.
type Permission struct {
	Part    string
	Actions []string
	// Probe is the cheap call, with cfg.Region set; nil where the call costs money
	// (Cost Explorer: `costbot doctor` checks it on its own line).
	Probe func(ctx context.Context, cfg awssdk.Config) error
	// Global: the probe runs in us-east-1 whatever the regions.
	Global bool
}

// Permissions is the table `costbot doctor` checks: one entry per part of costbot.
var Permissions = []Permission{
	{Part: PartAccount, Global: true, Actions: []string{"sts:GetCallerIdentity"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error { _, _, err := Identity(ctx, cfg); return err }},
	// Assuming each member's role is checked account by account (`costbot doctor`).
	{Part: PartAccounts, Global: true, Actions: []string{"organizations:ListAccounts", "sts:AssumeRole"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := ListOrganizationAccounts(ctx, cfg)
			return err
		}},
	{Part: "ec2", Actions: []string{"ec2:DescribeInstances"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: awssdk.Int32(5)})
			return err
		}},
	{Part: "ebs", Actions: []string{"ec2:DescribeVolumes", "ec2:DescribeSnapshots"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: awssdk.Int32(5)})
			return err
		}},
	{Part: "vpc", Actions: []string{"ec2:DescribeNatGateways", "ec2:DescribeAddresses", "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{MaxResults: awssdk.Int32(5)})
			return err
		}},
	{Part: "rds", Actions: []string{"rds:DescribeDBInstances", "rds:DescribeDBSnapshots", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := rds.NewFromConfig(cfg).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: awssdk.Int32(20)})
			return err
		}},
	{Part: "lambda", Actions: []string{"lambda:ListFunctions", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: awssdk.Int32(1)})
			return err
		}},
	{Part: "s3", Global: true, Actions: []string{"s3:ListAllMyBuckets", "s3:GetBucketLocation", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := s3.NewFromConfig(cfg).ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: awssdk.Int32(1)})
			return err
		}},
	{Part: "fsx", Actions: []string{"fsx:DescribeFileSystems"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := fsx.NewFromConfig(cfg).DescribeFileSystems(ctx, &fsx.DescribeFileSystemsInput{MaxResults: awssdk.Int32(1)})
			return err
		}},
	{Part: "cloudwatch", Actions: []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "logs:DescribeLogGroups"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := newCloudWatch(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: awssdk.Int32(1)})
			return err
		}},
	{Part: "waf", Actions: []string{"wafv2:ListWebACLs", "wafv2:GetWebACL", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := wafv2.NewFromConfig(cfg).ListWebACLs(ctx, &wafv2.ListWebACLsInput{Scope: wafv2types.ScopeRegional, Limit: awssdk.Int32(1)})
			return err
		}},
	{Part: "q", Actions: []string{"qbusiness:ListApplications", "qbusiness:ListSubscriptions", "qbusiness:ListIndices", "qbusiness:GetIndex"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := qbusiness.NewFromConfig(cfg).ListApplications(ctx, &qbusiness.ListApplicationsInput{MaxResults: awssdk.Int32(1)})
			return err
		}},
	{Part: "cloudfront", Global: true, Actions: []string{"cloudfront:ListDistributions", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := cloudfront.NewFromConfig(cfg).ListDistributions(ctx, &cloudfront.ListDistributionsInput{MaxItems: awssdk.Int32(1)})
			return err
		}},
	{Part: "lightsail", Actions: []string{"lightsail:GetBundles", "lightsail:GetInstances", "lightsail:GetStaticIps", "lightsail:GetDisks", "lightsail:GetInstanceSnapshots", "lightsail:GetDiskSnapshots", "lightsail:GetInstanceMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := lightsail.NewFromConfig(cfg).GetBundles(ctx, &lightsail.GetBundlesInput{})
			return err
		}},
	{Part: "elb", Actions: []string{"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeInstanceHealth", "cloudwatch:GetMetricData"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := elbv2.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{PageSize: awssdk.Int32(1)})
			return err
		}},
	{Part: PartLightsailGuard, Actions: []string{"lightsail:GetInstances", "lightsail:GetInstance", "lightsail:GetInstanceMetricData", "lightsail:GetStaticIps"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := lightsail.NewFromConfig(cfg).GetInstances(ctx, &lightsail.GetInstancesInput{})
			return err
		}},
	{Part: PartPricing, Global: true, Actions: []string{"pricing:GetProducts"},
		Probe: func(ctx context.Context, cfg awssdk.Config) error {
			_, err := pricing.NewFromConfig(cfg).GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: awssdk.String("AmazonEC2"), MaxResults: awssdk.Int32(1)})
			return err
		}},
	{Part: PartCostExplorer, Global: true, Actions: []string{"ce:GetCostAndUsage"}},
}

// PermissionOf is the Permissions entry of part.
func PermissionOf(part string) (Permission, bool) {
	i := slices.IndexFunc(Permissions, func(p Permission) bool { return p.Part == part })
	if i < 0 {
		return Permission{}, false
	}
	return Permissions[i], true
}

// IsAccessDenied reports whether err is AWS refusing an action the credentials' policies
// do not allow: an access-denied code, or an HTTP 403 that is no set-up mistake and no
// region left disabled (an answer whose body the client could not read says no more).
func IsAccessDenied(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden &&
		ClassifySetupError(err, "") == nil && !IsRegionNotEnabled(err)
}

// ProbeResult is one part's probe.
type ProbeResult struct {
	Part   string
	Region string
	Err    error // nil: allowed
	Denied bool  // Err is AWS refusing the action
}

// probeTimeout bounds each probe: an endpoint that does not answer is said, not waited on.
const probeTimeout = 10 * time.Second

// ProbePermissions makes each part's probe call once, all at once (a handful of cheap
// reads), each bounded by probeTimeout and tried at most twice. A collector's probe runs
// in the first of costRegions it runs in (global ones in us-east-1), the guard's in the
// first of guardRegions. Results come in the order of parts.
func ProbePermissions(ctx context.Context, base awssdk.Config, costRegions, guardRegions []string, parts []string) []ProbeResult {
	var probes []Permission
	var regions []string
	for _, part := range parts {
		p, ok := PermissionOf(part)
		if !ok || p.Probe == nil {
			continue
		}
		region := probeRegion(part, costRegions, guardRegions)
		if p.Global || region == "" {
			region = globalTaskRegion
		}
		probes, regions = append(probes, p), append(regions, region)
	}
	out := make([]ProbeResult, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			cfg := base.Copy()
			cfg.Region = regions[i]
			cfg.RetryMaxAttempts = 2
			ctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			err := p.Probe(ctx, cfg)
			out[i] = ProbeResult{Part: p.Part, Region: regions[i], Err: err, Denied: IsAccessDenied(err)}
		})
	}
	wg.Wait()
	return out
}

// probeRegion is where part's calls go first; "" when it has no region of its own.
func probeRegion(part string, costRegions, guardRegions []string) string {
	regions := costRegions
	if part == PartLightsailGuard {
		regions = guardRegions
	} else if cs := Collectors([]string{part}); len(cs) == 1 {
		regions = taskRegions(cs[0], costRegions)
	}
	for _, r := range regions {
		if r != models.GlobalRegion {
			return r
		}
	}
	return ""
}

// MissingActions is what the denied parts need, sorted: the actions to add. A part whose
// probe AWS answered is taken as granted with all its actions (policies grant a
// service's reads together), so an action a denied part shares with an allowed one
// (cloudwatch:GetMetricData, say) is not asked for again.
func MissingActions(results []ProbeResult) []string {
	granted := map[string]bool{}
	for _, r := range results {
		if r.Err == nil {
			p, _ := PermissionOf(r.Part)
			for _, a := range p.Actions {
				granted[a] = true
			}
		}
	}
	var out []string
	for _, r := range results {
		if !r.Denied {
			continue
		}
		p, _ := PermissionOf(r.Part)
		for _, a := range p.Actions {
			if !granted[a] && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// PolicySnippet is a policy statement allowing actions, to add to the credentials' policy.
func PolicySnippet(actions []string) string {
	stmt := struct {
		Sid      string
		Effect   string
		Action   []string
		Resource string
	}{"CostbotMissing", "Allow", actions, "*"}
	raw, _ := json.MarshalIndent(stmt, "", "  ")
	return string(raw)
}
