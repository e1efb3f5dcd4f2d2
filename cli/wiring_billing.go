package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/jobs"
	"costbot/models"
)

// newBiller is the billing job (what AWS billed, from Cost Explorer) pushing its alerts
// to n, or nil when COST_EXPLORER_INTERVAL is off.
func newBiller(cfg *config.Config, store *models.Store, awsCfg awssdk.Config, n jobs.Notifier, log *slog.Logger) *jobs.Biller {
	if cfg.CostExplorerInterval <= 0 {
		return nil
	}
	ce := costaws.NewCostExplorer(awsCfg)
	// Several accounts: the management account's Cost Explorer (the base credentials)
	// bills the whole organization; one query more splits it by linked account.
	ce.ByAccount = !cfg.Accounts.Single()
	return jobs.NewBiller(store, ce, n, jobs.BillingOptions{
		Logger: log, MaxRequestsPerDay: cfg.CostExplorerMaxRequestsDay, Estimated: cfg.CostServices,
	})
}

// checkCostExplorer is `costbot doctor`'s Cost Explorer line: one paid request ($0.01,
// counted against the day's budget in the database), and what is wrong in one line.
func checkCostExplorer(ctx context.Context, cfg *config.Config) (string, error) {
	if cfg.CostExplorerInterval <= 0 {
		return "off (COST_EXPLORER_INTERVAL=off): costbot shows its estimate only", nil
	}
	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		return "", err
	}
	store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
	if err != nil {
		return "", err
	}
	defer store.Close()
	// The probe reads no bill, so it raises nothing: its notifier only prints.
	biller := newBiller(cfg, store, awsCfg, &printingNotifier{lang: cfg.Lang}, slog.New(slog.DiscardHandler))
	if err := biller.Probe(ctx); err != nil {
		return "", errors.New(models.BillingProblemAdvice[costaws.ClassifyCostExplorerError(err)] + ": " + err.Error())
	}
	return fmt.Sprintf("GetCostAndUsage answers (1 request, $0.01; the billing job runs every %s)", cfg.CostExplorerInterval), nil
}
