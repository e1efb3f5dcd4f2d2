package aws

import (
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"costbot/models"
)

// Every public IPv4 address the account holds is billed by the hour, in use or idle.
// The addresses in use sit on network interfaces, whoever holds them: EC2 instances,
// load balancers, NAT gateways, RDS instances, ECS tasks, VPC endpoints. The idle ones
// are Elastic IPs associated with nothing. Listing the interfaces and the unassociated
// Elastic IPs counts every address exactly once.

// publicIPv4Resources lists each public address of the interfaces, and each Elastic IP
// of addrs no interface showed (unassociated ones, and any associated since the
// interfaces were read), one resource per address. An Elastic IP is named by its
// allocation ID, any other address by itself. An address from the account's own range
// (BYOIP) is marked so: AWS does not charge for it.
func publicIPv4Resources(enis []ec2types.NetworkInterface, addrs []ec2types.Address, region string) []models.Resource {
	elastic := make(map[string]ec2types.Address, len(addrs))
	for _, a := range addrs {
		elastic[awssdk.ToString(a.PublicIp)] = a
	}
	seen := map[string]bool{}
	var out []models.Resource
	for _, eni := range enis {
		holder, holderID := interfaceHolder(eni)
		for _, assoc := range interfaceAssociations(eni) {
			ip := awssdk.ToString(assoc.PublicIp)
			if ip == "" || seen[ip] {
				continue
			}
			seen[ip] = true
			r := models.Resource{
				Service: "vpc",
				Region:  region,
				ID:      ip,
				Name:    ec2Tag(eni.TagSet, "Name"),
				Kind:    models.KindPublicIP,
				Type:    "public-ipv4",
				State:   "in-use",
				Attrs: map[string]string{
					"public_ip":            ip,
					"holder":               holder,
					"holder_id":            holderID,
					"network_interface_id": awssdk.ToString(eni.NetworkInterfaceId),
				},
				Usage: map[string]float64{},
			}
			if eni.Attachment != nil && awssdk.ToString(eni.Attachment.InstanceId) != "" {
				r.Attrs["instance_id"] = awssdk.ToString(eni.Attachment.InstanceId)
			}
			if a, ok := elastic[ip]; ok || awssdk.ToString(assoc.AllocationId) != "" {
				if !ok {
					a = ec2types.Address{PublicIp: assoc.PublicIp, AllocationId: assoc.AllocationId, AssociationId: assoc.AssociationId}
				}
				r = elasticIPResource(a, region, r.Attrs)
			}
			if r.Name == "" {
				r.Name = holderLabel(r.Attrs)
			}
			out = append(out, r)
		}
	}
	for _, a := range addrs {
		if ip := awssdk.ToString(a.PublicIp); !seen[ip] {
			seen[ip] = true
			r := elasticIPResource(a, region, nil)
			if r.Name == "" {
				r.Name = holderLabel(r.Attrs)
			}
			out = append(out, r)
		}
	}
	return out
}

// holderLabel names an address by what holds it ("alb web-alb", "ec2 i-0abc"), or ""
// for an idle one.
func holderLabel(attrs map[string]string) string {
	return strings.TrimSpace(attrs["holder"] + " " + attrs["holder_id"])
}

// interfaceAssociations are the public addresses of an interface: the primary one and
// those of its secondary private addresses.
func interfaceAssociations(eni ec2types.NetworkInterface) []ec2types.NetworkInterfaceAssociation {
	var out []ec2types.NetworkInterfaceAssociation
	if eni.Association != nil {
		out = append(out, *eni.Association)
	}
	for _, p := range eni.PrivateIpAddresses {
		if p.Association != nil {
			out = append(out, *p.Association)
		}
	}
	return out
}

// elasticIPResource is an Elastic IP, in use (with the holder found on its interface)
// or idle.
func elasticIPResource(a ec2types.Address, region string, onInterface map[string]string) models.Resource {
	ip := awssdk.ToString(a.PublicIp)
	id := awssdk.ToString(a.AllocationId)
	if id == "" {
		id = ip
	}
	attrs := map[string]string{
		"public_ip":      ip,
		"instance_id":    awssdk.ToString(a.InstanceId),
		"association_id": awssdk.ToString(a.AssociationId),
	}
	for k, v := range onInterface {
		if attrs[k] == "" {
			attrs[k] = v
		}
	}
	if attrs["holder"] == "" {
		switch {
		case attrs["instance_id"] != "":
			attrs["holder"], attrs["holder_id"] = "ec2", attrs["instance_id"]
		case awssdk.ToString(a.NetworkInterfaceId) != "":
			attrs["holder"], attrs["holder_id"] = "interface", awssdk.ToString(a.NetworkInterfaceId)
		}
	}
	if pool := awssdk.ToString(a.PublicIpv4Pool); pool != "" && pool != "amazon" {
		attrs["byoip"] = "true"
		attrs["pool"] = pool
	}
	r := models.Resource{
		Service: "vpc",
		Region:  region,
		ID:      id,
		Name:    ec2Tag(a.Tags, "Name"),
		Kind:    models.KindElasticIP,
		Type:    "public-ipv4",
		State:   "associated",
		Attrs:   attrs,
		Usage:   map[string]float64{},
	}
	if attrs["association_id"] == "" {
		r.State = "unassociated"
		r.Waste = true
		r.WasteReason = "Elastic IP is not associated with any instance or network interface"
	}
	return r
}

// interfaceHolder says what holds a network interface, from its type, the service that
// created it and its description: ("ec2", instance ID), ("alb", name), ("nlb", name),
// ("gwlb", name), ("elb", name) for a Classic load balancer, ("nat", gateway ID),
// ("rds", ""), ("ecs", task attachment), ("lambda", ""), ("vpc-endpoint", ""), or
// ("interface", interface ID) when nothing tells.
func interfaceHolder(eni ec2types.NetworkInterface) (kind, id string) {
	desc := awssdk.ToString(eni.Description)
	if eni.Attachment != nil {
		if inst := awssdk.ToString(eni.Attachment.InstanceId); inst != "" {
			return "ec2", inst
		}
	}
	if rest, ok := strings.CutPrefix(desc, "ELB "); ok {
		parts := strings.Split(rest, "/")
		if len(parts) >= 2 {
			kind := map[string]string{"app": "alb", "net": "nlb", "gwy": "gwlb"}[parts[0]]
			if kind != "" {
				return kind, parts[1]
			}
		}
		return "elb", rest
	}
	switch {
	case eni.InterfaceType == ec2types.NetworkInterfaceTypeNatGateway || strings.HasPrefix(desc, "Interface for NAT Gateway "):
		return "nat", strings.TrimPrefix(desc, "Interface for NAT Gateway ")
	case eni.InterfaceType == ec2types.NetworkInterfaceTypeNetworkLoadBalancer:
		return "nlb", desc
	case eni.InterfaceType == ec2types.NetworkInterfaceTypeGatewayLoadBalancer:
		return "gwlb", desc
	case desc == "RDSNetworkInterface" || awssdk.ToString(eni.RequesterId) == "amazon-rds":
		return "rds", ""
	case strings.HasPrefix(desc, "arn:aws:ecs:") || strings.HasPrefix(desc, "arn:aws-cn:ecs:"):
		return "ecs", desc
	case eni.InterfaceType == ec2types.NetworkInterfaceTypeLambda:
		return "lambda", desc
	case eni.InterfaceType == ec2types.NetworkInterfaceTypeVpcEndpoint:
		return "vpc-endpoint", desc
	}
	return "interface", awssdk.ToString(eni.NetworkInterfaceId)
}
