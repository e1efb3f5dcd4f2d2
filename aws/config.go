package aws

import (
	"context"
	"fmt"
	"os"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// LoadConfig reads AWS settings from the SDK's own chain (credentials, AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>) and retries throttled
// calls in adaptive mode, 5 attempts unless AWS_MAX_ATTEMPTS says otherwise.
func LoadConfig(ctx context.Context) (awssdk.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRetryMode(awssdk.RetryModeAdaptive)}
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		opts = append(opts, config.WithRetryMaxAttempts(5))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if se := ClassifySetupError(err, Profile()); se != nil {
			return awssdk.Config{}, se
		}
		return awssdk.Config{}, fmt.Errorf("aws: load configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}
