package cli

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jonboulle/clockwork"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/jobs"
	"costbot/models"
)

// newResolver turns AWS_ACCOUNTS, AWS_ROLE_NAME and AWS_EXTERNAL_ID into the accounts
// every job works on, reached from awsCfg's credentials.
func newResolver(cfg *config.Config, awsCfg awssdk.Config) *costaws.AccountResolver {
	return &costaws.AccountResolver{Base: awsCfg, Organization: cfg.Accounts.Organization,
		RoleARNs: cfg.Accounts.RoleARNs, RoleName: cfg.AWSRoleName, ExternalID: cfg.AWSExternalID}
}

// newScanner scans every account ACCOUNT_CONCURRENCY at a time, each with
// SCAN_CONCURRENCY tasks at once.
func newScanner(cfg *config.Config, resolver *costaws.AccountResolver) *costaws.MultiScanner {
	return &costaws.MultiScanner{Resolver: resolver, AccountConcurrency: cfg.AccountConcurrency,
		Scanner: costaws.Scanner{Regions: cfg.CostRegions, Services: cfg.CostServices,
			Concurrency: cfg.ScanConcurrency, TaskTimeout: cfg.ScanTaskTimeout}}
}

// newGuard is the Lightsail guard over every account of AWS_ACCOUNTS (each through its
// own credentials), or over awsCfg's own account when AWS_ACCOUNTS is empty.
func newGuard(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, n jobs.Notifier, flusher jobs.OutboxFlusher,
	clock clockwork.Clock, resolver *costaws.AccountResolver) *jobs.Guard {
	guard := jobs.NewGuard(cfg, store, awsCfg, n, flusher, clock)
	if !resolver.Single() {
		guard.SetAccounts(resolver, cfg.AccountConcurrency, nil)
	}
	return guard
}
