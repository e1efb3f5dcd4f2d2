package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go/middleware"

	"costbot/internal/awstest"
)

// iamPrefix is the IAM service prefix of each SDK service ID costbot calls.
var iamPrefix = map[string]string{
	"EC2": "ec2", "RDS": "rds", "Lambda": "lambda", "S3": "s3", "CloudWatch": "cloudwatch",
	"CloudWatch Logs": "logs", "WAFV2": "wafv2", "FSx": "fsx", "CloudFront": "cloudfront",
	"Lightsail": "lightsail", "QBusiness": "qbusiness", "STS": "sts", "Pricing": "pricing",
	"Cost Explorer": "ce", "Organizations": "organizations",
	"Elastic Load Balancing v2": "elasticloadbalancing", "Elastic Load Balancing": "elasticloadbalancing",
}

// iamAction is the IAM action an API operation needs; S3's ListBuckets is the one whose
// action has another name.
func iamAction(serviceID, operation string) string {
	if serviceID == "S3" && operation == "ListBuckets" {
		return "s3:ListAllMyBuckets"
	}
	return iamPrefix[serviceID] + ":" + operation
}

// recordActions adds to cfg a middleware that records the IAM action of every call made
// with it.
func recordActions(cfg *awssdk.Config) func() []string {
	var mu sync.Mutex
	seen := map[string]bool{}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordAction",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				mu.Lock()
				seen[iamAction(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))] = true
				mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for a := range seen {
			out = append(out, a)
		}
		slices.Sort(out)
		return out
	}
}

type iamPolicy struct {
	Statement []struct {
		Effect   string
		Action   []string
		Resource any
	}
}

func (p iamPolicy) actions(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			t.Fatalf("statement with effect %q", s.Effect)
		}
		out = append(out, s.Action...)
	}
	slices.Sort(out)
	return out
}

// The IAM policy costbot documents allows every call its collectors and its Lightsail
// guard make, and asks for nothing they do not call; the README shows the same policy as
// deploy/iam-policy.json.
func TestIAMPolicyCoversEveryCall(t *testing.T) {
	raw, err := os.ReadFile("../deploy/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy iamPolicy
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatalf("deploy/iam-policy.json: %v", err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```json\n(\\{\n  \"Version\": \"2012-10-17\".*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md shows no IAM policy (a ```json block with \"Version\": \"2012-10-17\")")
	}
	var shown iamPolicy
	if err := json.Unmarshal(block[1], &shown); err != nil {
		t.Fatalf("README.md's IAM policy: %v", err)
	}
	if got, want := shown.actions(t), policy.actions(t); !slices.Equal(got, want) {
		t.Errorf("README.md's policy allows %v\ndeploy/iam-policy.json allows %v", got, want)
	}

	// One endpoint in front of moto and the Lightsail and Q Business fakes, chosen by the
	// service each request is signed for.
	m := freshMoto(t)
	ls := awstest.StartLightsail(t)
	q := awstest.StartQBusiness(t)
	ctx := awstest.Context(t)
	routes := map[string]*httputil.ReverseProxy{}
	prices := awstest.NewPricingServer(t, nil)
	for service, target := range map[string]string{"": m.URL, "lightsail": ls.URL, "qbusiness": q.URL, "pricing": prices.URL} {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		routes[service] = httputil.NewSingleHostReverseProxy(u)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, service := awstest.CredentialScope(r.Header.Get("Authorization"))
		if p, ok := routes[service]; ok {
			p.ServeHTTP(w, r)
			return
		}
		routes[""].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	// Something of every kind whose listing leads to further calls.
	const region = "us-east-1"
	account, err := AccountID(ctx, m.Config(region))
	if err != nil {
		t.Fatal(err)
	}
	seedAccount(t, ctx, m, region, lambdaRole(t, ctx, m, account), lambdaZip(t), true)
	if _, err := wafv2.NewFromConfig(m.Config(region)).CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: awssdk.String("edge"),
		Scope: wafv2types.ScopeRegional, DefaultAction: &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
		VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: awssdk.String("edge"), CloudWatchMetricsEnabled: true}}); err != nil {
		t.Fatal(err)
	}
	seedChargeKinds(t, ctx, m, region)
	if _, err := cloudwatchlogs.NewFromConfig(m.Config(region)).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: awssdk.String("/app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudfront.NewFromConfig(m.Config(region)).CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
		DistributionConfig: awstest.DistributionConfig("iam-policy", cftypes.PriceClassPriceClassAll)}); err != nil {
		t.Fatal(err)
	}
	ls.AddSnapshot(region, awstest.LightsailSnapshot{Name: "weekly", From: "web-1", SizeGB: 40})
	ls.AddSnapshot(region, awstest.LightsailSnapshot{Name: "disk-weekly", From: "data", Disk: true, SizeGB: 8})
	ls.AddBundle(region, awstest.LightsailBundle{ID: "small_3_0", Price: 10, TransferGB: 2048})
	ls.AddInstance(region, awstest.LightsailInstance{Name: "web-1", Bundle: "small_3_0", AllowanceGB: 2048})
	q.AddApplication(region, awstest.QApplication{ID: "app-1", Name: "helpdesk"})
	q.AddSubscription(region, "app-1", awstest.QSubscription{User: "u1", Current: "Q_BUSINESS"})
	q.AddIndex(region, "app-1", awstest.QIndex{ID: "ix-1", Name: "wiki"})

	cfg := awstest.Config(srv.URL, region)
	called := recordActions(&cfg)
	if _, err := AccountID(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := (&Scanner{Base: cfg, Regions: []string{region}, Services: registered(), Concurrency: 4, TaskTimeout: time.Minute}).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("scan errors: %+v", res.Errors)
	}
	// The guard's calls.
	if _, err := ListLightsailInstances(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := GetLightsailInstanceState(ctx, cfg, "web-1"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, _, err := LightsailNetworkBytes(ctx, cfg, "web-1", now.Add(-time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := StopLightsailInstance(ctx, cfg, "web-1"); err != nil {
		t.Fatal(err)
	}
	if err := StartLightsailInstance(ctx, cfg, "web-1"); err != nil {
		t.Fatal(err)
	}
	// The accounts' calls: the organization's members, a member's role.
	if err := listAndAssume(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// The billing job's call.
	if _, err := NewCostExplorer(cfg).BilledDays(ctx, now.Truncate(24*time.Hour).AddDate(0, 0, -1), now.Truncate(24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	checkPermissionsTable(t, ctx, srv.URL, region, policy)

	allowed := policy.actions(t)
	calls := called()
	for _, a := range calls {
		if strings.HasPrefix(a, ":") {
			t.Errorf("a call to a service with no IAM prefix in iamPrefix: %s", a)
		} else if !slices.Contains(allowed, a) {
			t.Errorf("costbot calls %s, which deploy/iam-policy.json does not allow", a)
		}
	}
	for _, a := range allowed {
		// Prices are read by package pricing, whose tests make that call.
		if a != "pricing:GetProducts" && !slices.Contains(calls, a) {
			t.Errorf("deploy/iam-policy.json allows %s, which nothing called", a)
		}
	}
}

// checkPermissionsTable: each part of costbot calls nothing its Permissions entry does
// not list, its probe needs exactly the entry's first action, and the entries together
// list deploy/iam-policy.json's read-only statement (Resource "*"), so what `costbot
// doctor` asks for cannot drift from the policy or the code.
func checkPermissionsTable(t *testing.T, ctx context.Context, endpoint, region string, policy iamPolicy) {
	t.Helper()
	now := time.Now().UTC()
	runs := map[string]func(cfg awssdk.Config) error{
		PartAccount: func(cfg awssdk.Config) error { _, err := AccountID(ctx, cfg); return err },
		PartLightsailGuard: func(cfg awssdk.Config) error {
			if _, err := ListLightsailInstances(ctx, cfg); err != nil {
				return err
			}
			if _, err := GetLightsailInstanceState(ctx, cfg, "web-1"); err != nil {
				return err
			}
			if _, err := LightsailTrafficReading(ctx, cfg, "web-1", now.Add(-time.Hour), now); err != nil {
				return err
			}
			_, _, err := LightsailStaticIPOf(ctx, cfg, "web-1")
			return err
		},
		PartCostExplorer: func(cfg awssdk.Config) error {
			_, err := NewCostExplorer(cfg).BilledDays(ctx, now.Truncate(24*time.Hour).AddDate(0, 0, -1), now.Truncate(24*time.Hour))
			return err
		},
		PartPricing:  func(cfg awssdk.Config) error { return nil }, // package pricing's calls; its probe is checked below
		PartAccounts: func(cfg awssdk.Config) error { return listAndAssume(ctx, cfg) },
	}
	for _, svc := range registered() {
		runs[svc] = func(cfg awssdk.Config) error {
			res, err := (&Scanner{Base: cfg, Regions: []string{region}, Services: []string{svc}, Concurrency: 2, TaskTimeout: time.Minute}).ScanMonthSoFar(ctx)
			if err == nil && len(res.Errors) > 0 {
				err = fmt.Errorf("scan errors: %+v", res.Errors)
			}
			return err
		}
	}
	var listed []string
	for _, p := range Permissions {
		listed = append(listed, p.Actions...)
		run, ok := runs[p.Part]
		if !ok {
			t.Errorf("Permissions lists %q, which is no collector or part of costbot", p.Part)
			continue
		}
		delete(runs, p.Part)
		cfg := awstest.Config(endpoint, region)
		called := recordActions(&cfg)
		if err := run(cfg); err != nil {
			t.Errorf("%s: %v", p.Part, err)
		}
		calls := called()
		for _, a := range calls {
			if a != "sts:GetCallerIdentity" && !slices.Contains(p.Actions, a) {
				t.Errorf("%s calls %s, which its Permissions entry does not list", p.Part, a)
			}
		}
		for _, a := range p.Actions {
			if p.Part != PartPricing && !slices.Contains(calls, a) {
				t.Errorf("Permissions lists %s for %s, which it did not call", a, p.Part)
			}
		}
		if p.Probe == nil {
			continue
		}
		cfg = awstest.Config(endpoint, region)
		called = recordActions(&cfg)
		if err := p.Probe(ctx, cfg); err != nil {
			t.Errorf("%s probe: %v", p.Part, err)
		}
		if got := called(); !slices.Equal(got, p.Actions[:1]) {
			t.Errorf("%s probe calls %v, want exactly its first action %v", p.Part, got, p.Actions[:1])
		}
	}
	for part := range runs {
		t.Errorf("Permissions has no entry for %s", part)
	}
	var readOnly []string
	for _, s := range policy.Statement {
		if s.Resource == "*" {
			readOnly = append(readOnly, s.Action...)
		}
	}
	slices.Sort(readOnly)
	slices.Sort(listed)
	if listed = slices.Compact(listed); !slices.Equal(listed, readOnly) {
		t.Errorf("Permissions lists %v\ndeploy/iam-policy.json's read-only statement allows %v", listed, readOnly)
	}
}

// listAndAssume makes the calls of AWS_ACCOUNTS: the organization's members listed, and
// one member's role assumed.
func listAndAssume(ctx context.Context, cfg awssdk.Config) error {
	if _, err := ListOrganizationAccounts(ctx, cfg); err != nil {
		return err
	}
	r := &AccountResolver{Base: cfg, RoleARNs: []string{"arn:aws:iam::111122223333:role/CostbotReadOnly"}}
	accounts, err := r.Resolve(ctx)
	if err != nil {
		return err
	}
	_, err = accounts[0].Config.Credentials.Retrieve(ctx)
	return err
}
