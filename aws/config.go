package aws

import (
	"context"
	"fmt"
	"net/http"
	"os"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
	cfg.HTTPClient = sharedHTTPClient(cfg.HTTPClient)
	return cfg, nil
}

// sharedHTTPClient is the one HTTP client every AWS client of costbot shares, whatever
// its service, region or account: the configuration's own, with what it was given (a
// custom CA bundle), frozen. Given the SDK's buildable client, each service client
// built from the configuration makes a copy with a connection pool of its own: a scan
// of 100 accounts builds thousands of them, each keeping its connections (and, against
// AWS, its TLS sessions) until they time out. Requests are signed one by one, so
// sharing connections between accounts shares nothing else.
func sharedHTTPClient(c awssdk.HTTPClient) awssdk.HTTPClient {
	b, ok := c.(*awshttp.BuildableClient)
	if !ok {
		return c
	}
	return b.WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 32 // SCAN_CONCURRENCY's default tasks, two calls each
	}).Freeze()
}
