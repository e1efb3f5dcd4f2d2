package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// LoadConfig reads AWS settings from the SDK's own chain (credentials, AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>) and retries throttled
// calls in adaptive mode.
func LoadConfig(ctx context.Context) (awssdk.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryMode(awssdk.RetryModeAdaptive),
		config.WithRetryMaxAttempts(5),
		config.WithRetryer(func() awssdk.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = 5 })
			})
		}),
	)
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("aws: load configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}
