package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"costbot/internal/tgtest"
)

// On a host without AWS credentials (or with an SSO session past its expiry), `costbot
// scan` and `costbot doctor` each name the cause and its fix in one line, once, not once
// per region or service and not as the SDK's error chain.
func TestSetUpMistakesSaidOnce(t *testing.T) {
	tests := []struct {
		name   string
		config string // ~/.aws/config, "" for none
		env    []string
		cause  string
		fix    string
	}{
		{"no credentials", "", nil, "no AWS credentials found", "AWS_ACCESS_KEY_ID"},
		{"expired SSO session", "[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n",
			[]string{"AWS_PROFILE=dev"}, "the AWS SSO session has expired", "aws sso login --profile dev"},
	}
	tg := tgtest.New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home, dir := t.TempDir(), t.TempDir()
			if tt.config != "" {
				if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(tt.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := cleanEnv(append([]string{"HOME=" + home, "AWS_EC2_METADATA_DISABLED=true", "DB_PATH=" + filepath.Join(dir, "cost.db"),
				"COST_REGIONS=us-east-1,us-west-2,ap-southeast-1,ap-east-1,eu-west-1,ap-northeast-1", "TELEGRAM_API_URL=" + tg.URL(), "TELEGRAM_BOT_TOKEN=" + tg.Token(), "TELEGRAM_CHAT_IDS=1"}, tt.env...)...)

			out, errOut, code := runBinary(t, dir, env, "scan")
			if code != 1 {
				t.Errorf("scan exit %d, want 1", code)
			}
			all := out + errOut
			if n := strings.Count(all, tt.cause); n != 1 || !strings.Contains(all, tt.fix) || strings.Contains(all, "operation error") {
				t.Errorf("scan said the cause %d times (want once, with %q, without the SDK chain):\n%s", n, tt.fix, all)
			}
			if lines := strings.Count(strings.TrimSpace(all), "\n") + 1; lines != 1 {
				t.Errorf("scan printed %d lines, want 1:\n%s", lines, all)
			}

			out, errOut, code = runBinary(t, dir, env, "doctor")
			if code != 1 {
				t.Errorf("doctor exit %d, want 1", code)
			}
			var awsLine string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "✗ aws: ") {
					awsLine = line
				}
			}
			if !strings.Contains(awsLine, tt.cause) || !strings.Contains(awsLine, tt.fix) || strings.Contains(out+errOut, "operation error") {
				t.Errorf("doctor's aws line %q, want the cause and %q, and no SDK chain anywhere:\n%s%s", awsLine, tt.fix, out, errOut)
			}
			if strings.Count(out, "✗") != 1 {
				t.Errorf("doctor reports more than the one failure:\n%s", out)
			}
		})
	}
}
