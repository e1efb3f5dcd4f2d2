package aws

import (
	"context"
	"fmt"
	"io"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// MetadataInstanceID asks the instance metadata service (IMDSv2: a session token, then
// latest/meta-data/instance-id) which EC2 instance costbot runs on; a Lightsail
// instance's supportCode ends with it. endpoint "" is the SDK's own choice
// (AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254); AWS_EC2_METADATA_DISABLED=true
// turns the call off. Off EC2 the call fails: bound it with ctx.
func MetadataInstanceID(ctx context.Context, endpoint string) (string, error) {
	client := imds.New(imds.Options{Endpoint: endpoint, Retryer: awssdk.NopRetryer{}})
	out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
	if err != nil {
		return "", fmt.Errorf("instance metadata: instance-id: %w", err)
	}
	defer out.Content.Close()
	raw, err := io.ReadAll(io.LimitReader(out.Content, 256))
	if err != nil {
		return "", fmt.Errorf("instance metadata: instance-id: %w", err)
	}
	return strings.TrimSpace(string(raw)), nil
}

// SupportCodeInstanceID is the EC2 instance ID in a Lightsail supportCode
// (<account>/<instance-id>), or "".
func SupportCodeInstanceID(supportCode string) string {
	_, id, ok := strings.Cut(supportCode, "/")
	if !ok {
		return ""
	}
	return id
}
