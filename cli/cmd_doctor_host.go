package cli

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	costaws "costbot/aws"
	"costbot/config"
)

// lightsailHost says which watched Lightsail instance costbot runs on, if any: the one
// LIGHTSAIL_SELF names, or the one whose supportCode holds the instance ID the metadata
// service gives. Stopping that instance stops costbot, so the owner should know.
func lightsailHost(ctx context.Context, cfg *config.Config, awsCfg awssdk.Config) (string, error) {
	switch cfg.LightsailSelf {
	case "none":
		return "detection off (LIGHTSAIL_SELF=none)", nil
	case "":
	default:
		return fmt.Sprintf("costbot runs on %s (LIGHTSAIL_SELF): the guard tells before it stops it", cfg.LightsailSelf), nil
	}
	mdCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	id, err := costaws.MetadataInstanceID(mdCtx, "")
	if err != nil || id == "" {
		return "not on an EC2 or Lightsail instance (no instance metadata)", nil
	}
	for _, region := range cfg.LightsailRegions {
		c := awsCfg.Copy()
		c.Region = region
		insts, err := costaws.ListLightsailInstances(ctx, c)
		if err != nil {
			return "", fmt.Errorf("on %s; listing Lightsail %s to find it failed: %w", id, region, err)
		}
		for _, in := range insts {
			if costaws.SupportCodeInstanceID(in.SupportCode) == id {
				watched := "watched: the guard tells before it stops it, and costbot stops with it"
				if !cfg.Watches(in.Name) {
					watched = "not watched by the guard (LIGHTSAIL_INSTANCES)"
				}
				return fmt.Sprintf("costbot runs on Lightsail instance %s (%s, %s), %s", in.Name, region, id, watched), nil
			}
		}
	}
	return fmt.Sprintf("on %s, not a Lightsail instance of LIGHTSAIL_REGIONS", id), nil
}
