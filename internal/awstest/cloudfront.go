package awstest

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// DistributionConfig is the smallest CloudFront distribution moto accepts: one S3
// origin, enabled, with the given caller reference (unique per distribution) and price
// class.
func DistributionConfig(callerReference string, priceClass cftypes.PriceClass) *cftypes.DistributionConfig {
	return &cftypes.DistributionConfig{
		CallerReference: awssdk.String(callerReference),
		Comment:         awssdk.String("costbot test"),
		Enabled:         awssdk.Bool(true),
		PriceClass:      priceClass,
		Origins: &cftypes.Origins{Quantity: awssdk.Int32(1), Items: []cftypes.Origin{{
			Id: awssdk.String("origin"), DomainName: awssdk.String("bucket.s3.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: awssdk.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: awssdk.String("origin"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll, CachePolicyId: awssdk.String(cachingDisabledPolicy)},
	}
}

// cachingDisabledPolicy is the ID of CloudFront's managed CachingDisabled cache policy,
// which replaces the deprecated ForwardedValues and MinTTL settings.
const cachingDisabledPolicy = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
