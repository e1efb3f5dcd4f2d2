package e2e

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"costbot/internal/awstest"
	"costbot/internal/tgtest"
)

// `costbot doctor`, run with keys whose policy lacks some actions (moto enforcing IAM),
// names the refused parts and prints a policy statement with exactly the missing actions.
func TestDoctorPrintsTheMissingActions(t *testing.T) {
	m := awstest.StartPrivateMoto(t)
	tg := tgtest.New(t)
	tests := []struct {
		name    string
		without []string
		refused string
		missing []string
	}{
		{"nothing missing", nil, "", nil},
		{"no rds, no fsx", []string{"rds:", "fsx:"}, "AWS refuses rds, fsx;",
			[]string{"fsx:DescribeFileSystems", "rds:DescribeDBInstances", "rds:DescribeDBSnapshots"}},
		{"no EC2 instances", []string{"ec2:DescribeInstances"}, "AWS refuses ec2;", []string{"ec2:DescribeInstances"}},
	}
	keys := make([][2]string, len(tests))
	for i, tt := range tests {
		keys[i][0], keys[i][1] = m.CreateUser(t, "doctor-"+strings.ReplaceAll(tt.name, " ", "-"),
			awstest.ReadOnlyPolicyWithout(t, "../deploy/iam-policy.json", tt.without...))
	}
	m.EnforceIAM(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := cleanEnv(append([]string{"TELEGRAM_API_URL=" + tg.URL(), "TELEGRAM_BOT_TOKEN=" + tg.Token(), "TELEGRAM_CHAT_IDS=1",
				"DB_PATH=" + filepath.Join(dir, "cost.db"), "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true",
				"AWS_ACCESS_KEY_ID=" + keys[i][0], "AWS_SECRET_ACCESS_KEY=" + keys[i][1], "AWS_REGION=us-east-1",
				"AWS_ENDPOINT_URL=" + m.URL, "COST_REGIONS=us-east-1", "COST_EXPLORER_INTERVAL=off",
				// The services whose IAM moto enforces faithfully (aws/permissions_test.go).
				"COST_SERVICES=ec2,ebs,vpc,rds,s3,fsx,waf,elb"}, unservedByMoto(t)...)...)
			out, errOut, code := runBinary(t, dir, env, "doctor")
			if tt.refused == "" {
				if code != 0 || !strings.Contains(out, "✓ permissions: 11 parts allowed") {
					t.Fatalf("doctor exit %d:\n%s%s", code, out, errOut)
				}
				return
			}
			if code != 1 {
				t.Errorf("doctor exit %d, want 1", code)
			}
			_, after, ok := strings.Cut(out, "✗ permissions: ")
			if !ok || !strings.HasPrefix(after, tt.refused) {
				t.Fatalf("doctor does not say %q:\n%s", tt.refused, out)
			}
			// The statement follows the line: a JSON object up to its closing brace.
			start := strings.Index(after, "{")
			end := strings.Index(after, "\n}")
			if start < 0 || end < start {
				t.Fatalf("no policy statement:\n%s", out)
			}
			var stmt struct {
				Effect   string
				Action   []string
				Resource string
			}
			if err := json.Unmarshal([]byte(after[start:end+2]), &stmt); err != nil {
				t.Fatalf("statement: %v\n%s", err, after[start:end+2])
			}
			if stmt.Effect != "Allow" || stmt.Resource != "*" || !slices.Equal(stmt.Action, tt.missing) {
				t.Errorf("statement %+v, want Allow %v on *", stmt, tt.missing)
			}
		})
	}
}

// unservedByMoto points the SDK at the in-process fakes for the services moto does not
// serve (Lightsail, Q Business, Pricing), so doctor's permission probes reach them.
func unservedByMoto(t *testing.T) []string {
	t.Helper()
	return []string{
		"AWS_ENDPOINT_URL_LIGHTSAIL=" + awstest.StartLightsail(t).URL,
		"AWS_ENDPOINT_URL_QBUSINESS=" + awstest.StartQBusiness(t).URL,
		"AWS_ENDPOINT_URL_PRICING=" + awstest.NewPricingServer(t, nil).URL,
	}
}
