package aws

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"costbot/internal/awstest"
)

// With moto enforcing IAM, each part's probe is refused exactly when the credentials'
// policy lacks its actions, and MissingActions is what the policy lacks.
func TestProbePermissionsFindsWhatThePolicyLacks(t *testing.T) {
	m := awstest.StartPrivateMoto(t)
	ctx := awstest.Context(t)
	// The parts whose IAM moto enforces. Lightsail, Q Business and Pricing it does not
	// serve; Lambda's ListFunctions, CloudWatch's DescribeAlarms and CloudFront's
	// ListDistributions it refuses even when the policy allows them (moto 5.2 derives
	// other action names). Its refusals of RDS, FSx and ELB come as an XML body those clients cannot
	// read: IsAccessDenied must take the HTTP 403 for what it is.
	parts := []string{PartAccount, "ec2", "ebs", "vpc", "rds", "s3", "fsx", "waf", "elb"}
	tests := []struct {
		name    string
		without []string // action prefixes the user's policy lacks
		denied  []string
		missing []string
	}{
		{"everything granted", nil, nil, nil},
		{"no rds, no fsx", []string{"rds:", "fsx:"}, []string{"fsx", "rds"},
			[]string{"fsx:DescribeFileSystems", "rds:DescribeDBInstances", "rds:DescribeDBSnapshots"}},
		{"no EBS reads", []string{"ec2:DescribeVolumes", "ec2:DescribeSnapshots"}, []string{"ebs"},
			[]string{"ec2:DescribeSnapshots", "ec2:DescribeVolumes"}},
		{"no load balancers, no WAF", []string{"elasticloadbalancing:", "wafv2:"}, []string{"elb", "waf"},
			[]string{"elasticloadbalancing:DescribeInstanceHealth", "elasticloadbalancing:DescribeLoadBalancers",
				"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
				"wafv2:GetWebACL", "wafv2:ListWebACLs"}},
	}
	type user struct{ id, secret string }
	users := make([]user, len(tests))
	for i, tt := range tests {
		users[i].id, users[i].secret = m.CreateUser(t, "costbot-"+strings.ReplaceAll(tt.name, " ", "-"), awstest.ReadOnlyPolicyWithout(t, "../deploy/iam-policy.json", tt.without...))
	}
	m.EnforceIAM(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := m.Config("us-east-1")
			cfg.Credentials = credentials.NewStaticCredentialsProvider(users[i].id, users[i].secret, "")
			results := ProbePermissions(ctx, cfg, []string{"us-east-1"}, []string{"us-east-1"}, parts)
			if len(results) != len(parts) {
				t.Fatalf("%d results for %d parts", len(results), len(parts))
			}
			var denied []string
			for _, r := range results {
				switch {
				case r.Denied:
					denied = append(denied, r.Part)
				case r.Err != nil:
					t.Errorf("%s: %v (neither allowed nor denied)", r.Part, r.Err)
				}
			}
			slices.Sort(denied)
			if !slices.Equal(denied, tt.denied) {
				t.Errorf("denied %v, want %v", denied, tt.denied)
			}
			if got := MissingActions(results); !slices.Equal(got, tt.missing) {
				t.Errorf("missing %v, want %v", got, tt.missing)
			}
		})
	}
}

// The snippet is a statement that, added to a policy, allows exactly the actions.
func TestPolicySnippet(t *testing.T) {
	actions := []string{"fsx:DescribeFileSystems", "rds:DescribeDBInstances"}
	var stmt struct {
		Effect   string
		Action   []string
		Resource string
	}
	if err := json.Unmarshal([]byte(PolicySnippet(actions)), &stmt); err != nil {
		t.Fatal(err)
	}
	if stmt.Effect != "Allow" || stmt.Resource != "*" || !slices.Equal(stmt.Action, actions) {
		t.Errorf("snippet %+v, want Allow %v on *", stmt, actions)
	}
}
