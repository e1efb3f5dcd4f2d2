package cli

import (
	"context"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	costaws "costbot/aws"
	"costbot/config"
)

// doctorLine is one line `costbot doctor` prints.
type doctorLine struct {
	name   string
	detail string
	err    error
}

// memberParts are the parts of costbot that run with a member account's credentials:
// the scan and the Lightsail guard (prices and the bill are read with costbot's own).
func memberParts(cfg *config.Config) []string {
	parts := []string{costaws.PartAccount}
	parts = append(parts, cfg.CostServices...)
	return append(parts, costaws.PartLightsailGuard)
}

// checkAccounts is `costbot doctor`'s lines for AWS_ACCOUNTS: how the accounts resolve
// (for an organization, organizations:ListAccounts), then one line per account: its role
// assumed, or why not, and the permission probes run with that account's credentials.
func checkAccounts(ctx context.Context, cfg *config.Config, awsCfg awssdk.Config) []doctorLine {
	resolver := newResolver(cfg, awsCfg)
	accounts, err := resolver.Resolve(ctx)
	if err != nil {
		return []doctorLine{{name: "accounts", err: err}}
	}
	mode := fmt.Sprintf("%d role(s) from AWS_ACCOUNTS", len(accounts))
	if cfg.Accounts.Organization {
		mode = fmt.Sprintf("organization: %d active account(s) listed", len(accounts))
	}
	lines := []doctorLine{{name: "accounts", detail: mode}}
	out := make([]doctorLine, len(accounts))
	sem := make(chan struct{}, max(cfg.AccountConcurrency, 1))
	done := make(chan struct{})
	for i, a := range accounts {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			out[i] = checkAccount(ctx, cfg, a)
		}()
	}
	for range accounts {
		<-done
	}
	return append(lines, out...)
}

// checkAccount is one account's line.
func checkAccount(ctx context.Context, cfg *config.Config, a costaws.Account) doctorLine {
	line := doctorLine{name: "account " + a.Model().Label()}
	how := "costbot's own credentials"
	if a.RoleARN != "" {
		if err := costaws.CheckCredentials(ctx, a.Config, costaws.Profile()); err != nil {
			line.err = fmt.Errorf("%s", costaws.AccountProblem(a, err))
			return line
		}
		how = "role " + a.RoleARN + " assumed"
	}
	results := costaws.ProbePermissions(ctx, a.Config, cfg.CostRegions, cfg.LightsailRegions, memberParts(cfg))
	denied, failed := probeOutcome(results)
	switch {
	case len(denied) > 0:
		// On one line: the statement is short JSON, its newlines folded.
		line.err = fmt.Errorf("%s; AWS refuses %s: add %s to its policy (deploy/cloudformation-member-role.json grants them all)",
			how, strings.Join(denied, ", "), strings.Join(costaws.MissingActions(results), ", "))
	case len(failed) > 0:
		line.err = fmt.Errorf("%s; could not check %s", how, strings.Join(failed, "; "))
	default:
		line.detail = fmt.Sprintf("%s; %d parts allowed", how, len(results))
	}
	return line
}
