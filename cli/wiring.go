package cli

import (
	"log/slog"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"costbot/config"
	"costbot/models"
	"costbot/pricing"
)

// newPricer prices with the Pricing API (us-east-1, or AWS_ENDPOINT_URL_PRICING), the
// store's cache and the settings' free tier.
func newPricer(cfg *config.Config, store *models.Store, awsCfg awssdk.Config) *pricing.Pricer {
	return pricing.New(store, pricing.NewAPIClient(awsCfg), pricing.Options{
		TTL:      cfg.PriceCacheTTL,
		FreeTier: cfg.FreeTier,
		Logger:   slog.Default(),
	})
}
