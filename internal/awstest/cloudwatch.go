package awstest

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// CloudWatch is a CloudWatch client for seeding moto with metrics and alarms. It speaks
// awsJson1_0, as the collectors' own client does: recent SDK clients default to a CBOR
// protocol that moto does not serve.
func CloudWatch(cfg awssdk.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801)
		o.DisableRequestCompression = true
	})
}
