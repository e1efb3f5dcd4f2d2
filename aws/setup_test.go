package aws

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"costbot/internal/awstest"
)

// emptyAWSHome points the SDK's whole credential chain at nothing: no variables, an
// empty home, no instance metadata. files are written under the new home.
func emptyAWSHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL"} {
		t.Setenv(name, "")
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	for name, body := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// Every set-up mistake a person can act on is named, with its fix, in one line, from
// the error the real SDK gives; other failures are left alone.
func TestClassifySetupError(t *testing.T) {
	m := awstest.StartPrivateMoto(t)
	ctx := awstest.Context(t)
	limitedID, limitedSecret := m.CreateUser(t, "limited", awstest.ReadOnlyPolicyWithout(t, "../deploy/iam-policy.json", "rds:"))
	nobodyID, nobodySecret := m.CreateUser(t, "nobody", "")
	m.EnforceIAM(t)
	withKeys := func(id, secret string) awssdk.Config {
		cfg := m.Config("us-east-1")
		cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, "")
		return cfg
	}
	// STS endpoints answering as AWS does a session token past its expiry and an access
	// key it does not know (moto answers the latter with a body the client cannot read).
	stsRefusing := func(code, message string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>4f7d7a4e-8f8b-4c55-9e51-0c0d8d0e8c1a</RequestId></ErrorResponse>`, code, message)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	expired := stsRefusing("ExpiredToken", "The security token included in the request is expired")
	unknownKey := stsRefusing("InvalidClientTokenId", "The security token included in the request is invalid.")
	const startURL = "https://example.awsapps.com/start"
	sum := sha1.Sum([]byte(startURL))

	tests := []struct {
		name    string
		err     func(t *testing.T) error
		cause   SetupCause // "" for no set-up mistake
		fixHint string
	}{
		{"no credentials anywhere", func(t *testing.T) error {
			emptyAWSHome(t, nil)
			cfg, err := LoadConfig(ctx)
			if err != nil {
				return err
			}
			cfg.BaseEndpoint = awssdk.String(m.URL)
			_, _, err = Identity(ctx, cfg)
			return err
		}, CauseNoCredentials, "AWS_ACCESS_KEY_ID"},
		{"AWS_PROFILE names no profile", func(t *testing.T) error {
			emptyAWSHome(t, nil)
			t.Setenv("AWS_PROFILE", "nope")
			_, err := LoadConfig(ctx)
			return err
		}, CauseNoProfile, "aws configure --profile nope"},
		{"expired SSO session", func(t *testing.T) error {
			emptyAWSHome(t, map[string]string{
				".aws/config": "[profile dev]\nsso_start_url = " + startURL + "\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n",
				".aws/sso/cache/" + hex.EncodeToString(sum[:]) + ".json": `{"accessToken":"old","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + startURL + `"}`,
			})
			t.Setenv("AWS_PROFILE", "dev")
			cfg, err := LoadConfig(ctx)
			if err != nil {
				return err
			}
			return CheckCredentials(ctx, cfg, Profile())
		}, CauseSSOExpired, "aws sso login --profile dev"},
		{"expired session token", func(t *testing.T) error {
			_, _, err := Identity(ctx, awstest.Config(expired, "us-east-1"))
			return err
		}, CauseTokenExpired, "AWS_SESSION_TOKEN"},
		{"access key AWS does not know", func(t *testing.T) error {
			_, _, err := Identity(ctx, awstest.Config(unknownKey, "us-east-1"))
			return err
		}, CauseKeysRejected, "AWS_SECRET_ACCESS_KEY"},
		{"role the caller may not assume", func(t *testing.T) error {
			cfg := withKeys(nobodyID, nobodySecret)
			cfg.Credentials = awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::123456789012:role/CostbotReadOnly"))
			_, _, err := Identity(ctx, cfg)
			return err
		}, CauseRoleNotAssumed, "trust policy"},
		{"an action the policy denies is no set-up mistake", func(t *testing.T) error {
			_, err := rds.NewFromConfig(withKeys(limitedID, limitedSecret)).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
			return err
		}, "", ""},
		{"working credentials", func(t *testing.T) error {
			_, _, err := Identity(ctx, withKeys(limitedID, limitedSecret))
			return err
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			se := ClassifySetupError(err, Profile())
			if tt.cause == "" {
				if se != nil {
					t.Fatalf("%v classified as %q", err, se.Cause)
				}
				return
			}
			if se == nil {
				t.Fatalf("not classified: %v", err)
			}
			var direct *SetupError
			if !errors.As(err, &direct) {
				t.Errorf("the function under test returned the SDK's error, not a *SetupError: %v", err)
			}
			line := se.Error()
			if se.Cause != tt.cause || !strings.Contains(line, tt.fixHint) {
				t.Errorf("got %q, want cause %q with %q in the fix", line, tt.cause, tt.fixHint)
			}
			if strings.Contains(line, "\n") || strings.Contains(line, "operation error") {
				t.Errorf("not one plain line: %q", line)
			}
		})
	}
}

// Without credentials a scan of every service in six regions says so once and makes no
// call at all: not one per (service, region) task.
func TestScanWithoutCredentialsStopsBeforeFanningOut(t *testing.T) {
	m := awstest.StartMoto(t)
	ctx := awstest.Context(t)
	emptyAWSHome(t, nil)
	cfg, err := LoadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = awssdk.String(m.URL)
	called := recordActions(&cfg)
	regions := []string{"us-east-1", "us-west-2", "ap-southeast-1", "ap-east-1", "eu-west-1", "ap-northeast-1"}
	res, err := (&Scanner{Base: cfg, Regions: regions, Services: registered(), Concurrency: 4}).Scan(ctx)
	var se *SetupError
	if !errors.As(err, &se) || se.Cause != CauseNoCredentials {
		t.Fatalf("scan: %v, %v; want the no-credentials set-up error", res, err)
	}
	if calls := called(); len(calls) > 0 {
		t.Errorf("the scan still called %v", calls)
	}
	if n := strings.Count(err.Error(), string(CauseNoCredentials)); n != 1 {
		t.Errorf("the cause is said %d times: %q", n, err)
	}
}

// The guard's regions failing for want of credentials are one error; a region failing
// otherwise keeps its own.
func TestCollapseSetupErrors(t *testing.T) {
	ctx := awstest.Context(t)
	emptyAWSHome(t, nil)
	cfg, err := LoadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-northeast-1"} {
		c := cfg.Copy()
		c.Region = region
		_, err := ListLightsailInstances(ctx, c)
		if err == nil {
			t.Fatalf("%s: listed without credentials", region)
		}
		errs = append(errs, err)
	}
	other := errors.New("lightsail ap-south-1: get instances: connection reset")
	errs = append(errs, nil, other)
	got := CollapseSetupErrors(errs, "")
	if len(got) != 2 {
		t.Fatalf("collapsed to %d errors, want 2: %v", len(got), got)
	}
	var se *SetupError
	if !errors.As(got[0], &se) || se.Cause != CauseNoCredentials || got[1] != other {
		t.Errorf("got %v", got)
	}
}
