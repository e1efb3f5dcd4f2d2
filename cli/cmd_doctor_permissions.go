package cli

import (
	"context"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	costaws "costbot/aws"
	"costbot/config"
)

// permissionParts are the parts of costbot the configuration turns on: the account
// lookup, every COST_SERVICES collector, the Lightsail guard and the Pricing API (Cost
// Explorer, which costs a cent a call, has its own doctor line).
func permissionParts(cfg *config.Config) []string {
	parts := []string{costaws.PartAccount}
	if cfg.Accounts.Organization {
		parts = append(parts, costaws.PartAccounts)
	}
	parts = append(parts, cfg.CostServices...)
	return append(parts, costaws.PartLightsailGuard, costaws.PartPricing)
}

// checkPermissions is `costbot doctor`'s permissions line: one cheap read per part, and
// for the parts AWS refuses, the policy statement that would let them through.
func checkPermissions(ctx context.Context, cfg *config.Config, awsCfg awssdk.Config) (string, error) {
	parts := permissionParts(cfg)
	results := costaws.ProbePermissions(ctx, awsCfg, cfg.CostRegions, cfg.LightsailRegions, parts)
	denied, failed := probeOutcome(results)
	if len(denied) > 0 {
		return "", fmt.Errorf("AWS refuses %s; add this statement to the policy of costbot's credentials (deploy/iam-policy.json has them all):\n%s",
			strings.Join(denied, ", "), costaws.PolicySnippet(costaws.MissingActions(results)))
	}
	if len(failed) > 0 {
		return "", fmt.Errorf("could not check %s", strings.Join(failed, "; "))
	}
	return fmt.Sprintf("%d parts allowed (%s)", len(results), strings.Join(parts, ", ")), nil
}

// probeOutcome is the parts AWS refused, and the probes that failed otherwise (with
// where and why).
func probeOutcome(results []costaws.ProbeResult) (denied, failed []string) {
	for _, r := range results {
		switch {
		case r.Denied:
			denied = append(denied, r.Part)
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("%s (%s): %v", r.Part, r.Region, r.Err))
		}
	}
	return denied, failed
}
